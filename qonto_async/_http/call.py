"""One request as the transport sends it: built once, reused by every attempt."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import msgspec
from yarl import URL

from .answers import Target, public_url

__all__ = ["Call", "QueryParams"]

QueryParams = Sequence[tuple[str, str]]


class Call(msgspec.Struct):
    """Everything one request needs, built once and reused by every attempt.

    A ``msgspec.Struct`` because it is made for every request: its constructor runs in C,
    where a class's ``__init__`` is a Python frame. Nothing decodes into it.
    """

    method: str
    url: URL
    params: QueryParams | None
    headers: dict[str, str] | None
    """Added to the session's own; ``None``: nothing to add."""
    body: Callable[[], Any] | None
    """What each attempt sends, made afresh for each (a form cannot be sent twice)."""
    resource_id: str | None
    authenticated: bool
    timeout: aiohttp.ClientTimeout

    def target(self) -> Target:
        """Who was asked, as errors show it (built only when something failed)."""
        url = self.url if not self.params else self.url.extend_query(self.params)
        return Target(self.method, public_url(url, keep_query=self.authenticated), self.resource_id)

    def __repr__(self) -> str:
        return f"Call({self.method} {self.url.path}, resource_id={self.resource_id!r})"

    def __rich_repr__(self) -> Any:
        # msgspec's own would list every field, the headers among them.
        yield self.method
        yield str(self.url.path)
        yield "resource_id", self.resource_id
