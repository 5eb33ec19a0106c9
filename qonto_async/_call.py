"""One request as the transport sends it: built once, reused by every attempt."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
from yarl import URL

from ._answers import Target, public_url

__all__ = ["Call", "QueryParams", "no_body"]

QueryParams = Sequence[tuple[str, str]]


class Call:
    """Everything one request needs, built once and reused by every attempt."""

    __slots__ = (
        "authenticated",
        "body",
        "headers",
        "method",
        "params",
        "resource_id",
        "timeout",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: URL,
        params: QueryParams | None,
        headers: dict[str, str],
        body: Callable[[], Any],
        resource_id: str | None,
        authenticated: bool,
        timeout: aiohttp.ClientTimeout,
    ) -> None:
        self.method = method
        self.url = url
        self.params = params
        self.headers = headers
        self.body = body
        self.resource_id = resource_id
        self.authenticated = authenticated
        self.timeout = timeout

    def target(self) -> Target:
        """Who was asked, as errors show it (built only when something failed)."""
        url = self.url if not self.params else self.url.extend_query(self.params)
        return Target(self.method, public_url(url, keep_query=self.authenticated), self.resource_id)

    def __repr__(self) -> str:
        return f"Call({self.method} {self.url.path}, resource_id={self.resource_id!r})"


def no_body() -> None:
    return None
