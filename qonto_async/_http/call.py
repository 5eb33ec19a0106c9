"""One request as the transport sends it (built once, reused by every attempt), and the steps
of an attempt that concern only the request and its answer: sending it, logging the
exchange, and what an answer becomes (a value, an :class:`Answer`, an error)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp
import msgspec
from aiohttp.http_exceptions import ContentEncodingError
from yarl import URL

from ..errors import QontoError
from .answers import Answer, Target, public_url, status_error, undecodable
from .raw import ANSWERS

__all__ = ["TRACE_HEADER", "Call", "QueryParams", "content_encoding_reason"]

QueryParams = Sequence[tuple[str, str]]
TRACE_HEADER = "X-Tyk-Trace-Id"
logger = logging.getLogger("qonto_async")


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

    def send(self, session: aiohttp.ClientSession, default_timeout: object) -> Any:
        """``session.request`` for this call: its response's context manager.

        Credentials must not follow a redirect to wherever it points: Qonto's API does not
        redirect, signed download links may. A call with nothing to pass that the session
        would not do by itself (no headers, body or query, the session's ``default_timeout``)
        passes one keyword, which aiohttp packs and unpacks twice instead of five.
        """
        if (
            self.headers is None
            and self.body is None
            and self.params is None
            and self.timeout is default_timeout
        ):
            return session.request(self.method, self.url, allow_redirects=not self.authenticated)
        body = self.body
        return session.request(
            self.method,
            self.url,
            params=self.params,
            data=None if body is None else body(),
            headers=self.headers,
            timeout=self.timeout,
            allow_redirects=not self.authenticated,
        )

    def log_exchange(
        self, status: int, headers: Mapping[str, str], started: float, number: int
    ) -> None:
        logger.debug(
            "%s %s -> %d in %.1f ms (attempt %d, trace_id %s)",
            self.method,
            self.url.path,
            status,
            (time.perf_counter() - started) * 1000,
            number,
            headers.get(TRACE_HEADER),
        )

    def refused(
        self, status: int, headers: Mapping[str, str], body: bytes, number: int
    ) -> QontoError:
        """The error for an answer that is not a success."""
        answer = Answer(status, headers, body, headers.get(TRACE_HEADER), number)
        return status_error(answer, self.target())

    def misencoded(
        self, status: int, headers: Mapping[str, str], reason: str, number: int
    ) -> QontoError:
        """The error for a body that does not match its ``Content-Encoding``."""
        encoding = headers.get("Content-Encoding")
        return undecodable(
            Answer(status, headers, b"", headers.get(TRACE_HEADER), number),
            self.target(),
            f"body does not match its Content-Encoding {encoding!r}: {reason}",
        )

    def result(
        self,
        decode: Callable[[bytes], Any] | None,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        number: int,
    ) -> Any:
        """What a success becomes: its :class:`Answer` (no ``decode``), or the body through
        ``decode``, or the error that says where the body did not fit.

        A decoded success outside ``with_raw_response`` builds no :class:`Answer` and looks
        up no header; inside, the answer is kept without its body (what a context variable
        holds during a request lives on in asyncio's copies of the context, in timer handles
        that linger until their deadline, and a page body is 390 KB).
        """
        if decode is None:
            return Answer(status, headers, body, headers.get(TRACE_HEADER), number)
        sink = ANSWERS.get()
        if sink is not None:
            sink.append(Answer(status, headers, b"", headers.get(TRACE_HEADER), number))
        where = ""
        try:
            return decode(body)
        except msgspec.DecodeError as exc:
            where = str(exc)
        answer = Answer(status, headers, body, headers.get(TRACE_HEADER), number)
        error = undecodable(answer, self.target(), where)
        error._record_attempts(number)
        raise error

    def __repr__(self) -> str:
        return f"Call({self.method} {self.url.path}, resource_id={self.resource_id!r})"

    def __rich_repr__(self) -> Any:
        # msgspec's own would list every field, the headers among them.
        yield self.method
        yield str(self.url.path)
        yield "resource_id", self.resource_id


def content_encoding_reason(exc: aiohttp.ClientPayloadError) -> str:
    """Why a body could not be read, if its ``Content-Encoding`` was the trouble (an answer
    the caller is told about as undecodable); any other payload error is raised."""
    if not isinstance(exc.__cause__, ContentEncodingError):
        raise exc
    return str(exc.__cause__.message)
