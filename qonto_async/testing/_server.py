"""``FakeQonto``: an aiohttp.web application that answers like Qonto's Business API."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import dataclasses
import datetime as dt
import hmac
import math
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import quote

import msgspec
from aiohttp import BodyPartReader, hdrs, web
from multidict import MultiDict

from ._data import DEFAULT_NOW, Dataset, Upload, ts_offset, uuid4
from ._faults import (
    QONTO_RATE_LIMITS,
    FaultAction,
    Faults,
    FaultState,
    RateLimit,
    SlidingWindowLimiter,
    format_retry_after,
)
from ._query import Filters, ParamError, parse_list_query, select

__all__ = ["Download", "FakeQonto", "Stats"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_encode = msgspec.json.Encoder().encode
_TRACE_ID = web.RequestKey("trace_id", str)
# (resource, ids) of the records an answer delivers, counted once the answer went out whole
_SERVED = web.RequestKey("served", tuple[str, Sequence[str]])

IDEMPOTENCY_KEY = "X-Qonto-Idempotency-Key"
UPLOAD_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
_MAGIC = ((b"%PDF", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"))
_SIGNED_URL_TTL = 1800
_SELECTION_CACHE = 64
_RESOURCES = ("clients", "client_invoices", "supplier_invoices")
# Qonto throttles a caller after more than 200 answers with status 401 in an hour.
AUTH_FAILURE_LIMIT = RateLimit(200, 3600.0)

_STATUS_CODES = {
    500: ("internal_server_error", "An internal server error occurred"),
    502: ("bad_gateway", "The server received an invalid response from an upstream server"),
    503: ("service_unavailable", "The service is temporarily unavailable"),
    504: ("gateway_timeout", "The upstream server did not answer in time"),
}
# Tyk, the gateway in front of Qonto, answers its own rate limit with this body.
_TYK_RATE_LIMIT_BODY = b'{\n    "error": "API Rate limit exceeded"\n}'
_STAGING_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Qonto | Sign in</title></head>
<body>
<main><h1>Sign in to Qonto</h1>
<form method="post" action="/sso/login"><input type="email" name="email">
<input type="password" name="password"><button type="submit">Sign in</button></form></main>
</body>
</html>
"""


def _proxy_page(status: int) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


def _s3_error(status: int, code: str, message: str) -> web.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


@dataclasses.dataclass(frozen=True)
class Download:
    """One GET of a signed file URL, as the fake saw it."""

    path: str
    authorization: bool  # did the request carry an Authorization header?
    status: int


class Stats:
    """What the fake served. ``reset()`` starts over (the data and tokens stay).

    - ``requests``: ``Counter`` of ``(route, status)``; ``route`` is ``"GET /v2/clients/{id}"``
      style, ``status`` 0 for a dropped connection (a truncated answer counts with its status).
    - ``served``: per resource (``clients``, ``client_invoices``, ``supplier_invoices``,
      ``client_invoice_uploads``, ``attachments``) a ``Counter`` of ids delivered in complete
      2xx answers, by list or by id.
    - ``faults``: ``Counter`` by ``FaultAction.label`` (``"503"``, ``"502:html"``, ``"429"``,
      ``"drop"``, ``"truncate"``, ``"html"``...).
    - ``rate_limited``: 429s sent by the rate limiter; ``auth_throttled``: 429s sent for too
      many 401s; ``staging_rejections``: HTML pages sent for a missing staging token.
    - ``token_refreshes``, ``tokens_issued``, ``uploads_created``, ``idempotency_keys`` (the
      ``X-Qonto-Idempotency-Key`` of every request that carried one, faulted ones included,
      in arrival order), ``downloads``.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: collections.Counter[tuple[str, int]] = collections.Counter()
        self.served: collections.defaultdict[str, collections.Counter[str]] = (
            collections.defaultdict(collections.Counter)
        )
        self.faults: collections.Counter[str] = collections.Counter()
        self.rate_limited = 0
        self.auth_throttled = 0
        self.staging_rejections = 0
        self.token_refreshes = 0
        self.tokens_issued = 0
        self.uploads_created = 0
        self.idempotency_keys: list[str] = []
        self.downloads: list[Download] = []

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def count(self, route: str | None = None, status: int | None = None) -> int:
        """Requests answered, optionally only for ``route`` (exact, or a ``"GET /v2/x"``
        prefix ending in ``*``) and/or ``status``."""
        total = 0
        for (r, s), n in self.requests.items():
            if status is not None and s != status:
                continue
            prefix = route is not None and route.endswith("*") and r.startswith(route[:-1])
            if route is not None and r != route and not prefix:
                continue
            total += n
        return total

    @property
    def too_many_requests(self) -> int:
        """Every 429 sent: rate limiter, auth throttling and injected faults."""
        return self.count(status=429)

    @property
    def faults_injected(self) -> int:
        return sum(self.faults.values())

    def duplicates(self, resource: str) -> dict[str, int]:
        """Ids of ``resource`` served more than once, with their counts."""
        return {rid: n for rid, n in self.served[resource].items() if n > 1}

    def __repr__(self) -> str:
        return (
            f"Stats(requests={self.total_requests}, faults={dict(self.faults)}, "
            f"rate_limited={self.rate_limited}, token_refreshes={self.token_refreshes})"
        )


class FakeQonto:
    """A local Qonto Business API on 127.0.0.1, for tests, benchmarks and demos.

    ``async with FakeQonto(seed=0, client_invoices=500) as fake:`` serves on a free port;
    point the SDK at ``fake.base_url`` with ``fake.login`` / ``fake.secret_key`` (or OAuth:
    ``fake.token_url``, ``fake.client_id``, ``fake.client_secret``, ``fake.refresh_token``).
    Data, trace ids, tokens and fault draws all derive from ``seed``.

    ``latency`` (seconds) is added to every ``/v2`` request; ``faults`` (:class:`Faults`) can
    be swapped at any time; ``rate_limit`` is one or several :class:`RateLimit` (Qonto's
    1,000 / 10 s and 10,000 / 10 min by default; ``None`` disables it). ``staging_token``
    makes ``/v2`` demand a matching ``X-Qonto-Staging-Token``, answering an HTML login page
    otherwise (``staging_status`` 200 or 401, or 302 to redirect to that page).
    ``upload_envelope`` picks the shape of ``GET /v2/client_invoices/uploads/{id}``: the
    JSON:API ``"data"`` envelope (default) or ``"client_invoice_upload"``.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clients: int = 20,
        client_invoices: int = 200,
        supplier_invoices: int = 200,
        uploads: int = 3,
        latency: float = 0.0,
        faults: Faults | None = None,
        rate_limit: RateLimit | Sequence[RateLimit] | None = QONTO_RATE_LIMITS,
        staging_token: str | None = None,
        staging_status: Literal[200, 302, 401] = 200,
        host: str = "127.0.0.1",
        port: int = 0,
        login: str | None = None,
        secret_key: str | None = None,
        max_per_page: int | Mapping[str, int] = 100,
        default_per_page: int = 100,
        upload_envelope: Literal["data", "client_invoice_upload"] = "data",
        access_token_ttl: float = 3600.0,
        refresh_token_grace: float = 60.0,
        auth_failure_limit: RateLimit | None = AUTH_FAILURE_LIMIT,
        now: dt.datetime = DEFAULT_NOW,
    ) -> None:
        if latency < 0:
            raise ValueError("latency must be >= 0")
        if staging_status not in (200, 302, 401):
            raise ValueError("staging_status must be 200, 302 or 401")
        if upload_envelope not in ("data", "client_invoice_upload"):
            raise ValueError("upload_envelope must be 'data' or 'client_invoice_upload'")
        self.seed = seed
        self.dataset = Dataset(
            seed=seed,
            clients=clients,
            client_invoices=client_invoices,
            supplier_invoices=supplier_invoices,
            uploads=uploads,
            now=now,
        )
        self.latency = latency
        self.staging_token = staging_token
        self.staging_status = staging_status
        self.upload_envelope = upload_envelope
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        secrets = random.Random(f"{seed}:credentials")
        self.login = login or f"fake-org-{seed}"
        self.secret_key = secret_key or f"{secrets.getrandbits(128):032x}"
        self.client_id = f"fake-client-{seed}"
        self.client_secret = f"{secrets.getrandbits(128):032x}"
        self._api_key = f"{self.login}:{self.secret_key}"
        if isinstance(max_per_page, int):
            self._max_per_page = dict.fromkeys(_RESOURCES, max_per_page)
        else:
            self._max_per_page = {name: max_per_page.get(name, 100) for name in _RESOURCES}
        self._default_per_page = default_per_page
        if isinstance(rate_limit, RateLimit):
            rate_limit = (rate_limit,)
        self._limiter = SlidingWindowLimiter(rate_limit) if rate_limit else None
        self._auth_failures = (
            SlidingWindowLimiter((auth_failure_limit,)) if auth_failure_limit else None
        )
        self.stats = Stats()
        self._fault_state: FaultState | None = None
        self.faults = faults
        self._trace_prefix = f"{random.Random(f'{seed}:trace').getrandbits(64):016x}"
        self._trace_counter = 0
        self._selections: collections.OrderedDict[
            tuple[str, Filters, tuple[str, bool]], list[int]
        ] = collections.OrderedDict()
        # OAuth: token -> monotonic expiry (refresh tokens: None while current).
        self.access_token_ttl = access_token_ttl
        self.refresh_token_grace = refresh_token_grace
        self._oauth_rng = random.Random(f"{seed}:oauth")
        self._access_tokens: dict[str, float] = {}
        self._refresh_tokens: dict[str, float | None] = {}
        self.refresh_token = self._new_refresh_token()
        self.access_token = self._new_access_token()
        self._runtime_rng = random.Random(f"{seed}:runtime")
        self._idempotent_uploads: dict[str, str] = {}
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
            sock.bind((self.host, self._requested_port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        self._runner = runner

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeQonto:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @contextlib.contextmanager
    def running_in_thread(self, timeout: float = 10.0) -> Iterator[FakeQonto]:
        """Serve from a private event loop in a background thread, for synchronous code
        (a CLI test, a sync test suite): ``with FakeQonto().running_in_thread() as fake:``.

        Set ``faults`` between requests, not while a request is in flight.
        """
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-qonto", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout)
            try:
                yield self
            finally:
                asyncio.run_coroutine_threadsafe(self.close(), loop).result(timeout)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            loop.close()

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

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired (the next bearer call gets a 401)."""
        for token in self._access_tokens:
            self._access_tokens[token] = 0.0

    def ids(self, resource: str) -> list[str]:
        """Ids of ``clients``, ``client_invoices``, ``supplier_invoices``,
        ``client_invoice_uploads`` or ``attachments``, in creation order."""
        if resource == "client_invoice_uploads":
            return list(self.dataset.uploads)
        if resource == "attachments":
            return list(self.dataset.attachments)
        return list(self.dataset.tables[resource].ids)

    def record(self, resource: str, record_id: str) -> dict[str, Any]:
        """The JSON object the API returns for one client, client or supplier invoice."""
        table = self.dataset.tables[resource]
        return msgspec.json.decode(table.encoded(table.index[record_id]))  # type: ignore[no-any-return]

    def count(self, resource: str, **params: str) -> int:
        """How many records a list request with these query parameters would return in total.

        ``params`` are raw query parameters with brackets spelled out, e.g.
        ``fake.count("client_invoices", **{"filter[status]": "paid,unpaid"})``.
        """
        query = parse_list_query(
            resource,
            MultiDict(params),
            max_per_page=self._max_per_page[resource],
            default_per_page=1,
        )
        return len(self._select(resource, query.filters, query.sort))

    def warm(self, *resources: str) -> None:
        """Encode every record of ``resources`` (all by default) now, so that later answers
        cost nothing but a join: for benchmarks, before the timed part. Memory: about 4 KB per
        client invoice, 1.7 KB per supplier invoice, 1 KB per client."""
        for name in resources or _RESOURCES:
            table = self.dataset.tables[name]
            for i in range(len(table)):
                table.encoded(i)

    # -- application -------------------------------------------------------------------------

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        add = app.router.add_route
        for name in _RESOURCES:
            add("GET", f"/v2/{name}", self._list_handler(name))
        add("GET", "/v2/clients/{id}", self._get_handler("clients"))
        add("GET", "/v2/client_invoices/uploads/{id}", self._get_upload)
        add("POST", "/v2/client_invoices/uploads", self._create_upload)
        add("GET", "/v2/client_invoices/{id}", self._get_handler("client_invoices"))
        add("GET", "/v2/supplier_invoices/{id}", self._get_handler("supplier_invoices"))
        add("GET", "/v2/attachments/{id}", self._get_attachment)
        add("POST", "/oauth2/token", self._token)
        add("GET", "/files/{kind}/{id}/{filename}", self._download)
        add("GET", "/sso/login", self._login_page)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self._trace_counter += 1
        trace_id = f"{self._trace_prefix}{self._trace_counter:016x}"
        request[_TRACE_ID] = trace_id
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
        if response is None and action is not None and action.kind != "truncate":
            self.stats.faults[action.label] += 1
            if action.kind == "drop":
                self.stats.requests[(route, 0)] += 1
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=500)  # never written: the transport is gone
            response = self._fault_response(action, trace_id, path)
        if response is None and api:
            response = self._authenticate(request, trace_id, path)
        if response is None:
            try:
                response = await handler(request)
            except web.HTTPException as exc:
                if not api or exc.status != 404:
                    raise
                response = self._error(404, "not_found", "Route not found", trace_id, path)
        response.headers["X-Tyk-Trace-Id"] = trace_id
        self.stats.requests[(route, response.status)] += 1
        if action is not None and action.kind == "truncate":
            body = response.body if isinstance(response, web.Response) else None
            if isinstance(body, bytes) and len(body) > 1:
                self.stats.faults[action.label] += 1
                return await self._truncate(request, response, body, action.body)
        served = request.get(_SERVED)
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
            if self.staging_status == 302:
                return web.Response(status=302, headers={hdrs.LOCATION: "/sso/login"})
            return web.Response(
                status=self.staging_status, body=_STAGING_PAGE, content_type="text/html"
            )
        if self._limiter is not None:
            wait = self._limiter.check(time.monotonic())
            if wait is not None:
                self.stats.rate_limited += 1
                return web.Response(
                    status=429,
                    body=_TYK_RATE_LIMIT_BODY,
                    content_type="application/json",
                    headers={hdrs.RETRY_AFTER: str(wait)},
                )
        return None

    def _authenticate(self, request: web.Request, trace_id: str, path: str) -> web.Response | None:
        header = request.headers.get(hdrs.AUTHORIZATION)
        if header is None:
            return self._unauthorized("unauthorized", "Authorization field missing", trace_id, path)
        if header[:7].lower() == "bearer ":
            expiry = self._access_tokens.get(header[7:].strip())
            if expiry is None:
                return self._unauthorized("invalid_token", "Invalid access token", trace_id, path)
            if expiry <= time.monotonic():
                return self._unauthorized("token_expired", "Access token expired", trace_id, path)
            return None
        if hmac.compare_digest(header.encode(), self._api_key.encode()):
            return None
        return self._unauthorized("unauthorized", "Invalid credentials", trace_id, path)

    def _unauthorized(self, code: str, detail: str, trace_id: str, path: str) -> web.Response:
        if self._auth_failures is not None:
            wait = self._auth_failures.check(time.monotonic())
            if wait is not None:
                self.stats.auth_throttled += 1
                response = self._error(
                    429, "too_many_requests", "Too many failed authentications", trace_id, path
                )
                response.headers[hdrs.RETRY_AFTER] = str(wait)
                return response
        return self._error(401, code, detail, trace_id, path)

    def _fault_response(self, action: FaultAction, trace_id: str, path: str) -> web.Response:
        if action.kind == "throttle":
            response = self._error(429, "too_many_requests", "Rate limit exceeded", trace_id, path)
            retry_after = self.faults.retry_after if self.faults else 1
            if retry_after is not None:
                response.headers[hdrs.RETRY_AFTER] = format_retry_after(retry_after)
            return response
        if action.kind == "html" or action.body == "html":
            response = web.Response(
                status=action.status, body=_proxy_page(action.status), content_type="text/html"
            )
        elif action.body == "empty":
            response = web.Response(status=action.status, content_type="application/json")
        else:
            code, detail = _STATUS_CODES.get(action.status, ("server_error", "Server error"))
            response = self._error(action.status, code, detail, trace_id, path)
        retry_after = self.faults.error_retry_after if self.faults else None
        if action.kind == "error" and retry_after is not None:
            response.headers[hdrs.RETRY_AFTER] = format_retry_after(retry_after)
        return response

    async def _truncate(
        self, request: web.Request, response: web.StreamResponse, body: bytes, mode: str
    ) -> web.StreamResponse:
        headers = {k: v for k, v in response.headers.items() if k != hdrs.CONTENT_LENGTH}
        cut = len(body) // 2
        if mode == "json":
            return web.Response(status=response.status, body=body[:cut], headers=headers)
        stream = web.StreamResponse(status=response.status, headers=headers)
        stream.content_length = len(body)
        await stream.prepare(request)
        await stream.write(body[:cut])
        if request.transport is not None:
            request.transport.close()
        return stream

    def _error(
        self,
        status: int,
        code: str,
        detail: str,
        trace_id: str,
        path: str,
        *,
        parameter: str | None = None,
        pointer: str | None = None,
    ) -> web.Response:
        error: dict[str, Any] = {}
        if path.startswith("/v2/client_invoices"):
            error["status"] = str(status)  # as on Qonto's client-invoice pages
        error["code"] = code
        error["detail"] = detail
        if parameter is not None or pointer is not None:
            error["source"] = {
                k: v for k, v in (("pointer", pointer), ("parameter", parameter)) if v is not None
            }
        body = _encode({"errors": [error], "trace_id": trace_id})
        return web.Response(status=status, body=body, content_type="application/json")

    def _not_found(self, request: web.Request) -> web.Response:
        return self._error(
            404, "not_found", "Object not found", request[_TRACE_ID], request.path, parameter="id"
        )

    @staticmethod
    def _json(body: bytes, status: int = 200) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    # -- resources ---------------------------------------------------------------------------

    def _select(self, name: str, filters: Filters, sort: tuple[str, bool]) -> list[int]:
        key = (name, filters, sort)
        cached = self._selections.get(key)
        if cached is not None:
            self._selections.move_to_end(key)
            return cached
        indices = select(self.dataset, name, filters, sort)
        self._selections[key] = indices
        if len(self._selections) > _SELECTION_CACHE:
            self._selections.popitem(last=False)
        return indices

    def _list_handler(self, name: str) -> Handler:
        table = self.dataset.tables[name]
        opening = b'{"' + name.encode() + b'":['
        max_per_page = self._max_per_page[name]

        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                query = parse_list_query(
                    name,
                    request.query,
                    max_per_page=max_per_page,
                    default_per_page=min(self._default_per_page, max_per_page),
                )
            except ParamError as exc:
                return self._error(
                    exc.status,
                    exc.code,
                    exc.detail,
                    request[_TRACE_ID],
                    request.path,
                    parameter=exc.parameter,
                )
            indices = self._select(name, query.filters, query.sort)
            total, page, per_page = len(indices), query.page, query.per_page
            total_pages = math.ceil(total / per_page)
            chunk = indices[(page - 1) * per_page : page * per_page]
            meta = {
                "current_page": page,
                "next_page": page + 1 if page < total_pages else None,
                "prev_page": page - 1 if 1 < page <= total_pages else None,
                "total_pages": total_pages,
                "total_count": total,
                "per_page": per_page,
            }
            encoded = table.encoded
            body = b"".join(
                (opening, b",".join([encoded(i) for i in chunk]), b'],"meta":', _encode(meta), b"}")
            )
            ids = table.ids
            request[_SERVED] = (name, [ids[i] for i in chunk])
            return self._json(body)

        return handler

    def _get_handler(self, name: str) -> Handler:
        table = self.dataset.tables[name]
        opening = b'{"' + table.singular.encode() + b'":'

        async def handler(request: web.Request) -> web.StreamResponse:
            record_id = request.match_info["id"]
            i = table.index.get(record_id)
            if i is None:
                return self._not_found(request)
            request[_SERVED] = (name, (record_id,))
            return self._json(opening + table.encoded(i) + b"}")

        return handler

    def _upload_attributes(self, upload: Upload) -> dict[str, Any]:
        return {
            "id": upload.id,
            "organization_id": self.dataset.organization_id,
            "filename": upload.filename,
            "content_type": upload.content_type,
            "file_size": len(upload.content),
            "url": self._signed_url("uploads", upload.id, upload.filename),
            "created_at": upload.created_at,
            "updated_at": upload.updated_at,
        }

    async def _get_upload(self, request: web.Request) -> web.StreamResponse:
        upload = self.dataset.uploads.get(request.match_info["id"])
        if upload is None:
            return self._not_found(request)
        attributes = self._upload_attributes(upload)
        if self.upload_envelope == "data":
            data = {"type": "client_invoices_upload", "id": upload.id, "attributes": attributes}
            payload: dict[str, Any] = {"data": data}
        else:
            payload = {"client_invoice_upload": attributes}
        request[_SERVED] = ("client_invoice_uploads", (upload.id,))
        return self._json(_encode(payload))

    async def _create_upload(self, request: web.Request) -> web.StreamResponse:
        trace_id, path = request[_TRACE_ID], request.path
        key = request.headers.get(IDEMPOTENCY_KEY)
        content: bytes | None = None
        filename = declared = None
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if (
                    isinstance(part, BodyPartReader)
                    and part.name == "client_invoices_upload"
                    and content is None
                ):
                    content = bytes(await part.read(decode=True))
                    filename = part.filename
                    declared = part.headers.get(hdrs.CONTENT_TYPE)
                elif part is not None:
                    await part.release()
        if content is None:
            return self._error(
                422,
                "invalid",
                "client_invoices_upload is missing: send the file as multipart/form-data",
                trace_id,
                path,
                pointer="/client_invoices_upload",
            )
        content_type = _upload_content_type(declared, content)
        if content_type is None:
            return self._error(
                422,
                "invalid",
                "client_invoices_upload must be a PDF, JPEG or PNG file",
                trace_id,
                path,
                pointer="/client_invoices_upload",
            )
        # No await between this lookup and the store below: concurrent retries of one key
        # cannot both create an upload.
        if key is not None and key in self._idempotent_uploads:
            upload = self.dataset.uploads[self._idempotent_uploads[key]]
        else:
            stamp = ts_offset(int(time.time()))
            upload = Upload(
                id=uuid4(self._runtime_rng),
                filename=filename or "upload",
                content_type=content_type,
                content=content,
                created_at=stamp,
                updated_at=stamp,
            )
            self.dataset.uploads[upload.id] = upload
            self.stats.uploads_created += 1
            if key is not None:
                self._idempotent_uploads[key] = upload.id
        request[_SERVED] = ("client_invoice_uploads", (upload.id,))
        return self._json(_encode({"client_invoice_upload": self._upload_attributes(upload)}), 201)

    async def _get_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment_id = request.match_info["id"]
        if attachment_id not in self.dataset.attachments:
            return self._not_found(request)
        name, content, created = self.dataset.attachment_file(attachment_id)
        payload = {
            "attachment": {
                "id": attachment_id,
                "created_at": ts_offset(created),
                "file_name": name,
                "file_size": str(len(content)),
                "file_content_type": "application/pdf",
                "url": self._signed_url("attachments", attachment_id, name),
                "probative_attachment": {"status": "unavailable"},
            }
        }
        request[_SERVED] = ("attachments", (attachment_id,))
        return self._json(_encode(payload))

    # -- signed file URLs --------------------------------------------------------------------

    def _signed_url(self, kind: str, file_id: str, filename: str) -> str:
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        signature = self.dataset.sign(f"{kind}/{file_id}:{amz_date}:{_SIGNED_URL_TTL}")
        return (
            f"{self.base_url}/files/{kind}/{quote(file_id, safe='')}/{quote(filename, safe='')}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={amz_date}"
            f"&X-Amz-Expires={_SIGNED_URL_TTL}&X-Amz-SignedHeaders=host"
            f"&X-Amz-Signature={signature}"
        )

    async def _download(self, request: web.Request) -> web.StreamResponse:
        response = self._serve_file(request)
        self.stats.downloads.append(
            Download(request.path, hdrs.AUTHORIZATION in request.headers, response.status)
        )
        return response

    def _serve_file(self, request: web.Request) -> web.Response:
        kind, file_id = request.match_info["kind"], request.match_info["id"]
        if kind == "uploads" and file_id in self.dataset.uploads:
            upload = self.dataset.uploads[file_id]
            content, content_type = upload.content, upload.content_type
        elif kind == "attachments" and file_id in self.dataset.attachments:
            content, content_type = self.dataset.attachment_file(file_id)[1], "application/pdf"
        else:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        query = request.query
        amz_date = query.get("X-Amz-Date", "")
        expires = query.get("X-Amz-Expires", "")
        expected = self.dataset.sign(f"{kind}/{file_id}:{amz_date}:{expires}")
        if not hmac.compare_digest(query.get("X-Amz-Signature", ""), expected):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        if signed_at.timestamp() + int(expires) < time.time():
            return _s3_error(403, "AccessDenied", "Request has expired")
        if hdrs.AUTHORIZATION in request.headers:
            # S3 refuses a presigned URL that also carries an Authorization header.
            return _s3_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be "
                "specified",
            )
        return web.Response(body=content, content_type=content_type)

    async def _login_page(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=_STAGING_PAGE, content_type="text/html")

    # -- OAuth -------------------------------------------------------------------------------

    def _new_access_token(self) -> str:
        token = f"fake-at-{self._oauth_rng.getrandbits(160):040x}"
        self._access_tokens[token] = time.monotonic() + self.access_token_ttl
        self.stats.tokens_issued += 1
        return token

    def _new_refresh_token(self) -> str:
        token = f"fake-rt-{self._oauth_rng.getrandbits(160):040x}"
        self._refresh_tokens[token] = None
        return token

    async def _token(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get(hdrs.AUTHORIZATION, "")
        if basic[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(basic[6:]).decode()
                client_id, _, client_secret = decoded.partition(":")
            except ValueError:
                pass
        if client_id != self.client_id or client_secret != self.client_secret:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant = form.get("grant_type")
        if grant != "refresh_token":
            return _oauth_error(
                400, "unsupported_grant_type", "The authorization grant type is not supported"
            )
        refresh = form.get("refresh_token")
        now = time.monotonic()
        if not isinstance(refresh, str) or refresh not in self._refresh_tokens:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid")
        expiry = self._refresh_tokens[refresh]
        if expiry is not None and expiry <= now:
            return _oauth_error(400, "invalid_grant", "The refresh token has been rotated")
        # Rotation: the old refresh token stays valid for a short grace period.
        if expiry is None:
            self._refresh_tokens[refresh] = now + self.refresh_token_grace
        self.refresh_token = self._new_refresh_token()
        self.access_token = self._new_access_token()
        self.stats.token_refreshes += 1
        payload = {
            "access_token": self.access_token,
            "expires_in": int(self.access_token_ttl),
            "refresh_token": self.refresh_token,
            "scope": "offline_access organization.read client.read client_invoices.read "
            "client_invoice.write supplier_invoice.read attachment.read",
            "token_type": "bearer",
        }
        return web.Response(
            body=_encode(payload),
            content_type="application/json",
            headers={hdrs.CACHE_CONTROL: "no-store"},
        )


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    body = _encode({"error": error, "error_description": description})
    return web.Response(status=status, body=body, content_type="application/json")


def _upload_content_type(declared: str | None, content: bytes) -> str | None:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared in UPLOAD_CONTENT_TYPES:
        return declared
    if declared in ("", "application/octet-stream"):
        for magic, content_type in _MAGIC:
            if content.startswith(magic):
                return content_type
    return None
