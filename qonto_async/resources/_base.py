"""What every resource shares: id quoting, get, get_many and list plumbing."""

from __future__ import annotations

import asyncio
import re
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sized,
)
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, overload
from urllib.parse import quote

import msgspec

from .._http.raw import RawMethod, RawResponse, RawResponses, capture
from .._http.transport import Transport
from .._listing.paginator import ProgressCallback
from .._listing.spec import ListingSpec
from ..errors import QontoError
from ..models import Meta
from ._params import ListOptions
from ._streaming import stream_in_order

__all__ = [
    "RawReader",
    "ReadableResource",
    "Resource",
    "quote_id",
    "run_workers",
]

M = TypeVar("M")
T = TypeVar("T")
_LIST_OPTIONS = ListOptions.__optional_keys__


class ListAnswer(Protocol[M]):
    """A decoded list page: its records, Qonto's ``meta`` and ``raws``, each record's JSON
    as the server sent it, parallel to ``items`` (see
    :func:`~qonto_async.models.common.page_decoder`)."""

    @property
    def items(self) -> list[M]: ...

    @property
    def meta(self) -> Meta | None: ...

    @property
    def raws(self) -> list[msgspec.Raw]: ...


MAX_PER_PAGE = 100


_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")


def quote_id(resource_id: str) -> str:
    """Quote an opaque id into one path segment; ``.`` too, so ``..`` cannot climb."""
    if not isinstance(resource_id, str):
        raise TypeError(f"an id must be a str, not {type(resource_id).__name__}")
    if _PLAIN_ID.fullmatch(resource_id):  # UUID-like ids, nearly all of them: nothing to quote
        return resource_id
    if not resource_id:
        raise ValueError("an id must be a non-empty string")
    return quote(resource_id, safe="").replace(".", "%2E")


class Resource:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _get_one(
        self,
        path: str,
        id: str,
        decode: Callable[[bytes], T],
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        quoted: str | None = None,
    ) -> Coroutine[Any, Any, T]:
        """The GET of one record by id, which every resource's reads by id go through:
        ``GET <path>/<id>`` (the id quoted here unless ``quoted`` is), for this call's
        ``timeout`` and ``extra_headers``. The transport's coroutine itself, so the caller
        awaits one frame less."""
        return self._transport.request(
            "GET",
            f"{path}/{quoted or quote_id(id)}",
            decode,
            resource_id=id,
            headers=extra_headers,
            timeout=timeout,
        )

    @property
    def with_raw_response(self) -> RawResponses:
        """The same methods, each returning a :class:`~qonto_async.RawResponse`: the typed
        result with the status, headers and trace id it came with, e.g.
        ``(await qonto.client_invoices.with_raw_response.finalize(id)).trace_id``."""
        return RawResponses(self)


class ReadableResource(Resource, Generic[M]):
    """``get``, ``get_many`` and the paging half of ``list`` for one collection.

    A subclass names its ``_path`` and hands its two decoders over: one record, and one page
    that keeps each record's JSON (a :func:`~qonto_async.models.common.page_decoder`).
    """

    _path: ClassVar[str]
    _listing: ClassVar[ListingSpec]

    def __init__(
        self,
        transport: Transport,
        decode_one: Callable[[bytes], M],
        decode_page: Callable[[bytes], ListAnswer[M]],
    ) -> None:
        super().__init__(transport)
        self._decode_one = decode_one
        self._decode_page = decode_page

    async def get(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> M:
        """Fetch one record by id; :class:`~qonto_async.NotFoundError` if there is none."""
        return await self._get_one(
            self._path, id, self._decode_one, timeout=timeout, extra_headers=extra_headers
        )

    @property
    def with_raw_response(self) -> RawReader[M]:
        """The same methods, each returning a :class:`~qonto_async.RawResponse`: the typed
        result with the status, headers and trace id it came with, e.g.
        ``(await qonto.client_invoices.with_raw_response.get(id)).trace_id``."""
        return RawReader(self)

    @overload
    def iter_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[False] = False,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[M, None]: ...

    @overload
    def iter_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[True],
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[M | QontoError, None]: ...

    def iter_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: bool = False,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncGenerator[M, None] | AsyncGenerator[M | QontoError, None]:
        """Fetch many records by id as a stream; results come out in input order.

        Unlike :meth:`get_many`, nothing is collected: memory stays bounded (at most twice
        ``max_concurrency`` results are held) however many ids there are, and ``ids`` is read
        lazily, so it may be a generator. A repeated id is fetched each time it appears.
        Without ``return_exceptions`` a failure is raised when its turn comes, after every
        record before it; with it, a failed id yields its exception. Breaking out of the loop
        cancels the requests in flight (use ``contextlib.aclosing`` to make that immediate).
        ``on_progress(done, total)`` is called as each result is yielded; ``total`` is
        ``len(ids)``, or None when ``ids`` has no length (a generator). ``timeout`` and
        ``extra_headers`` apply to each request.
        """
        concurrency = self._transport.max_concurrency
        path, decode, get_one = self._path, self._decode_one, self._get_one

        def fetch(resource_id: str) -> Coroutine[Any, Any, M]:
            return get_one(path, resource_id, decode, timeout=timeout, extra_headers=extra_headers)

        return stream_in_order(
            fetch,
            ids,
            concurrency=concurrency,
            window=2 * concurrency,
            return_exceptions=return_exceptions,
            on_progress=on_progress,
            total=len(ids) if isinstance(ids, Sized) else None,
        )

    @overload
    async def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[False] = False,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[M]: ...

    @overload
    async def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[True],
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[M | QontoError]: ...

    async def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: bool = False,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> list[M] | list[M | QontoError]:
        """Fetch many records by id concurrently; results come back in input order.

        At most ``max_concurrency`` requests are in flight; a repeated id is fetched once.
        Without ``return_exceptions`` the first failure cancels the rest and is raised (its
        ``resource_id`` says which id failed); with it, a failed id holds its exception.
        ``on_progress(done, total)`` is called as each id is done; ``timeout`` and
        ``extra_headers`` apply to each request.
        """
        wanted = list(ids)
        quoted = {resource_id: quote_id(resource_id) for resource_id in wanted}
        results: dict[str, M | QontoError] = {}
        pending = iter(quoted.items())
        total = len(quoted)
        get_one, path, decode = self._get_one, self._path, self._decode_one

        async def worker() -> None:
            for resource_id, quoted_id in pending:
                try:
                    results[resource_id] = await get_one(
                        path,
                        resource_id,
                        decode,
                        quoted=quoted_id,
                        timeout=timeout,
                        extra_headers=extra_headers,
                    )
                except QontoError as exc:
                    if not return_exceptions:
                        raise
                    results[resource_id] = exc
                if on_progress is not None:
                    on_progress(len(results), total)

        await run_workers(worker, min(self._transport.max_concurrency, total))
        return [results[resource_id] for resource_id in wanted]


class RawReader(RawResponses, Generic[M]):
    """``resource.with_raw_response`` of a readable resource: ``get`` and ``get_many`` typed;
    a resource's subclass declares its other methods (see :class:`RawResponses`)."""

    get = RawMethod(ReadableResource[M].get)

    def __init__(self, resource: ReadableResource[M]) -> None:
        super().__init__(resource)
        self._reader = resource

    @overload
    def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[False] = False,
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Coroutine[Any, Any, RawResponse[list[M]]]: ...

    @overload
    def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[True],
        on_progress: ProgressCallback | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Coroutine[Any, Any, RawResponse[list[M | QontoError]]]: ...

    def get_many(
        self, ids: Iterable[str], **options: Any
    ) -> Coroutine[Any, Any, RawResponse[list[M]] | RawResponse[list[M | QontoError]]]:
        # Written out for its two overloads; a RawMethod reads only the first.
        return capture(self._reader.get_many(ids, **options))


async def run_workers(worker: Callable[[], Awaitable[Any]], count: int) -> None:
    """Run ``count`` copies of ``worker``; the first failure or a cancel stops them all."""
    tasks = [asyncio.ensure_future(worker()) for _ in range(count)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
