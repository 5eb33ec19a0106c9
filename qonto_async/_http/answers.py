"""What an answer means: (status, headers, body) in, a typed error out. Pure, no I/O.

The transport sends and receives; this module only reads what came back, so every mapping
from Qonto's conventions (its error body, ``X-Tyk-Trace-Id``, ``Retry-After``, HTML pages
from a proxy) to the exception tree is testable without a server.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping

import msgspec
from yarl import URL

from ..errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ErrorDetail,
    status_error_class,
)

__all__ = [
    "Answer",
    "Target",
    "connection_error",
    "excerpt",
    "parse_retry_after",
    "public_url",
    "status_error",
    "undecodable",
]

EXCERPT_CHARS = 200


class Target:
    """Who was asked: the method, the URL as it may be shown, and the id the caller gave."""

    __slots__ = ("method", "resource_id", "url")

    def __init__(self, method: str, url: str, resource_id: str | None) -> None:
        self.method = method
        self.url = url
        self.resource_id = resource_id

    def __repr__(self) -> str:
        return f"Target({self.method} {self.url}, resource_id={self.resource_id!r})"


class Answer:
    """One HTTP answer as received: status, headers, raw body, Qonto's trace id, and the
    attempt that got it."""

    __slots__ = ("attempts", "body", "headers", "status", "trace_id")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        trace_id: str | None,
        attempts: int = 1,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.trace_id = trace_id
        self.attempts = attempts

    def __repr__(self) -> str:
        return f"Answer(status={self.status}, body={len(self.body)} bytes)"


class _ErrorSource(msgspec.Struct, frozen=True):
    pointer: str | None = None
    parameter: str | None = None


class _ErrorItem(msgspec.Struct, frozen=True):
    code: str | None = None
    detail: str | None = None
    source: _ErrorSource | None = None
    status: str | int | None = None


class _ErrorBody(msgspec.Struct, frozen=True):
    errors: list[_ErrorItem] | None = None
    trace_id: str | None = None


_error_body_decoder = msgspec.json.Decoder(_ErrorBody)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def excerpt(body: bytes) -> str:
    return body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def public_url(url: URL, *, keep_query: bool = True) -> str:
    """The URL as it may appear in messages and logs: never user info.

    API queries hold only the caller's filters and the page asked for, which a message should
    show; a signed download link carries its signature in the query, so it goes
    (``keep_query=False``).
    """
    shown = str(url.with_user(None).with_query(None))
    if keep_query and url.query_string:
        shown = f"{shown}?{url.query_string}"  # readable: filter[status]=paid, not %5B...
    return shown


def status_error(answer: Answer, target: Target) -> APIStatusError:
    """The typed error for a non-success answer, with Qonto's ``errors`` when the body has them."""
    errors: list[ErrorDetail] = []
    trace_id = answer.trace_id
    body = answer.body
    if body[:1] == b"{":
        try:
            parsed: _ErrorBody | None = _error_body_decoder.decode(body)
        except msgspec.DecodeError:
            parsed = None
        if parsed is not None:
            trace_id = trace_id or parsed.trace_id
            for item in parsed.errors or ():
                source = item.source
                errors.append(
                    ErrorDetail(
                        code=item.code,
                        detail=item.detail,
                        pointer=source.pointer if source else None,
                        parameter=source.parameter if source else None,
                        status=None if item.status is None else str(item.status),
                    )
                )
    return status_error_class(answer.status, errors[0].code if errors else None)(
        status=answer.status,
        method=target.method,
        url=target.url,
        errors=errors,
        trace_id=trace_id,
        resource_id=target.resource_id,
        body_excerpt=None if errors else (excerpt(body) or None),
        retry_after=parse_retry_after(answer.headers.get("Retry-After")),
    )


def undecodable(answer: Answer, target: Target, where: str) -> APIResponseValidationError:
    """A success status whose body is not what the endpoint promises."""
    return APIResponseValidationError(
        status=answer.status,
        body_excerpt=excerpt(answer.body),
        where=where,
        method=target.method,
        url=target.url,
        resource_id=target.resource_id,
        trace_id=answer.trace_id,
    )


def connection_error(exc: BaseException, target: Target) -> APIConnectionError:
    """No usable answer: refused, reset, closed early, timed out."""
    if isinstance(exc, TimeoutError):
        return APITimeoutError(method=target.method, url=target.url, resource_id=target.resource_id)
    return APIConnectionError(
        f"connection error ({type(exc).__name__})",
        method=target.method,
        url=target.url,
        resource_id=target.resource_id,
    )
