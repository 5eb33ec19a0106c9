"""``FakeQonto``: an aiohttp.web application that answers like Qonto's Business API.

This module assembles the application and runs it; what stands in front of Qonto (the
sandbox's login wall, the rate limiter, authentication, injected faults) is its middleware.
The answers come from :mod:`._records` (lists and records), :mod:`._files` (uploads,
attachments, signed downloads) and :mod:`._oauth` (the token endpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hmac
import random
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import hdrs, web

from ._bank import bank_side
from ._churn import ChurnState
from ._client_writes import ClientWrites
from ._controls import CredentialControls, RecordControls, WriteControls
from ._data import Dataset
from ._faults import (
    QONTO_RATE_LIMITS,
    Faults,
    FaultState,
    RateLimit,
    SlidingWindowLimiter,
    fault_response,
    truncate,
)
from ._files import IDEMPOTENCY_KEY, FileServer
from ._idempotency import IdempotencyCache
from ._invoice_writes import InvoiceWrites
from ._mutations import Mutations
from ._oauth import OAuthServer
from ._options import FakeOptions
from ._quote_writes import QuoteWrites
from ._records import RecordServer
from ._released import release_cached_handlers
from ._responses import (
    SERVED,
    STAGING_PAGE,
    TRACE_ID,
    TYK_RATE_LIMIT_BODY,
    error_response,
)
from ._routes import routes
from ._stats import Stats
from ._supplier_writes import SupplierWrites
from ._threaded import serving_in_thread
from ._validation import Invalid
from ._webhooks import WebhookServer

__all__ = ["FakeQonto"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeQonto(RecordControls, WriteControls, CredentialControls):
    """A local Qonto Business API on 127.0.0.1, for tests, benchmarks and demos.

    ``async with FakeQonto(seed=0, client_invoices=500) as fake:`` serves on a free port;
    point the SDK at ``fake.base_url`` with ``fake.login`` / ``fake.secret_key`` (or OAuth:
    ``fake.token_url``, ``fake.client_id``, ``fake.client_secret``, ``fake.refresh_token``).
    Data, trace ids, tokens and fault draws all derive from ``seed``.

    ``clients``, ``client_invoices``, ``supplier_invoices``, ``uploads``, ``quotes``,
    ``credit_notes`` and ``transactions`` (spread over the accounts, every operation type and
    status, with a continuous ``settled_balance`` chain per account) are record counts;
    ``bank_accounts`` counts the organisation's accounts, the last one (of two or more) a
    connected external account;
    ``latency`` (seconds) is added to every ``/v2`` request; ``faults`` (:class:`Faults`) can
    be swapped at any time; ``rate_limit`` is one or several :class:`RateLimit` (Qonto's
    1,000 / 10 s and 10,000 / 10 min by default; ``None`` disables it). Everything else
    (sandbox staging token, page sizes, credentials, envelopes, token lifetimes) is a
    :class:`FakeOptions`.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clients: int = 20,
        client_invoices: int = 200,
        supplier_invoices: int = 200,
        uploads: int = 3,
        quotes: int = 20,
        credit_notes: int = 20,
        transactions: int = 300,
        bank_accounts: int = 3,
        latency: float = 0.0,
        faults: Faults | None = None,
        rate_limit: RateLimit | Sequence[RateLimit] | None = QONTO_RATE_LIMITS,
        options: FakeOptions | None = None,
    ) -> None:
        if latency < 0:
            raise ValueError("latency must be >= 0")
        options = options or FakeOptions()
        self.options = options
        self.seed = seed
        self.clock: Callable[[], float] = time.time
        """The fake's clock (epoch seconds): record timestamps, ``Date``, signed links."""
        self.dataset = Dataset(
            seed=seed,
            clients=clients,
            client_invoices=client_invoices,
            supplier_invoices=supplier_invoices,
            uploads=uploads,
            quotes=quotes,
            credit_notes=credit_notes,
            transactions=transactions,
            bank_accounts=bank_accounts,
            now=options.now,
        )
        self.latency = latency
        self.staging_token = options.staging_token
        self.host = options.host
        self.port: int | None = None
        secrets = random.Random(f"{seed}:credentials")
        self.login = options.login or f"fake-org-{seed}"
        self.secret_key = options.secret_key or f"{secrets.getrandbits(128):032x}"
        self._api_key = f"{self.login}:{self.secret_key}"
        if isinstance(rate_limit, RateLimit):
            rate_limit = (rate_limit,)
        self._limiter = SlidingWindowLimiter(rate_limit) if rate_limit else None
        limit = options.auth_failure_limit
        self._auth_failures = SlidingWindowLimiter((limit,)) if limit else None
        self.stats = Stats()
        self._fault_state: FaultState | None = None
        self.faults = faults
        self._trace_prefix = f"{random.Random(f'{seed}:trace').getrandbits(64):016x}"
        self._trace_counter = 0
        self._oauth = OAuthServer(
            seed,
            client_id=f"fake-client-{seed}",
            client_secret=f"{secrets.getrandbits(128):032x}",
            access_token_ttl=options.access_token_ttl,
            refresh_token_grace=options.refresh_token_grace,
            stats=self.stats,
        )
        self._records = RecordServer(
            self.dataset,
            max_per_page=options.max_per_page,
            default_per_page=options.default_per_page,
        )
        self._files = FileServer(
            self.dataset,
            stats=self.stats,
            rng=random.Random(f"{seed}:runtime"),
            base_url=lambda: self.base_url,
            upload_envelope=options.upload_envelope,
            clock=lambda: self.clock(),
        )
        self._mutations = Mutations(self.dataset)
        self._idempotency = IdempotencyCache(
            lambda: self.clock(), replay_mismatch=options.replay_reused_keys
        )
        self._client_writes = ClientWrites(self)
        self._invoice_writes = InvoiceWrites(self, lambda: self.clock(), self.dataset.iban)
        self._supplier_writes = SupplierWrites(self, lambda: self.clock())
        self._quote_writes = QuoteWrites(self)
        self._webhooks = WebhookServer(
            self.dataset,
            clock=lambda: self.clock(),
            retry_delays=options.webhook_retry_delays,
            seed=seed,
        )
        self._bank, self._bank_mutations, self._transaction_writes = bank_side(
            self.dataset, self._files, options, clock=lambda: self.clock(), log=self._log, seed=seed
        )
        self._churn: ChurnState | None = None
        self._runner: web.AppRunner | None = None
        self.app = self._make_app()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("FakeQonto is already running")
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.options.port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        self._runner = runner
        self._webhooks.bind(asyncio.get_running_loop())

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        await self._webhooks.close()
        if runner is not None:
            await runner.cleanup()
            release_cached_handlers()

    async def __aenter__(self) -> FakeQonto:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def running_in_thread(
        self, timeout: float = 10.0
    ) -> contextlib.AbstractContextManager[FakeQonto]:
        """Serve from a private event loop in a background thread, for synchronous code
        (a CLI test, a sync test suite): ``with FakeQonto().running_in_thread() as fake:``.

        Set ``faults`` between requests, not while a request is in flight.
        """
        return serving_in_thread(self, timeout)

    @property
    def base_url(self) -> str:
        """Everything before ``/v2``: ``http://127.0.0.1:54321``."""
        if self.port is None:
            raise RuntimeError("FakeQonto is not running: use `async with FakeQonto() as fake`")
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    # -- runtime controls --------------------------------------------------------------------

    @property
    def faults(self) -> Faults | None:
        return self._fault_state.faults if self._fault_state else None

    @faults.setter
    def faults(self, faults: Faults | None) -> None:
        self._fault_state = FaultState(faults, self.seed) if faults is not None else None

    def set_faults(self, faults: Faults | None = None, /, **options: Any) -> Faults | None:
        """Install ``faults`` (or ``Faults(**options)``); no argument clears them.

        Installing restarts ``first_n`` counting and the fault draw sequence.
        """
        if faults is not None and options:
            raise TypeError("pass a Faults or keyword options, not both")
        self.faults = Faults(**options) if options else faults
        return self.faults

    def issue_expired_links(self, count: int = 1) -> None:
        """Make the next ``count`` signed file links expired already, as a link is when it
        is used more than 30 minutes after it was issued (storage answers 403)."""
        self._files.expired_links_to_issue = count

    # -- application -------------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        for method, path, handler in routes(
            records=self._records,
            files=self._files,
            oauth=self._oauth,
            clients=self._client_writes,
            invoices=self._invoice_writes,
            suppliers=self._supplier_writes,
            quotes=self._quote_writes,
            webhooks=self._webhooks,
            bank=self._bank,
            transactions=self._transaction_writes,
        ):
            app.router.add_route(method, path, handler)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._trace_counter += 1
        trace_id = f"{self._trace_prefix}{self._trace_counter:016x}"
        request[TRACE_ID] = trace_id
        path = request.path
        api = path.startswith("/v2/")
        resource = request.match_info.route.resource
        route = f"{request.method} {resource.canonical if resource is not None else path}"
        if (key := request.headers.get(IDEMPOTENCY_KEY)) is not None:
            self.stats.idempotency_keys.append(key)
        decision = self._fault_state.decide(path) if self._fault_state else None
        delay = (self.latency if api else 0.0) + (decision.delay if decision else 0.0)
        if delay > 0:
            await asyncio.sleep(delay)
        action = decision.action if decision else None

        response: web.StreamResponse | None = self._gate(request) if api else None
        lose_answer = action is not None and action.kind == "drop" and action.body == "after"
        if (
            response is None
            and action is not None
            and action.kind != "truncate"
            and not lose_answer
        ):
            self.stats.faults[action.label] += 1
            if action.kind == "drop":
                self.stats.requests[(route, 0)] += 1
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)  # never written: the transport is gone
            response = fault_response(action, self.faults, trace_id, path)
        if response is None and api:
            response = self._authenticate(request, trace_id, path)
        if response is None:
            if api:
                self._transaction_writes.process_due()  # uploads Qonto has processed since
            if self._churn is not None and api and request.method == "GET":
                self._churn.step()
            try:
                if request.method == "GET" or not api:
                    response = await handler(request)
                else:
                    response = await self._idempotency.handle(request, handler)
            except Invalid as refused:  # a request Qonto would refuse, with its error body
                response = refused.response(trace_id, path)
            except web.HTTPException as exc:
                if not api or exc.status not in (404, 405):
                    raise
                response = error_response(404, "not_found", "Route not found", trace_id, path)
            if lose_answer:
                assert action is not None
                self.stats.faults[action.label] += 1
                self.stats.requests[(route, 0)] += 1
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)  # never written: the transport is gone
        response.headers["X-Tyk-Trace-Id"] = trace_id
        if self.clock is not time.time:
            response.headers[hdrs.DATE] = email.utils.formatdate(self.clock(), usegmt=True)
        self.stats.requests[(route, response.status)] += 1
        if action is not None and action.kind == "truncate":
            body = response.body if isinstance(response, web.Response) else None
            if isinstance(body, bytes) and len(body) > 1:
                self.stats.faults[action.label] += 1
                return await truncate(request, response, body, action.body)
        served = request.get(SERVED)
        if served is not None and 200 <= response.status < 300:
            self.stats.served[served[0]].update(served[1])
        return response

    def _gate(self, request: web.Request) -> web.StreamResponse | None:
        """What stands in front of the application: the sandbox login wall, the rate limit."""
        if (
            self.staging_token is not None
            and request.headers.get("X-Qonto-Staging-Token") != self.staging_token
        ):
            self.stats.staging_rejections += 1
            if self.options.staging_status == 302:
                return web.Response(status=302, headers={hdrs.LOCATION: "/sso/login"})
            return web.Response(
                status=self.options.staging_status, body=STAGING_PAGE, content_type="text/html"
            )
        if self._limiter is not None:
            wait = self._limiter.check(time.monotonic())
            if wait is not None:
                self.stats.rate_limited += 1
                return web.Response(
                    status=429,
                    body=TYK_RATE_LIMIT_BODY,
                    content_type="application/json",
                    headers={hdrs.RETRY_AFTER: str(wait)},
                )
        return None

    def _authenticate(self, request: web.Request, trace_id: str, path: str) -> web.Response | None:
        header = request.headers.get(hdrs.AUTHORIZATION)
        if header is None:
            return self._unauthorized("unauthorized", "Authorization field missing", trace_id, path)
        if header[:7].lower() == "bearer ":
            problem = self._oauth.bearer_problem(header[7:].strip())
            return None if problem is None else self._unauthorized(*problem, trace_id, path)
        if hmac.compare_digest(header.encode(), self._api_key.encode()):
            return None
        return self._unauthorized("unauthorized", "Invalid credentials", trace_id, path)

    def _unauthorized(self, code: str, detail: str, trace_id: str, path: str) -> web.Response:
        if self._auth_failures is not None:
            wait = self._auth_failures.check(time.monotonic())
            if wait is not None:
                self.stats.auth_throttled += 1
                response = error_response(
                    429, "too_many_requests", "Too many failed authentications", trace_id, path
                )
                response.headers[hdrs.RETRY_AFTER] = str(wait)
                return response
        return error_response(401, code, detail, trace_id, path)
