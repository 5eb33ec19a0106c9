"""Credentials: API key, static bearer token, OAuth 2 with refresh.

Each scheme answers one question for the transport, "what is the Authorization header now?",
and OAuth also answers "a 401 came back for this header: is a retry worth it?".

Every credential value the SDK handles is a :class:`Redacted` string: it sends as itself but
``repr()`` shows ``'<redacted>'``, so a header dict, a form or a request record that ends up
in a traceback's frame locals (``pytest -l``, Sentry, rich's ``show_locals``) or in aiohttp's
``RequestInfo`` gives nothing away. A token URL is shown (in ``repr`` and messages) without
its user info or query, which may hold credentials too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import msgspec
from yarl import URL

from ..errors import APIResponseValidationError, AuthenticationError, ErrorDetail
from .answers import public_url
from .token_store import StoredTokens, TokenStore

__all__ = [
    "OAUTH_TOKEN_URL",
    "OAUTH_TOKEN_URL_SANDBOX",
    "Auth",
    "OAuthAuth",
    "OAuthCredentials",
    "PostForm",
    "Redacted",
    "StaticAuth",
    "TokenRefreshHook",
]

logger = logging.getLogger("qonto_async")

OAUTH_TOKEN_URL = "https://oauth.qonto.com/oauth2/token"
OAUTH_TOKEN_URL_SANDBOX = "https://oauth-sandbox.staging.qonto.co/oauth2/token"

# Refresh this long before the access token's announced expiry, so a request never leaves
# with a token that dies in flight.
REFRESH_MARGIN = dt.timedelta(seconds=60)


class Redacted(str):
    """A secret string: equal to, and sent as, its value; never shown by ``repr()``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


@dataclasses.dataclass(frozen=True, kw_only=False)
class OAuthCredentials:
    """OAuth 2 credentials; after a refresh the SDK hands a new instance to ``on_token_refresh``.

    ``expires_at`` must be timezone-aware. Secrets never appear in ``repr``.
    """

    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    refresh_token: str = dataclasses.field(repr=False)
    access_token: str | None = dataclasses.field(default=None, repr=False)
    expires_at: dt.datetime | None = None
    token_url: str | None = None

    def __post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("OAuthCredentials.expires_at must be a timezone-aware datetime")
        for name in ("client_id", "client_secret", "refresh_token"):
            if not getattr(self, name):
                raise ValueError(f"OAuthCredentials.{name} must not be empty")

    def __repr__(self) -> str:
        token_url = None if self.token_url is None else shown_url(self.token_url)
        return (
            f"OAuthCredentials(client_id={self.client_id!r}, expires_at={self.expires_at!r}, "
            f"token_url={token_url!r})"
        )


def shown_url(url: str) -> str:
    """``url`` as a message or a ``repr`` may show it: no user info, no query."""
    try:
        return public_url(URL(url), keep_query=False)
    except (TypeError, ValueError):
        return "<unparsable URL>"


TokenRefreshHook = Callable[[OAuthCredentials], "Awaitable[None] | None"]
PostForm = Callable[[str, dict[str, str]], Awaitable[tuple[int, bytes, str | None]]]


class Auth(Protocol):
    kind: str
    static_authorization: str | None
    """The header when it never changes (API key, bearer): the transport skips the await."""

    async def authorization(self) -> str: ...

    async def should_retry_unauthorized(self, sent: str) -> bool: ...


class StaticAuth:
    """A header that never changes: an API key (``login:secret_key``) or a bearer token."""

    def __init__(self, kind: str, header: str, shown: str) -> None:
        self.kind = kind
        self.static_authorization: str | None = Redacted(header)
        self._shown = shown

    @classmethod
    def api_key(cls, login: str, secret_key: str) -> StaticAuth:
        return cls("api_key", f"{login}:{secret_key}", f"ApiKeyAuth(login={login!r})")

    @classmethod
    def bearer(cls, access_token: str) -> StaticAuth:
        return cls("bearer", f"Bearer {access_token}", "BearerAuth()")

    async def authorization(self) -> str:
        assert self.static_authorization is not None
        return self.static_authorization

    async def should_retry_unauthorized(self, sent: str) -> bool:
        return False

    def __repr__(self) -> str:
        return self._shown


class _TokenAnswer(msgspec.Struct, frozen=True):
    access_token: str
    expires_in: float | None = None
    refresh_token: str | None = None

    def __repr__(self) -> str:
        return f"_TokenAnswer(expires_in={self.expires_in!r})"


class _OAuthErrorBody(msgspec.Struct, frozen=True):
    error: str | None = None
    error_description: str | None = None


_token_decoder = msgspec.json.Decoder(_TokenAnswer)
_oauth_error_decoder = msgspec.json.Decoder(_OAuthErrorBody)


class OAuthAuth:
    """Bearer auth that refreshes itself.

    A refresh happens before expiry, at most once at a time whatever the number of concurrent
    callers (the lock plus the "is the token still the one I saw?" check), and once more after
    a 401 for a token that has not been replaced since.
    """

    kind = "oauth"
    static_authorization: str | None = None

    def __init__(
        self,
        credentials: OAuthCredentials,
        *,
        post_form: PostForm,
        default_token_url: str,
        on_token_refresh: TokenRefreshHook | None = None,
        now: Callable[[], dt.datetime] | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        self._store = token_store
        self._adopted = token_store is None  # without a store there is nothing to adopt
        self._credentials = credentials
        self._post_form = post_form
        self._token_url = credentials.token_url or default_token_url
        self._shown_url = shown_url(self._token_url)
        self._on_token_refresh = on_token_refresh
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._lock = asyncio.Lock()

    @property
    def credentials(self) -> OAuthCredentials:
        return self._credentials

    def _is_fresh(self) -> bool:
        creds = self._credentials
        if not creds.access_token:
            return False
        if creds.expires_at is None:
            return True
        return self._now() + REFRESH_MARGIN < creds.expires_at

    async def authorization(self) -> str:
        if not self._is_fresh() or not self._adopted:
            seen = self._credentials  # the object, not the token: no secret in a frame local
            async with self._lock:
                if self._store is not None and not self._adopted:
                    self._adopt(await self._store.load(self._credentials.client_id))
                    self._adopted = True
                if self._credentials is seen and not self._is_fresh():
                    await self._refresh_once(rejected=None)
        return Redacted(f"Bearer {self._credentials.access_token}")

    async def should_retry_unauthorized(self, sent: str) -> bool:
        async with self._lock:
            if f"Bearer {self._credentials.access_token}" == sent:
                await self._refresh_once(rejected=sent)
        return True

    def _usable(self, rejected: str | None) -> bool:
        if rejected is not None:
            return f"Bearer {self._credentials.access_token}" != rejected and self._is_fresh()
        return self._is_fresh()

    async def _refresh_once(self, *, rejected: str | None) -> None:
        """Refresh, unless the shared store already holds a usable token (another process
        refreshed); with a store, under its lock, saving before letting go."""
        store = self._store
        if store is None:
            await self._refresh()
            return
        client_id = self._credentials.client_id
        self._adopt(await store.load(client_id))
        if self._usable(rejected):
            return
        async with store.lock(client_id):
            self._adopt(await store.load(client_id))
            if self._usable(rejected):
                return
            await self._refresh()
            creds = self._credentials
            assert creds.access_token is not None
            await store.save(
                client_id, StoredTokens(creds.access_token, creds.refresh_token, creds.expires_at)
            )

    def _adopt(self, stored: StoredTokens | None) -> None:
        """Take the store's tokens (newer than ours whenever they differ: only refreshes,
        under the lock, write them)."""
        creds = self._credentials
        if stored is None or (
            stored.access_token == creds.access_token
            and stored.refresh_token == creds.refresh_token
        ):
            return
        self._credentials = dataclasses.replace(
            creds,
            access_token=stored.access_token,
            refresh_token=stored.refresh_token,
            expires_at=stored.expires_at,
        )

    async def _refresh(self) -> None:
        self._credentials = await self._exchange(self._credentials)
        logger.debug("OAuth access token refreshed (expires_at=%s)", self._credentials.expires_at)
        if self._on_token_refresh is not None:
            outcome = self._on_token_refresh(self._credentials)
            if inspect.isawaitable(outcome):
                await outcome

    async def _exchange(self, creds: OAuthCredentials) -> OAuthCredentials:
        """Spend the refresh token for new credentials.

        The answer's body holds the new tokens, so it never stays in a frame that raises:
        failures are raised after ``del``, outside any ``except`` (no ``__context__``).
        """
        form = {
            "grant_type": "refresh_token",
            "client_id": creds.client_id,
            "client_secret": Redacted(creds.client_secret),
            "refresh_token": Redacted(creds.refresh_token),
        }
        status, body, trace_id = await self._post_form(self._token_url, form)
        del form
        if status != 200:
            raise self._refresh_error(status, body, trace_id)
        answer: _TokenAnswer | None = None
        where = ""
        try:
            answer = _token_decoder.decode(body)
        except msgspec.DecodeError as exc:
            where = str(exc)
        del body
        if answer is None:
            raise APIResponseValidationError(
                status=status,
                body_excerpt="<token answer withheld>",
                where=f"OAuth token answer: {where}",
                method="POST",
                url=self._shown_url,
                trace_id=trace_id,
            )
        expires_at = (
            self._now() + dt.timedelta(seconds=answer.expires_in)
            if answer.expires_in is not None
            else None
        )
        return dataclasses.replace(
            creds,
            access_token=answer.access_token,
            refresh_token=answer.refresh_token or creds.refresh_token,
            expires_at=expires_at,
        )

    def _refresh_error(self, status: int, body: bytes, trace_id: str | None) -> AuthenticationError:
        try:
            err = _oauth_error_decoder.decode(body)
            code, detail = err.error, err.error_description
        except msgspec.DecodeError:
            code, detail = None, None
        return AuthenticationError(
            status=status,
            method="POST",
            url=self._shown_url,
            errors=[ErrorDetail(code=code or "token_refresh_failed", detail=detail)],
            trace_id=trace_id,
        )

    def __repr__(self) -> str:
        return (
            f"OAuthAuth(client_id={self._credentials.client_id!r}, token_url={self._shown_url!r})"
        )
