"""One page of a list, as the paginator hands it out, and :class:`Records`, what
``changes().pages()`` hands out: both keep each record's JSON as the server sent it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar

import msgspec

from ..models import Meta

__all__ = ["Page", "PageURL", "RawSource", "Records", "decoded_page", "derived_page"]

T = TypeVar("T")

PageURL = Callable[[int], str]
"""The URL of page ``n`` as errors show it."""


class RawSource(Protocol):
    """A decoded answer that can say what JSON each of its ``items`` came from: ``raws`` is
    parallel to ``items`` (:class:`~qonto_async.models.common.DecodedPage`)."""

    @property
    def items(self) -> Sequence[object]: ...

    @property
    def raws(self) -> Sequence[msgspec.Raw]: ...


_Source = RawSource | Mapping[str, msgspec.Raw] | None


class Page(Generic[T]):
    """One page of a list: its ``items``, Qonto's ``meta`` and its ``number`` in the run.

    ``date`` is the server's ``Date`` header when the page was answered (None if absent).

    ``raw`` maps the ``id`` of each item (each one with a ``str`` id) to its JSON exactly as
    the server sent it, fields the models do not know included: a :class:`msgspec.Raw`,
    zero-copy view into the answer's body (``bytes(raw)`` to store it; a ``Raw`` kept keeps
    the whole body alive). A page of ``paginator.pages()`` maps exactly its own items, after
    the listing's filtering (ids handed out before, records outside the bounds); an id the
    server sent twice on one answer maps the occurrence the page holds. Built on first
    access (splitting the answer costs a quarter of its decode), so until then, and after
    through its views, a page keeps its answer's body; a page built without
    (``Page(items, meta, number)``) has an empty one.
    """

    __slots__ = ("_raw", "_source", "date", "items", "meta", "number")

    def __init__(
        self,
        items: list[T],
        meta: Meta | None,
        number: int,
        date: dt.datetime | None = None,
        raw: Mapping[str, msgspec.Raw] | None = None,
    ) -> None:
        self.items = items
        self.meta = meta
        self.number = number
        self.date = date
        self._raw = raw
        self._source: _Source = None

    @property
    def raw(self) -> Mapping[str, msgspec.Raw]:
        raw = self._raw
        if raw is None:
            raw = self._raw = _raw_of(self.items, self._source)
            self._source = None
        return raw

    def __repr__(self) -> str:
        return f"Page(number={self.number}, items={len(self.items)}, meta={self.meta!r})"


class Records(list[T]):
    """A page of records as ``changes().pages()`` yields it: a ``list`` of the records, and
    ``raw``, each one's JSON exactly as the server sent it, by id (see :attr:`Page.raw`).

    Store ``bytes(records.raw[record.id])`` to keep Qonto's record whole: re-encoding the
    model loses every field the models do not know. ``date`` is the server's ``Date`` when
    the page was answered (None if absent): the records were Qonto's state then. A
    ``Records`` built without ``raw`` has an empty one; slices and ``.copy()`` are plain lists.
    """

    __slots__ = ("_page", "_raw", "date")

    def __init__(
        self,
        items: Iterable[T] = (),
        raw: Mapping[str, msgspec.Raw] | None = None,
        date: dt.datetime | None = None,
    ) -> None:
        super().__init__(items)
        self._raw = raw
        self._page: Page[T] | None = None
        self.date = date

    @property
    def raw(self) -> Mapping[str, msgspec.Raw]:
        raw = self._raw
        if raw is None:
            page, self._page = self._page, None
            raw = self._raw = {} if page is None else page.raw
        return raw

    @classmethod
    def of(cls, page: Page[T]) -> Records[T]:
        """The records of ``page``, their ``raw`` its own (read when first asked for)."""
        records = cls(page.items, date=page.date)
        records._page = page
        return records


def decoded_page(
    source: RawSource, items: list[T], meta: Meta | None, date: dt.datetime | None
) -> Page[T]:
    """A page of ``items`` decoded from ``source``, whose ``raw`` comes from it."""
    page = Page(items, meta, 0, date)
    page._source = source
    return page


def derived_page(page: Page[T], items: list[T], number: int) -> Page[T]:
    """A page of ``items`` taken from ``page`` (its meta and date), numbered ``number``: its
    ``raw`` maps these items only."""
    out = Page(items, page.meta, number, page.date)
    out._source = page._source if page._raw is None else page._raw
    return out


def _raw_of(items: list[T], source: _Source) -> dict[str, msgspec.Raw]:
    """Each item's JSON by its id: from ``source``'s (matched by identity, so an id the
    server sent twice maps the occurrence among ``items``), or from a mapping by id."""
    raw: dict[str, msgspec.Raw] = {}
    if source is None:
        return raw
    if isinstance(source, Mapping):
        for item in items:
            record_id = getattr(item, "id", None)
            if isinstance(record_id, str) and record_id in source and record_id not in raw:
                raw[record_id] = source[record_id]
        return raw
    of_object = {id(item): text for item, text in zip(source.items, source.raws, strict=True)}
    for item in items:
        record_id = getattr(item, "id", None)
        if isinstance(record_id, str) and record_id not in raw:
            text = of_object.get(id(item))
            if text is not None:
                raw[record_id] = text
    return raw
