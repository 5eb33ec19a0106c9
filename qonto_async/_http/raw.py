"""What a call answered beside its typed result: for support tickets and debugging."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

if TYPE_CHECKING:
    from .answers import Answer

__all__ = ["ANSWERS", "RawMethod", "RawResponse", "RawResponses", "capture"]

T = TypeVar("T")
P = ParamSpec("P")

ANSWERS: contextvars.ContextVar[list[Answer] | None] = contextvars.ContextVar(
    "qonto_async_answers", default=None
)
"""Where the transport puts each successful answer while a ``with_raw_response`` call runs."""


class RawResponse(Generic[T]):
    """The typed result of a call (``parsed``) with the ``status``, response ``headers`` and
    Qonto ``trace_id`` it came with, and how many ``attempts`` it took. The request's own
    headers (credentials) are never kept."""

    __slots__ = ("attempts", "headers", "parsed", "status", "trace_id")

    def __init__(
        self,
        parsed: T,
        *,
        status: int,
        headers: Mapping[str, str],
        trace_id: str | None,
        attempts: int,
    ) -> None:
        self.parsed = parsed
        self.status = status
        self.headers = headers
        self.trace_id = trace_id
        self.attempts = attempts

    def __repr__(self) -> str:
        return (
            f"RawResponse(status={self.status}, trace_id={self.trace_id!r}, "
            f"attempts={self.attempts}, parsed={type(self.parsed).__name__})"
        )


async def capture(call: Awaitable[T]) -> RawResponse[T]:
    """Await ``call`` and keep the last answer it was decoded from."""
    sink: list[Answer] = []
    token = ANSWERS.set(sink)
    try:
        parsed = await call
    finally:
        ANSWERS.reset(token)
    if not sink:  # pragma: no cover - every wrapped method makes at least one request
        raise RuntimeError("the call made no request")
    answer = sink[-1]
    return RawResponse(
        parsed,
        status=answer.status,
        headers=answer.headers,
        trace_id=answer.trace_id,
        attempts=answer.attempts,
    )


def _wrap(method: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, RawResponse[T]]]:
    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, RawResponse[T]]:
        return capture(method(*args, **kwargs))

    return call


class RawResponses:
    """``resource.with_raw_response``: each method of the resource, returning a
    :class:`RawResponse` around what it returns (the last answer, for a method that makes
    several requests). Listing methods are not wrapped: a paginator's pages carry their own.

    A resource's subclass declares each method once, as a :class:`RawMethod` of the
    resource's own (``finalize = RawMethod(ClientInvoicesResource.finalize)``), which is what
    type checkers read: the same parameters, the result inside a :class:`RawResponse`.
    """

    _UNWRAPPED = frozenset({"list", "changes", "iter_many", "with_raw_response"})

    def __init__(self, resource: object) -> None:
        self._resource = resource

    if not TYPE_CHECKING:  # a method no subclass declares still works, untyped

        def __getattr__(self, name):
            method = getattr(self._resource, name)
            if name.startswith("_") or name in self._UNWRAPPED or not callable(method):
                raise AttributeError(f"with_raw_response has no method {name!r}")
            return _wrap(method)


class RawMethod(Generic[P, T]):
    """One method of a :class:`RawResponses` subclass: the resource's method of the same
    name, typed from it (``P`` its parameters, ``T`` what it returns)."""

    __slots__ = ("_name",)

    def __init__(self, method: Callable[Concatenate[Any, P], Awaitable[T]]) -> None:
        self._name = method.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, raw: None, owner: type) -> RawMethod[P, T]: ...

    @overload
    def __get__(
        self, raw: RawResponses, owner: type
    ) -> Callable[P, Coroutine[Any, Any, RawResponse[T]]]: ...

    def __get__(self, raw: RawResponses | None, owner: type) -> Any:
        if raw is None:
            return self
        method: Callable[P, Awaitable[T]] = getattr(raw._resource, self._name)
        return _wrap(method)
