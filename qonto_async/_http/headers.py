"""Which headers a request sends, and which of them its session already sends by itself.

A session the client owns carries the fixed headers (``Accept``, ``User-Agent``, the staging
token and a static ``Authorization``) as its defaults, so a plain request adds none and
aiohttp merges none (about 2 µs a request, against 270 µs for a whole ``get``). A session
injected by the caller is left as it is: every request adds them. A request to a signed link
or to the OAuth token endpoint adds only ``User-Agent``, on a session without the client's
defaults (:meth:`._session.SessionHolder.plain`).

The staging token is a credential like ``Authorization``: it is kept as a
:class:`~.auth.Redacted` string, so the header dicts that sit in the transport's and
aiohttp's frame locals (a failed request's traceback) show ``'<redacted>'``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .auth import Redacted

__all__ = ["RequestHeaders"]


class RequestHeaders:
    __slots__ = ("_added", "authorization", "credential_free", "plain_request", "session_defaults")

    def __init__(
        self,
        *,
        user_agent: str,
        staging_token: str | None,
        authorization: str | None,
        owned_session: bool,
    ) -> None:
        fixed = {"Accept": "application/json", "User-Agent": user_agent}
        if staging_token:
            fixed["X-Qonto-Staging-Token"] = Redacted(staging_token)
        if authorization:
            fixed["Authorization"] = Redacted(authorization)
        self.authorization = authorization
        """The ``Authorization`` value when it never changes (API key, bearer), else None."""
        self.session_defaults: Mapping[str, str] = fixed
        """What the client's own session sends by itself."""
        self._added: Mapping[str, str] = {} if owned_session else fixed
        self.plain_request: dict[str, str] | None = None if owned_session else fixed
        """What a request with nothing extra adds, when ``authorization`` is set: nothing, or
        the same dict every time (aiohttp copies what it is given)."""
        self.credential_free = {"User-Agent": user_agent}

    def with_extra(self, extra: Mapping[str, str]) -> RequestHeaders:
        """These headers plus ``extra`` on every request (``Authorization`` cannot be set)."""
        added = {k: v for k, v in extra.items() if k.lower() != "authorization"}
        clone = object.__new__(RequestHeaders)
        clone.authorization = self.authorization
        clone.session_defaults = self.session_defaults
        clone.credential_free = self.credential_free
        clone._added = {**self._added, **added}
        clone.plain_request = {**(self.plain_request or {}), **added}
        return clone

    def for_request(
        self, extra: Mapping[str, str] | None, *, json: bool, idempotency_key: str | None
    ) -> dict[str, str]:
        """A new dict of what this request adds (the transport then sets an OAuth token in
        it): the caller's ``extra`` without ``Authorization``, the JSON content type, the
        idempotency key."""
        sent = dict(self._added)
        if extra:
            sent.update((k, v) for k, v in extra.items() if k.lower() != "authorization")
        if json:
            sent["Content-Type"] = "application/json"
        if idempotency_key is not None:
            sent["X-Qonto-Idempotency-Key"] = idempotency_key
        return sent
