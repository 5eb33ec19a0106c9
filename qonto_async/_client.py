from __future__ import annotations

import copy
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload

import aiohttp
from yarl import URL

from ._http.answers import public_url
from ._http.auth import (
    OAUTH_TOKEN_URL,
    OAUTH_TOKEN_URL_SANDBOX,
    Auth,
    OAuthAuth,
    OAuthCredentials,
    Redacted,
    StaticAuth,
    TokenRefreshHook,
)
from ._http.ratelimit import Gate, RateGate
from ._http.request import Params, send
from ._http.retry import RetryPolicy
from ._http.stats import ClientStats
from ._http.token_store import TokenStore
from ._http.transport import Transport
from ._version import __version__
from .resources import (
    AttachmentsResource,
    BankAccountsResource,
    ClientInvoicesResource,
    ClientInvoiceUploadsResource,
    ClientsResource,
    CreditNotesResource,
    LabelsResource,
    MembershipsResource,
    OrganizationResource,
    QuotesResource,
    StatementsResource,
    SupplierInvoicesResource,
    TransactionAttachmentsResource,
    TransactionsResource,
    WebhookSubscriptionsResource,
)

__all__ = ["PRODUCTION_URL", "SANDBOX_URL", "QontoClient"]

PRODUCTION_URL = "https://thirdparty.qonto.com"
SANDBOX_URL = "https://thirdparty-sandbox.staging.qonto.co"

logger = logging.getLogger("qonto_async")

# Qonto's second limit (10,000 requests per 10 minutes), with a margin for clocks and for
# other clients on the same IP address.
TEN_MINUTE_BUDGET = 9_500


T = TypeVar("T")


class QontoClient:
    """An asyncio client for the Qonto Business API.

    Use it as ``async with QontoClient(...) as qonto:`` or call :meth:`aclose` when done.
    One client holds one connection pool, one concurrency cap and one rate limiter: share
    it across the tasks of a process rather than creating one per request.

    Client-side limits: ``requests_per_second`` (GCRA, one second of burst) and
    ``requests_per_10_minutes`` keep a job under Qonto's 1,000 requests / 10 s and
    10,000 / 10 min; ``None`` turns either off. ``rate_limiter=False`` turns client-side
    limiting off entirely, for callers that limit elsewhere (a 429 still pauses the client
    for its ``Retry-After``); ``rate_limiter=RedisRateLimiter(url)`` (from
    ``qonto_async.redis``) shares one budget and one 429 pause among every process using
    that Redis and key. A wait of more than a second logs one INFO line and counts in
    :attr:`stats`.
    """

    def __init__(
        self,
        login: str | None = None,
        secret_key: str | None = None,
        *,
        access_token: str | None = None,
        oauth: OAuthCredentials | None = None,
        staging_token: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_concurrency: int = 16,
        requests_per_second: float | None = 90.0,
        requests_per_10_minutes: int | None = TEN_MINUTE_BUDGET,
        rate_limiter: Literal[False] | Gate | None = None,
        session: aiohttp.ClientSession | None = None,
        on_token_refresh: TokenRefreshHook | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        # Whatever may be a credential (a base URL may embed one) is Redacted before anything
        # can raise: a refusal keeps this frame's locals, which pytest -l, Sentry and rich's
        # show_locals record. Nor is os.environ a local: its repr shows every variable.
        secret_key, access_token = _redacted(secret_key), _redacted(access_token)
        staging_token = _redacted(staging_token or os.environ.get("QONTO_STAGING_TOKEN"))
        base_url = _redacted(base_url or os.environ.get("QONTO_BASE_URL"))
        if base_url is None:
            base_url = SANDBOX_URL if staging_token else PRODUCTION_URL
        self._base_url = normalise_base_url(base_url)
        self._sandbox = staging_token is not None
        self._transport = Transport(
            base_url=self._base_url,
            auth=self._resolve_auth(
                login, secret_key, access_token, oauth, on_token_refresh, token_store
            ),
            staging_token=staging_token,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            max_concurrency=max_concurrency,
            gate=_gate(rate_limiter, requests_per_second, requests_per_10_minutes),
            session=session,
            user_agent=f"qonto-async/{__version__} aiohttp/{aiohttp.__version__}",
        )
        self._bind_resources()

    def _bind_resources(self) -> None:
        self.clients = ClientsResource(self._transport)
        self.client_invoices = ClientInvoicesResource(self._transport)
        self.supplier_invoices = SupplierInvoicesResource(self._transport)
        self.client_invoice_uploads = ClientInvoiceUploadsResource(self._transport)
        self.attachments = AttachmentsResource(self._transport)
        self.quotes = QuotesResource(self._transport)
        self.credit_notes = CreditNotesResource(self._transport)
        self.webhook_subscriptions = WebhookSubscriptionsResource(self._transport)
        self.organization = OrganizationResource(self._transport)
        self.bank_accounts = BankAccountsResource(self._transport)
        self.transactions = TransactionsResource(self._transport)
        self.transaction_attachments = TransactionAttachmentsResource(self._transport)
        self.labels = LabelsResource(self._transport)
        self.memberships = MembershipsResource(self._transport)
        self.statements = StatementsResource(self._transport)

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> QontoClient:
        """This client with another ``timeout`` or ``max_retries``, or ``extra_headers`` sent
        with every request, for the calls made through it (lists and ``get_many`` included),
        e.g. ``await qonto.with_options(timeout=5, max_retries=0).clients.get(id)`` in a
        request handler that must answer fast. It shares the connection pool, the rate
        limiter, the concurrency cap, the credentials and :attr:`stats`; closing it closes
        nothing (close the client it came from).
        """
        clone = copy.copy(self)
        clone._transport = self._transport.derive(
            timeout=timeout, max_retries=max_retries, extra_headers=extra_headers
        )
        clone._bind_resources()
        return clone

    def _resolve_auth(
        self,
        login: str | None,
        secret_key: str | None,
        access_token: str | None,
        oauth: OAuthCredentials | None,
        on_token_refresh: TokenRefreshHook | None,
        token_store: TokenStore | None,
    ) -> Auth:
        if on_token_refresh is not None and oauth is None:
            raise ValueError("on_token_refresh only applies with oauth=OAuthCredentials(...)")
        if oauth is not None:
            return OAuthAuth(
                oauth,
                post_form=lambda url, form: self._transport.post_form(url, form),
                default_token_url=OAUTH_TOKEN_URL_SANDBOX if self._sandbox else OAUTH_TOKEN_URL,
                on_token_refresh=on_token_refresh,
                token_store=token_store,
            )
        if token_store is not None:
            raise ValueError("token_store= shares OAuth tokens: it needs oauth=")
        if access_token:
            return StaticAuth.bearer(access_token)
        explicit = login or secret_key
        login = login or os.environ.get("QONTO_LOGIN")
        secret_key = _redacted(secret_key or os.environ.get("QONTO_SECRET_KEY"))
        if login and secret_key:
            return StaticAuth.api_key(login, secret_key)
        if explicit:
            missing = "secret_key (or QONTO_SECRET_KEY)" if login else "login (or QONTO_LOGIN)"
            raise ValueError(
                f"API-key credentials need a login and a secret key: {missing} is missing"
            )
        if env_token := _redacted(os.environ.get("QONTO_ACCESS_TOKEN")):
            return StaticAuth.bearer(env_token)
        raise ValueError(
            "no Qonto credentials: pass login= and secret_key=, access_token= or oauth=, "
            "or set QONTO_LOGIN and QONTO_SECRET_KEY (or QONTO_ACCESS_TOKEN)"
        )

    @property
    def base_url(self) -> str:
        return self._base_url

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        cast_to: type[T],
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> T: ...

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        cast_to: None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Any: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        cast_to: Any = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Call an endpoint the SDK does not wrap yet, e.g.
        ``await qonto.request("GET", "/v2/transactions", params={"iban": iban})``.

        The answer is decoded into ``cast_to`` (a msgspec Struct, a ``dict``...) or, without
        it, into plain JSON values; an empty answer (204) is ``None``. ``json`` is the body
        (msgspec-encodable: Structs, dicts, ``Decimal``, dates). A write (anything but GET)
        carries an ``X-Qonto-Idempotency-Key``, generated when not given and the same on every
        retry, so it is retried like a read and happens once. ``extra_headers`` cannot replace
        the credentials. Failures are the SDK's typed errors.
        """
        return await send(
            self._transport,
            method,
            path,
            params=params,
            json=json,
            cast_to=cast_to,
            idempotency_key=idempotency_key,
            extra_headers=extra_headers,
        )

    @property
    def stats(self) -> ClientStats:
        """Requests sent, retries, 429s seen and requests that failed, since creation."""
        return self._transport.stats

    def _use_clock(
        self,
        clock: Callable[[], float],
        retry_sleep: Callable[[float], Awaitable[None]],
        gate_sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        """Wait and measure with these: ``qonto_async.testing.VirtualClock.install``."""
        self._transport.retrier.sleep = retry_sleep
        self._transport.gate.use_clock(clock, gate_sleep)

    @property
    def max_concurrency(self) -> int:
        return self._transport.max_concurrency

    @property
    def requests_in_flight(self) -> int:
        """Requests holding one of the ``max_concurrency`` slots right now."""
        return self._transport.slots.in_use

    @property
    def oauth_credentials(self) -> OAuthCredentials | None:
        """The current OAuth credentials (rotated after each refresh), if OAuth is used."""
        auth = self._transport.auth
        return auth.credentials if isinstance(auth, OAuthAuth) else None

    @property
    def is_closed(self) -> bool:
        return self._transport.closed

    async def aclose(self) -> None:
        """Close the connection pool (an injected session is left open)."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        transport = getattr(self, "_transport", None)  # None in a frame of a failed __init__
        if transport is None:
            return "QontoClient(<not constructed>)"
        return (
            f"QontoClient(base_url={self._base_url!r}, auth={transport.auth!r}, "
            f"sandbox={self._sandbox})"
        )


def _gate(
    limiter: Literal[False] | Gate | None, per_second: float | None, per_10_minutes: int | None
) -> Gate:
    if limiter is None:
        return RateGate(per_second, window_requests=per_10_minutes)
    if limiter is False:
        return RateGate(None)
    return limiter


def _redacted(value: str | None) -> str | None:
    return Redacted(value) if value else None


def normalise_base_url(base_url: str) -> str:
    """``base_url`` checked and without a trailing slash or ``/v2`` (the SDK adds ``/v2``).

    User info (``user:password@``) is refused: credentials are the client's arguments, and
    aiohttp would refuse every request anyway (it sends none beside an ``Authorization``
    header). Neither a message nor a local of a frame that raises shows it.
    """
    checked = _checked_base_url(base_url)
    del base_url
    if isinstance(checked, str):
        raise ValueError(checked)
    path = checked.path.rstrip("/")
    if path == "/v2" or path.endswith("/v2"):
        path = path[: -len("/v2")]
        logger.debug("base_url %s ends with /v2, which the SDK adds itself: dropped it", checked)
    return str(checked.with_path(path or "/")).rstrip("/")


def _checked_base_url(base_url: str) -> URL | str:
    """The parsed ``base_url``, or why it is refused (never raises: the caller raises, once
    no frame of the call holds the URL)."""
    example = "e.g. 'https://thirdparty.qonto.com' or 'http://127.0.0.1:8080'"
    try:
        url: URL | None = URL(base_url.strip())
    except (TypeError, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        return (
            f"base_url must be an absolute http(s) URL, everything before /v2 ({example}), "
            f"not {_shown_base_url(base_url, url)}"
        )
    if url.user is not None or url.password is not None:
        return (
            "base_url must not carry user info (user:password@): pass credentials as "
            "login=/secret_key=, access_token= or oauth=, and base_url as "
            f"{_shown_base_url(base_url, url)}"
        )
    if url.query_string or url.fragment:
        return (
            f"base_url takes no query string or fragment ({example}); without them it is "
            f"{_shown_base_url(base_url, url)}"
        )
    return url


def _shown_base_url(text: str, url: URL | None) -> str:
    """A refused base URL as its message may echo it: no user info, query or fragment."""
    if url is not None and url.host:
        return repr(public_url(url.with_fragment(None), keep_query=False))
    if "@" not in text:
        return repr(text.strip().partition("?")[0].partition("#")[0])
    return "that URL (not shown: it may hold credentials)"
