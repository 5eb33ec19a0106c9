"""Every failure the SDK raises is a :class:`QontoError`.

::

    QontoError
    ├── APIConnectionError            no HTTP answer (refused, reset, DNS)
    │   └── APITimeoutError
    ├── APIResponseValidationError    an answer that does not decode (status, body excerpt, where)
    ├── ListIncompleteError           a listing that could not prove it read every record
    │   └── ListChangedError          a list read by page number kept changing while it was read
    ├── FileRejectedError             one file of a bulk upload refused (index, file_name, code)
    └── APIStatusError                status, code, detail, errors, trace_id, method, url
        ├── BadRequestError           400
        ├── AuthenticationError       401
        ├── PermissionDeniedError     403
        ├── NotFoundError             404
        ├── ConflictError             409
        ├── UnprocessableEntityError  422 (field_errors: {"items/0/vat_rate": "invalid"})
        │   └── IdempotencyKeyReusedError   one idempotency key, two different bodies
        ├── RateLimitError            429 (retry_after: float | None)
        ├── InternalServerError       5xx
        └── InvalidTransitionError    an action the record's state forbids (transition, state);
                                      each is also the class of its status above (a refusal
                                      answered 422 is an UnprocessableEntityError too)

Messages, ``repr`` and attributes never carry credentials: URLs are stored without user info
(and signed links without their query string) and headers are never kept. Messages repeat at
most :data:`MESSAGE_PART_LIMIT` characters of an id or a URL; the attributes keep them whole.

Every exception survives ``pickle`` and ``copy`` with its attributes, so a failure can cross a
process boundary (Celery, arq, ``ProcessPoolExecutor``) intact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from ._error_detail import ErrorDetail

ErrorDetail.__module__ = __name__  # shown, and pickled, as qonto_async.errors.ErrorDetail

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConflictError",
    "ErrorDetail",
    "EventLoopMismatchError",
    "FileRejectedError",
    "IdempotencyKeyReusedError",
    "InternalServerError",
    "InvalidTransitionError",
    "ListChangedError",
    "ListIncompleteError",
    "NotFoundError",
    "PermissionDeniedError",
    "QontoError",
    "RateLimitError",
    "UnprocessableEntityError",
]


MESSAGE_PART_LIMIT = 200

E = TypeVar("E", bound="QontoError")


def clip(text: str, limit: int = MESSAGE_PART_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[{len(text) - limit} more]"


def _rebuild(cls: type[E], state: dict[str, Any]) -> E:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class QontoError(Exception):
    """Base class of every exception raised by qonto_async."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.attempts: int | None = None

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, which Exception's own reduce cannot replay:
        # rebuild from the instance's attributes instead (none of them holds a secret).
        return (_rebuild, (type(self), dict(self.__dict__)))

    def _record_attempts(self, attempts: int) -> None:
        """Note how many attempts were made; the transport calls this once it gives up."""
        self.attempts = attempts
        if attempts > 1 and " attempts" not in self.message:
            self.message = f"{self.message} after {attempts} attempts"
            self.args = (self.message,)


def _describe(method: str | None, url: str | None, resource_id: str | None) -> str:
    where = " ".join(part for part in (method, clip(url) if url else None) if part)
    if resource_id is not None:
        shown = clip(repr(resource_id))
        where = f"{where} (id {shown})" if where else f"id {shown}"
    return where


class ClientClosedError(QontoError):
    """The client was closed (``aclose()`` or ``async with`` exit) before or during the call."""

    def __init__(self, message: str | None = None, *, resource_id: str | None = None) -> None:
        text = message or "this QontoClient is closed: create a new one, or keep it open longer"
        if resource_id is not None:
            text = f"{text} (id {clip(repr(resource_id))})"
        super().__init__(text)
        self.resource_id = resource_id


class EventLoopMismatchError(QontoError):
    """The client was first used in another event loop.

    A client's connection pool, concurrency cap and rate gate belong to the loop that first
    used it. Two ``asyncio.run()`` calls are two loops: create the client inside the coroutine
    that ``asyncio.run`` runs (``async with QontoClient() as qonto:``), or keep one loop.
    """

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "this QontoClient belongs to another event loop (the one that first used it): "
            "a client cannot move between loops, e.g. between two asyncio.run() calls. "
            "Create the client inside the coroutine that asyncio.run() runs "
            "(async with QontoClient(...) as qonto: ...), one per loop"
        )


class ListIncompleteError(QontoError):
    """A listing could not prove it read every record, and stopped rather than leave a silent
    gap or loop: the server's answers broke a claim the listing checks (order, bounds,
    counts), or it asked more requests (``requests``) than the list's size justifies. ``url``
    is the request that showed it."""

    def __init__(self, message: str, *, url: str | None = None, requests: int | None = None):
        text = f"{message} ({clip(url)})" if url else message
        super().__init__(text)
        self.url = url
        self.requests = requests


class ListChangedError(ListIncompleteError):
    """A list read by page number (an explicit ``sort_by`` off the listing's key) kept
    changing while it was read, so records may have been skipped; ``url`` is the list. The
    default order never raises this: it lists exactly once whatever changes."""


class FileRejectedError(QontoError):
    """One file of a bulk upload that Qonto refused while taking the others: ``index`` is its
    position in the input, ``code`` Qonto's (``invalid``, ``required``, ``limit_reached``,
    ``internal_server_error``) or ``too_large`` when the SDK refused it before sending."""

    def __init__(
        self,
        *,
        index: int,
        file_name: str,
        code: str | None,
        detail: str | None,
        trace_id: str | None = None,
    ) -> None:
        self.index = index
        self.file_name = file_name
        self.code = code
        self.detail = detail
        self.trace_id = trace_id
        text = f"file {index} ({clip(file_name)}) refused"
        if code or detail:
            text += ": " + " - ".join(p for p in (code, detail) if p)
        if trace_id:
            text += f" [trace_id {trace_id}]"
        super().__init__(text)


class APIConnectionError(QontoError):
    """No HTTP answer was received: connection refused or reset, DNS failure, closed early."""

    default_message = "connection error"

    def __init__(
        self,
        message: str | None = None,
        *,
        method: str | None = None,
        url: str | None = None,
        resource_id: str | None = None,
    ) -> None:
        where = _describe(method, url, resource_id)
        text = message or self.default_message
        if where:
            text = f"{text}: {where}"
        super().__init__(text)
        self.method = method
        self.url = url
        self.resource_id = resource_id


class APITimeoutError(APIConnectionError):
    """The request did not complete within the configured timeout."""

    default_message = "request timed out"


class APIResponseValidationError(QontoError):
    """An answer arrived but does not decode into the expected shape.

    ``body_excerpt`` holds at most the first 200 characters of the body; ``where`` is the
    JSON path msgspec reported (``$.client_invoice.total_amount``) or a short reason.
    """

    def __init__(
        self,
        *,
        status: int,
        body_excerpt: str,
        where: str,
        method: str | None = None,
        url: str | None = None,
        resource_id: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        target = _describe(method, url, resource_id)
        text = f"{status} answer does not decode ({where})"
        if target:
            text = f"{text}: {target}"
        if trace_id:
            text = f"{text} [trace_id {trace_id}]"
        text = f"{text}; body starts {body_excerpt!r}"
        super().__init__(text)
        self.status = status
        self.body_excerpt = body_excerpt
        self.where = where
        self.method = method
        self.url = url
        self.resource_id = resource_id
        self.trace_id = trace_id


class APIStatusError(QontoError):
    """Qonto answered with a non-success status.

    ``code`` and ``detail`` come from the first entry of Qonto's ``errors`` array, all of them
    are in ``errors``; ``retry_after`` is the server's ``Retry-After`` in seconds, if any.
    """

    def __init__(
        self,
        *,
        status: int,
        method: str,
        url: str,
        errors: Sequence[ErrorDetail] = (),
        trace_id: str | None = None,
        resource_id: str | None = None,
        body_excerpt: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)
        first = self.errors[0] if self.errors else None
        self.code: str | None = first.code if first else None
        self.detail: str | None = first.detail if first else None
        self.trace_id = trace_id
        self.resource_id = resource_id
        self.body_excerpt = body_excerpt
        self.retry_after = retry_after
        text = f"{status} {_describe(method, url, resource_id)}"
        if self.code or self.detail:
            text += ": " + " - ".join(p for p in (self.code, self.detail) if p)
        elif body_excerpt:
            text += f": body starts {body_excerpt!r}"
        if trace_id:
            text += f" [trace_id {trace_id}]"
        super().__init__(text)


class BadRequestError(APIStatusError):
    """400: a malformed request or an invalid state transition."""


class AuthenticationError(APIStatusError):
    """401: missing, wrong or expired credentials."""


class PermissionDeniedError(APIStatusError):
    """403: the credentials lack the scope or the plan for this call."""


class NotFoundError(APIStatusError):
    """404: no such resource (or not visible to these credentials)."""


class ConflictError(APIStatusError):
    """409: the resource is in a state that conflicts with the request."""


class UnprocessableEntityError(APIStatusError):
    """422: the request is well-formed but fails Qonto's validation.

    :attr:`field_errors` maps each input Qonto pointed at to what it said, ready to show
    beside a form field: ``{"items/0/vat_rate": "is invalid"}``.
    """

    @property
    def field_errors(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for error in self.errors:
            name = error.field
            if name is None:
                continue
            text = error.detail or error.code or "invalid"
            fields[name] = f"{fields[name]}; {text}" if name in fields else text
        return fields


class IdempotencyKeyReusedError(UnprocessableEntityError):
    """An ``X-Qonto-Idempotency-Key`` already used for a different request body: a key names
    one write, so derive keys from what the write is (an order id and the action)."""


class InvalidTransitionError(APIStatusError):
    """An action the record's current state does not allow: finalizing a paid invoice,
    deleting a finalized one. ``transition`` is the action (``finalize``), ``state`` the
    status the record was in when Qonto refused (``None`` if it could not be read back);
    ``status``, ``code``, ``detail`` and ``trace_id`` are Qonto's answer.

    It is also the error class of that answer's status: a refusal answered 422 is an
    :class:`UnprocessableEntityError` too, one answered 400 a :class:`BadRequestError`, so
    ``except UnprocessableEntityError`` catches every 422, whatever the SDK learnt of it.
    """

    transition: str
    state: str | None

    @classmethod
    def refusing(
        cls, error: APIStatusError, *, transition: str, state: str | None
    ) -> InvalidTransitionError:
        """``error`` (Qonto's refusal) as an InvalidTransitionError of the same status class."""
        kind = cls
        if cls is InvalidTransitionError:
            from ._transition_errors import TRANSITION_ERRORS  # they subclass this module's

            kind = next(
                (TRANSITION_ERRORS[c] for c in type(error).__mro__ if c in TRANSITION_ERRORS),
                cls,
            )
        new = kind(
            status=error.status,
            method=error.method,
            url=error.url,
            errors=error.errors,
            trace_id=error.trace_id,
            resource_id=error.resource_id,
            body_excerpt=error.body_excerpt,
        )
        new.transition = transition
        new.state = state
        new.attempts = error.attempts
        where = f" (it is {state})" if state else ""
        new.message = f"cannot {transition} {error.resource_id!r}{where}: {error.message}"
        new.args = (new.message,)
        return new


class RateLimitError(APIStatusError):
    """429: over Qonto's rate limit. ``retry_after`` is in seconds, when Qonto said."""


class InternalServerError(APIStatusError):
    """5xx: Qonto (or a proxy in front of it) failed."""


_STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int, code: str | None = None) -> type[APIStatusError]:
    """The exception class for an HTTP status (``APIStatusError`` for unlisted 4xx)."""
    if code == "idempotency_key_reused" and status == 422:
        return IdempotencyKeyReusedError
    if status >= 500:
        return InternalServerError
    return _STATUS_ERRORS.get(status, APIStatusError)
