"""What every resource shares: id quoting, get, get_many and list plumbing."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import re
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Collection,
    Coroutine,
    Iterable,
    Mapping,
)
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, overload
from urllib.parse import quote

from yarl import URL

from .._http.answers import public_url
from .._http.raw import RawResponse, RawResponses, capture
from .._http.transport import QueryParams, Transport
from .._listing.changes import DEFAULT_OVERLAP, ChangeFeed
from .._listing.page import Page
from .._listing.paginator import KeysetOrder, Paginator, ProgressCallback
from ..errors import APIResponseValidationError, QontoError
from ..models import Meta
from ._params import ListOptions, add_moments, instant_us, sort_key
from ._streaming import stream_in_order

__all__ = [
    "ListableResource",
    "RawReader",
    "ReadableResource",
    "Resource",
    "quote_id",
    "run_workers",
]

M = TypeVar("M")
_LIST_OPTIONS = ListOptions.__optional_keys__


class ListAnswer(Protocol[M]):
    """A decoded list page: its records and Qonto's ``meta``."""

    @property
    def items(self) -> list[M]: ...

    @property
    def meta(self) -> Meta | None: ...


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

    @property
    def with_raw_response(self) -> RawResponses:
        """The same methods, each returning a :class:`~qonto_async.RawResponse`: the typed
        result with the status, headers and trace id it came with, e.g.
        ``(await qonto.client_invoices.with_raw_response.finalize(id)).trace_id``."""
        return RawResponses(self)


class ReadableResource(Resource, Generic[M]):
    """``get``, ``get_many`` and the paging half of ``list`` for one collection.

    A subclass names its ``_path`` and hands its two decoders (one record, one page) over.
    """

    _path: ClassVar[str]

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
        if timeout is None and extra_headers is None:
            return await self._fetch(id, quote_id(id))
        record: M = await self._transport.request(
            "GET",
            f"{self._path}/{quote_id(id)}",
            self._decode_one,
            resource_id=id,
            headers=extra_headers,
            timeout=timeout,
        )
        return record

    @property
    def with_raw_response(self) -> RawReader[M]:
        """The same methods, each returning a :class:`~qonto_async.RawResponse`: the typed
        result with the status, headers and trace id it came with, e.g.
        ``(await qonto.client_invoices.with_raw_response.get(id)).trace_id``."""
        return RawReader(self)

    def _fetch(self, id: str, quoted: str) -> Coroutine[Any, Any, M]:
        # The transport's coroutine itself, so the caller awaits one frame less.
        return self._transport.request(
            "GET", f"{self._path}/{quoted}", self._decode_one, resource_id=id
        )

    @overload
    def iter_many(
        self, ids: Iterable[str], *, return_exceptions: Literal[False] = False
    ) -> AsyncGenerator[M, None]: ...

    @overload
    def iter_many(
        self, ids: Iterable[str], *, return_exceptions: Literal[True]
    ) -> AsyncGenerator[M | QontoError, None]: ...

    def iter_many(
        self, ids: Iterable[str], *, return_exceptions: bool = False
    ) -> AsyncGenerator[M, None] | AsyncGenerator[M | QontoError, None]:
        """Fetch many records by id as a stream; results come out in input order.

        Unlike :meth:`get_many`, nothing is collected: memory stays bounded (at most twice
        ``max_concurrency`` results are held) however many ids there are, and ``ids`` is read
        lazily, so it may be a generator. A repeated id is fetched each time it appears.
        Without ``return_exceptions`` a failure is raised when its turn comes, after every
        record before it; with it, a failed id yields its exception. Breaking out of the loop
        cancels the requests in flight (use ``contextlib.aclosing`` to make that immediate).
        """
        concurrency = self._transport.max_concurrency
        return stream_in_order(
            self.get,
            ids,
            concurrency=concurrency,
            window=2 * concurrency,
            return_exceptions=return_exceptions,
        )

    @overload
    async def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[False] = False,
        on_progress: ProgressCallback | None = None,
    ) -> list[M]: ...

    @overload
    async def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: Literal[True],
        on_progress: ProgressCallback | None = None,
    ) -> list[M | QontoError]: ...

    async def get_many(
        self,
        ids: Iterable[str],
        *,
        return_exceptions: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> list[M] | list[M | QontoError]:
        """Fetch many records by id concurrently; results come back in input order.

        At most ``max_concurrency`` requests are in flight; a repeated id is fetched once.
        Without ``return_exceptions`` the first failure cancels the rest and is raised (its
        ``resource_id`` says which id failed); with it, a failed id holds its exception.
        """
        wanted = list(ids)
        quoted = {resource_id: quote_id(resource_id) for resource_id in wanted}
        results: dict[str, M | QontoError] = {}
        pending = iter(quoted.items())
        total = len(quoted)
        request, path, decode = self._transport.request, self._path, self._decode_one

        async def worker() -> None:
            for resource_id, quoted_id in pending:
                try:
                    results[resource_id] = await request(
                        "GET", f"{path}/{quoted_id}", decode, resource_id=resource_id
                    )
                except QontoError as exc:
                    if not return_exceptions:
                        raise
                    results[resource_id] = exc
                if on_progress is not None:
                    on_progress(len(results), total)

        await run_workers(worker, min(self._transport.max_concurrency, total))
        return [results[resource_id] for resource_id in wanted]

    def _paginate(
        self, filters: QueryParams, options: ListOptions, *, sort_fields: Collection[str]
    ) -> Paginator[M]:
        """A paginator over ``_path`` with ``filters`` (the ``updated_at`` bounds among them,
        where the resource wants them) and the other :class:`ListOptions`: keyed on
        ``created_at`` (exactly once, resumable) unless ``sort_by`` names another field, then
        by page number, verified."""
        unknown = options.keys() - _LIST_OPTIONS
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.list() got an unexpected keyword argument "
                f"{sorted(unknown)[0]!r}"
            )
        per_page = options.get("per_page", 100)
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
        sort_by = options.get("sort_by")
        if sort_by is not None:
            sort_by = sort_key(sort_by, sort_fields)
        created_at_from = options.get("created_at_from")
        created_at_to = options.get("created_at_to")
        field, _, direction = (sort_by or "created_at:desc").partition(":")
        keyset: KeysetOrder | None = None
        if field == "created_at":
            descending = direction == "desc"
            base = [*filters, ("sort_by", f"created_at:{'desc' if descending else 'asc'}")]
            keyset = KeysetOrder(
                descending=descending,
                lower_us=instant_us("created_at_from", created_at_from, end=False),
                upper_us=instant_us("created_at_to", created_at_to, end=True),
            )
        else:
            base = list(filters)
            add_moments(base, created_at_from=created_at_from, created_at_to=created_at_to)
            base.append(("sort_by", sort_by or ""))
        path, decode_page, transport = self._path, self._decode_page, self._transport

        async def fetch(query: QueryParams) -> Page[M]:
            decoded, answer = await transport.request_with_answer(
                "GET", path, decode_page, params=[*base, *query]
            )
            return Page(decoded.items, decoded.meta, 0, _server_date(answer.headers.get("Date")))

        def describe(query: QueryParams) -> str:
            url = URL(transport.base_url + path, encoded=True)
            return public_url(url.extend_query([*base, *query]))

        def page_url(number: int) -> str:
            return describe([("per_page", str(per_page)), ("page", str(number))])

        return Paginator(
            per_page=per_page,
            prefetch=options.get("prefetch", 4),
            on_progress=options.get("on_progress"),
            page_url=page_url,
            fetch=fetch,
            keyset=keyset,
            limit=options.get("limit"),
            start=options.get("start"),
            describe=describe,
            verify=keyset is None,
        )


class ListableResource(ReadableResource[M]):
    """A collection with a list endpoint keyed on ``created_at`` and ``updated_at``: it gets
    :meth:`changes`. A subclass defines ``list`` taking ``updated_at_from``/``updated_at_to``
    and ``start``; ``_change_filters`` are what ``changes()`` adds to it."""

    _change_filters: ClassVar[dict[str, Any]] = {}
    list: Callable[..., Paginator[M]]

    def changes(
        self,
        since: str | dt.datetime | None = None,
        *,
        overlap: dt.timedelta = DEFAULT_OVERLAP,
        per_page: int = 100,
        prefetch: int = 4,
    ) -> ChangeFeed[M]:
        """Every record created or updated after ``since`` (a ``.cursor`` from an earlier
        feed, an aware datetime, or None for all), each once per run; ``feed.cursor``
        continues from where the feed stands. ``overlap`` is how far before the previous
        run's end the next one looks again. See the README's "Keeping a ledger in sync"."""
        lister: Callable[..., Paginator[M]] = self.list
        extra = self._change_filters

        def list_window(lower: str | None, upper: str, start: str | None) -> Paginator[M]:
            return lister(
                updated_at_from=lower,
                updated_at_to=upper,
                per_page=per_page,
                prefetch=prefetch,
                start=start,
                **extra,
            )

        path, decode_page, transport = self._path, self._decode_page, self._transport

        async def server_now() -> dt.datetime:
            _, answer = await transport.request_with_answer(
                "GET", path, decode_page, params=[("per_page", "1"), ("page", "1")]
            )
            now = _server_date(answer.headers.get("Date"))
            if now is None:
                raise APIResponseValidationError(
                    status=200,
                    body_excerpt="",
                    where="no usable Date header: changes() goes by the server's clock",
                    method="GET",
                    url=transport.base_url + path,
                )
            return now

        return ChangeFeed(since, server_now=server_now, list_window=list_window, overlap=overlap)


class RawReader(RawResponses, Generic[M]):
    """``resource.with_raw_response`` of a readable resource: ``get`` typed."""

    def __init__(self, resource: ReadableResource[M]) -> None:
        super().__init__(resource)
        self._reader = resource

    def get(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Awaitable[RawResponse[M]]:
        return capture(self._reader.get(id, timeout=timeout, extra_headers=extra_headers))


def _server_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


async def run_workers(worker: Callable[[], Awaitable[Any]], count: int) -> None:
    """Run ``count`` copies of ``worker``; the first failure or a cancel stops them all."""
    tasks = [asyncio.ensure_future(worker()) for _ in range(count)]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
