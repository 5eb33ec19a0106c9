"""FakeQonto's OAuth 2 token endpoint and the tokens it has issued."""

from __future__ import annotations

import base64
import random
import time

import msgspec
from aiohttp import hdrs, web

from ._responses import oauth_error
from ._stats import Stats

__all__ = ["OAuthServer"]

_SCOPE = (
    "offline_access organization.read client.read client_invoices.read "
    "client_invoice.write supplier_invoice.read attachment.read"
)


class OAuthServer:
    """Issues access tokens (``access_token_ttl`` seconds) against rotating refresh tokens
    (the old one stays valid ``refresh_token_grace`` seconds), as Qonto's token endpoint."""

    def __init__(
        self,
        seed: int,
        *,
        client_id: str,
        client_secret: str,
        access_token_ttl: float,
        refresh_token_grace: float,
        stats: Stats,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.access_token_ttl = access_token_ttl
        self.refresh_token_grace = refresh_token_grace
        self._stats = stats
        self._rng = random.Random(f"{seed}:oauth")
        # token -> monotonic expiry (refresh tokens: None while current)
        self._access_tokens: dict[str, float] = {}
        self._refresh_tokens: dict[str, float | None] = {}
        self.refresh_token = self._new_refresh_token()
        self.access_token = self._new_access_token()

    def _new_access_token(self) -> str:
        token = f"fake-at-{self._rng.getrandbits(160):040x}"
        self._access_tokens[token] = time.monotonic() + self.access_token_ttl
        self._stats.tokens_issued += 1
        return token

    def _new_refresh_token(self) -> str:
        token = f"fake-rt-{self._rng.getrandbits(160):040x}"
        self._refresh_tokens[token] = None
        return token

    def expire_access_tokens(self) -> None:
        for token in self._access_tokens:
            self._access_tokens[token] = 0.0

    def bearer_problem(self, token: str) -> tuple[str, str] | None:
        """``(code, detail)`` of the 401 a bearer token earns, or None when it is good."""
        expiry = self._access_tokens.get(token)
        if expiry is None:
            return "invalid_token", "Invalid access token"
        if expiry <= time.monotonic():
            return "token_expired", "Access token expired"
        return None

    async def token(self, request: web.Request) -> web.StreamResponse:
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
            return oauth_error(401, "invalid_client", "Client authentication failed")
        if form.get("grant_type") != "refresh_token":
            return oauth_error(
                400, "unsupported_grant_type", "The authorization grant type is not supported"
            )
        refresh = form.get("refresh_token")
        now = time.monotonic()
        if not isinstance(refresh, str) or refresh not in self._refresh_tokens:
            return oauth_error(400, "invalid_grant", "The refresh token is invalid")
        expiry = self._refresh_tokens[refresh]
        if expiry is not None and expiry <= now:
            return oauth_error(400, "invalid_grant", "The refresh token has been rotated")
        # Rotation: the old refresh token stays valid for a short grace period.
        if expiry is None:
            self._refresh_tokens[refresh] = now + self.refresh_token_grace
        self.refresh_token = self._new_refresh_token()
        self.access_token = self._new_access_token()
        self._stats.token_refreshes += 1
        payload = {
            "access_token": self.access_token,
            "expires_in": int(self.access_token_ttl),
            "refresh_token": self.refresh_token,
            "scope": _SCOPE,
            "token_type": "bearer",
        }
        return web.Response(
            body=msgspec.json.encode(payload),
            content_type="application/json",
            headers={hdrs.CACHE_CONTROL: "no-store"},
        )
