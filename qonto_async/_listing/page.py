"""One page of a list, as the paginator hands it out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Generic, TypeVar

from ..models import Meta

__all__ = ["Page", "PageURL"]

T = TypeVar("T")

PageURL = Callable[[int], str]
"""The URL of page ``n`` as errors show it."""


class Page(Generic[T]):
    """One page of a list: its ``items``, Qonto's ``meta`` and its ``number`` in the run.

    ``date`` is the server's ``Date`` header when the page was answered (None if absent).
    """

    __slots__ = ("date", "items", "meta", "number")

    def __init__(
        self, items: list[T], meta: Meta | None, number: int, date: dt.datetime | None = None
    ) -> None:
        self.items = items
        self.meta = meta
        self.number = number
        self.date = date

    def __repr__(self) -> str:
        return f"Page(number={self.number}, items={len(self.items)}, meta={self.meta!r})"
