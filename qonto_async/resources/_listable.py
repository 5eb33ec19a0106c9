"""What a collection with a list endpoint adds to a readable one: ``list()`` plumbing over
its :class:`~qonto_async._listing.spec.ListingSpec`, and ``changes()``."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from yarl import URL

from .._http.answers import public_url
from .._http.call import QueryParams
from .._listing.changes import DEFAULT_OVERLAP, ChangeFeed
from .._listing.page import Page, decoded_page
from .._listing.paginator import Paginator
from .._listing.spec import ListingSpec
from ..errors import APIResponseValidationError
from ._base import ReadableResource
from ._params import ListOptions, Moment, add_moments, instant_us, sort_key

__all__ = ["ListableResource", "merged", "server_date"]

M = TypeVar("M")
MAX_PER_PAGE = 100
_LIST_OPTIONS = ListOptions.__optional_keys__


class ListableResource(ReadableResource[M]):
    """A collection with a list endpoint keyed on ``created_at`` and ``updated_at``: it gets
    :meth:`changes`. A subclass defines ``list`` taking ``updated_at_from``/``updated_at_to``
    and ``start``; ``_change_filters`` are what ``changes()`` adds to it."""

    _listing: ClassVar[ListingSpec]
    _change_filters: ClassVar[dict[str, Any]] = {}
    _clock_path: ClassVar[str | None] = None
    list: Callable[..., Paginator[M]]

    def _paginate(
        self,
        filters: QueryParams,
        options: ListOptions,
        *,
        foreign: Callable[[M], bool] | None = None,
    ) -> Paginator[M]:
        """A paginator over ``_path`` with ``filters`` and the other :class:`ListOptions`,
        as the resource's :class:`ListingSpec` says: walked on its key (exactly once,
        resumable) unless ``sort_by`` names another field, then by page number, verified.
        Bounds on the key are the walk's; other moments are plain filters. A record for
        which ``foreign`` holds (another account's transaction) shows the server ignored a
        filter the listing cannot do without: an :class:`APIResponseValidationError`."""
        unknown = options.keys() - _LIST_OPTIONS
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.list() got an unexpected keyword argument "
                f"{sorted(unknown)[0]!r}"
            )
        spec = self._listing
        per_page = options.get("per_page", 100)
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
        sort_by = options.get("sort_by")
        if sort_by is not None:
            sort_by = sort_key(sort_by, spec.sorts)
        base = list(filters)
        named = {name for name, _ in base}
        bounds: dict[str, int | None] = {"from": None, "to": None}
        moments: dict[str, Moment | None] = {
            "created_at_from": options.get("created_at_from"),
            "created_at_to": options.get("created_at_to"),
            "updated_at_from": options.get("updated_at_from"),
            "updated_at_to": options.get("updated_at_to"),
        }
        keyed = spec.key is not None and (sort_by or spec.default_sort).startswith(spec.key)
        for name, value in moments.items():
            field, _, end = name.rpartition("_")
            if keyed and field == spec.key:
                bounds[end] = instant_us(name, value, end=end == "to")
            elif value is not None and spec.filter_name(name) not in named:
                add_moments(base, bracketed=spec.bracketed, **{name: value})
        if keyed:  # the walk sends its own bounds on the key
            base = [(n, v) for n, v in base if n not in (spec.key_from, spec.key_to)]
        path, decode_page, transport = self._path, self._decode_page, self._transport
        own = spec.own_filters

        async def fetch(query: QueryParams) -> Page[M]:
            params = merged(base, query, own)
            decoded, answer = await transport.request_with_answer(
                "GET", path, decode_page, params=params
            )
            if foreign is not None:
                stray = next((item for item in decoded.items if foreign(item)), None)
                if stray is not None:
                    raise APIResponseValidationError(
                        status=answer.status,
                        body_excerpt="",
                        where=f"record {getattr(stray, 'id', None)!r} does not match the "
                        "filters asked for: the server ignored one",
                        method="GET",
                        url=describe(query),
                    )
            date = server_date(answer.headers.get("Date"))
            return decoded_page(decoded, decoded.items, decoded.meta, date)

        def describe(query: QueryParams) -> str:
            url = URL(transport.base_url + path, encoded=True)
            return public_url(url.extend_query([*base, *query]))

        return Paginator(
            spec,
            fetch,
            per_page=per_page,
            prefetch=options.get("prefetch", 4),
            sort=sort_by,
            lower_us=bounds["from"],
            upper_us=bounds["to"],
            on_progress=options.get("on_progress"),
            limit=options.get("limit"),
            start=options.get("start"),
            describe=describe,
        )

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
        return self._feed(since, overlap, per_page, prefetch, self._change_filters)

    def _feed(
        self,
        since: str | dt.datetime | None,
        overlap: dt.timedelta,
        per_page: int,
        prefetch: int,
        extra: dict[str, Any],
    ) -> ChangeFeed[M]:
        """:meth:`changes` over ``list(**extra)``; the run's bound is the ``Date`` of one
        small request to ``_clock_path`` (the list itself, unless it needs more than
        ``per_page`` to answer)."""
        lister: Callable[..., Paginator[M]] = self.list

        def list_window(lower: str | None, upper: str, start: str | None) -> Paginator[M]:
            return lister(
                updated_at_from=lower,
                updated_at_to=upper,
                per_page=per_page,
                prefetch=prefetch,
                start=start,
                **extra,
            )

        path, transport = self._clock_path or self._path, self._transport

        async def server_now() -> tuple[dt.datetime, str]:
            _, answer = await transport.request_with_answer(
                "GET", path, _ignored, params=[("per_page", "1"), ("page", "1")]
            )
            url = public_url(URL(transport.base_url + path).with_query(per_page=1, page=1))
            now = server_date(answer.headers.get("Date"))
            if now is None:
                raise APIResponseValidationError(
                    status=200,
                    body_excerpt="",
                    where="no usable Date header: changes() goes by the server's clock",
                    method="GET",
                    url=url,
                )
            return now, url

        return ChangeFeed(since, server_now=server_now, list_window=list_window, overlap=overlap)


def _ignored(body: bytes) -> None:
    """The clock request's body: only its ``Date`` header matters."""


def merged(base: QueryParams, query: QueryParams, own: frozenset[str]) -> QueryParams:
    """``base`` then ``query``, where a filter the listing sends itself (``own``: the walk's
    bounds, the change check's ``updated_at_from``) replaces the caller's: a server reads one
    value per key."""
    sent = {name for name, _ in query if name in own}
    return [*(p for p in base if p[0] not in sent), *query] if sent else [*base, *query]


def server_date(value: str | None) -> dt.datetime | None:
    """An HTTP ``Date`` as an aware datetime; None when absent, malformed or without a zone
    (RFC 9110 dates are GMT: one without a zone cannot be placed)."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo is not None else None
