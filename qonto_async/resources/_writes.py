"""Writes that happen exactly once, whatever the network does.

Every write carries an ``X-Qonto-Idempotency-Key`` (the caller's, or a UUID4 made once per
call) on every attempt, which is what lets the transport retry it; one rule,
:func:`~qonto_async._http.idempotency.new_key`, for every write: ``None`` means a key
is made, an empty string is a ``ValueError`` before any request. Qonto documents the key
for some endpoints only, so two more rules cover a server that ignores it; both apply only
when an earlier attempt of the same call got no usable answer (so it may have happened):

- a DELETE answered 404 after such an attempt is done, not failed;
- an action refused after such an attempt (finalize answered "not a draft") is done if the
  record now stands where the action leads, and its record is returned.

A refused action is an :class:`~qonto_async.InvalidTransitionError` naming the action and
the state the record is in (read back with one GET), when that state is why.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .._http.idempotency import new_key
from .._http.transport import Transport
from ..errors import (
    APIStatusError,
    BadRequestError,
    ConflictError,
    IdempotencyKeyReusedError,
    InvalidTransitionError,
    NotFoundError,
    QontoError,
    UnprocessableEntityError,
)
from ..models.requests import RequestOptions
from ._base import quote_id

__all__ = [
    "Transition",
    "WriteOptions",
    "delete_once",
    "empty",
    "new_key",
    "settle",
    "step",
    "transition",
    "write",
]

M = TypeVar("M", bound="HasStatus")


class HasStatus(Protocol):
    @property
    def status(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Transition:
    """An action on a record: which statuses it starts from and which it leads to (empty:
    the status does not change)."""

    action: str
    starts: frozenset[str]
    leads_to: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class WriteOptions:
    idempotency_key: str | None = None
    timeout: float | None = None
    extra_headers: Mapping[str, str] | None = None

    @classmethod
    def of(cls, given: RequestOptions) -> WriteOptions:
        return cls(**given)


def empty(body: bytes) -> None:
    """The decoder of answers whose body does not matter (204, an acknowledgement)."""
    return


def write(
    transport: Transport,
    method: str,
    path: str,
    decode: Callable[[bytes], Any],
    options: WriteOptions,
    *,
    json: Any = None,
    resource_id: str | None = None,
) -> Coroutine[Any, Any, Any]:
    return transport.request(
        method,
        path,
        decode,
        json=json,
        headers=options.extra_headers,
        idempotency_key=new_key(options.idempotency_key),
        resource_id=resource_id,
        timeout=options.timeout,
    )


async def delete_once(
    transport: Transport, path: str, options: WriteOptions, *, resource_id: str
) -> None:
    failure: NotFoundError | None = None
    try:
        await write(transport, "DELETE", path, empty, options, resource_id=resource_id)
    except NotFoundError as exc:
        if (exc.attempts or 1) == 1:
            failure = exc
    if failure is not None:
        raise failure


_REFUSALS = (BadRequestError, ConflictError, UnprocessableEntityError)


async def transition(
    transport: Transport,
    path: str,
    step: Transition,
    options: WriteOptions,
    *,
    resource_id: str,
    decode: Callable[[bytes], Any],
    read_back: Callable[[], Coroutine[Any, Any, M]],
    json: Any = None,
    method: str = "POST",
) -> Any:
    """Run ``step`` (``POST path`` with ``json``, or ``method``: a DELETE follows
    :func:`delete_once`); see the module's rules."""
    refused: APIStatusError | None = None
    try:
        if method == "DELETE":
            return await delete_once(transport, path, options, resource_id=resource_id)
        return await write(
            transport, method, path, decode, options, json=json, resource_id=resource_id
        )
    except _REFUSALS as exc:
        if isinstance(exc, IdempotencyKeyReusedError):
            raise
        refused = exc
    return await settle(refused, step, read_back)


async def settle(
    refused: APIStatusError, step: Transition, read_back: Callable[[], Coroutine[Any, Any, M]]
) -> M:
    """After ``step`` was refused: the record, if an earlier attempt of this call got it
    where the step leads; otherwise the refusal, as an :class:`InvalidTransitionError` when
    the record's state is why."""
    state: str | None = None
    record: M | None = None
    try:
        record = await read_back()
        state = record.status
    except QontoError:
        pass
    uncertain = (refused.attempts or 1) > 1
    if uncertain and record is not None and state in step.leads_to:
        return record
    if state is not None and state not in step.starts:
        raise InvalidTransitionError.refusing(refused, transition=step.action, state=state)
    raise refused


M_co = TypeVar("M_co", bound="HasStatus", covariant=True)


class Stepping(Protocol[M_co]):
    """A resource whose records move through states: its path, transport and read-back."""

    @property
    def _path(self) -> str: ...

    @property
    def _transport(self) -> Transport: ...

    def get(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Coroutine[Any, Any, M_co]: ...


async def step(
    resource: Stepping[M],
    id: str,
    action: Transition,
    options: WriteOptions,
    *,
    json: Any,
    decode: Callable[[bytes], Any],
    method: str = "POST",
) -> Any:
    """Run ``action`` on record ``id``: ``POST <path>/<id>/<action>`` (or ``method`` on the
    record itself, for update and delete), with the rules of :func:`transition`. The read-back
    of a refused action has the call's ``timeout`` and ``extra_headers``."""
    path = f"{resource._path}/{quote_id(id)}"
    if method == "POST":
        path = f"{path}/{action.action}"
    return await transition(
        resource._transport,
        path,
        action,
        options,
        resource_id=id,
        decode=decode,
        read_back=lambda: resource.get(
            id, timeout=options.timeout, extra_headers=options.extra_headers
        ),
        json=json,
        method=method,
    )
