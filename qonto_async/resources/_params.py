"""Turning Python filter values into Qonto's query strings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import TypedDict

from .._listing.paginator import ProgressCallback
from .._listing.position import us_of

__all__ = [
    "ListOptions",
    "Moment",
    "Query",
    "add",
    "add_moments",
    "flag",
    "instant_us",
    "moment",
    "sort_key",
    "statuses",
]

Moment = dt.datetime | dt.date | str
Query = list[tuple[str, str]]


class ListOptions(TypedDict, total=False):
    """The keywords every ``list()`` takes beside its own filters.

    ``created_at_from``/``created_at_to``, ``updated_at_from``/``updated_at_to``: aware
    datetimes, dates or ISO 8601 strings, bounds included. ``sort_by``: ``field:asc`` or
    ``field:desc`` among the resource's sort fields (newest first by default). ``per_page``: 1
    to 100 (100). ``prefetch``: pages in flight (4). ``on_progress(done, total)``, ``limit``
    (stop after N records) and ``start`` (a ``paginator.position`` to go on from): see
    :class:`~qonto_async.Paginator`.
    """

    created_at_from: Moment | None
    created_at_to: Moment | None
    updated_at_from: Moment | None
    updated_at_to: Moment | None
    sort_by: str | None
    per_page: int
    prefetch: int
    on_progress: ProgressCallback | None
    limit: int | None
    start: str | None


def moment(name: str, value: Moment) -> str:
    """ISO 8601 for a filter: aware datetimes go to UTC with ``Z``, dates stay dates."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{name} must be timezone-aware (naive datetimes are ambiguous): "
                f"use e.g. {value.replace(tzinfo=dt.UTC)!r}"
            )
        utc = value.astimezone(dt.UTC)
        text = utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds")
        return text.replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value:
        return value
    raise TypeError(f"{name} must be a datetime, a date or an ISO 8601 string, not {value!r}")


def flag(value: bool) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"expected a bool, not {value!r}")
    return "true" if value else "false"


def statuses(name: str, value: str | Iterable[str], allowed: Sequence[str]) -> list[str]:
    """One status or several, each among ``allowed`` (what Qonto documents): Qonto answers
    an unknown one (``"payed"``) with an empty list, not an error, so it is refused here."""
    items = [value] if isinstance(value, str) else list(value)
    if not items or not all(isinstance(item, str) and item for item in items):
        raise ValueError(f"{name} must be a non-empty status or list of statuses, not {value!r}")
    for item in items:
        if item not in allowed:
            raise ValueError(f"{name}={item!r} is not one of {', '.join(allowed)}")
    return items


def sort_key(value: str, fields: Collection[str]) -> str:
    """Check ``field:asc``/``field:desc`` (a bare ``field`` is accepted as Qonto does)."""
    field, _, direction = value.partition(":")
    if field not in fields or direction not in ("", "asc", "desc"):
        allowed = ", ".join(f"{f}:asc|desc" for f in sorted(fields))
        raise ValueError(f"sort_by={value!r} is not one of {allowed}")
    return value


def add(query: Query, key: str, value: str | None) -> None:
    if value is not None:
        query.append((key, value))


def add_moments(query: Query, *, bracketed: bool = True, **moments: Moment | None) -> None:
    """Add ``filter[<name>]`` (or the bare ``name`` where the collection's filters are bare,
    as the transactions' are) for each given moment, in the order given."""
    for name, value in moments.items():
        if value is not None:
            query.append((f"filter[{name}]" if bracketed else name, moment(name, value)))


def instant_us(name: str, value: Moment | None, *, end: bool) -> int | None:
    """A ``created_at`` bound in epoch microseconds, inclusive; a date bound covers its day
    (UTC). A string is read as ISO 8601, naive meaning UTC, as Qonto reads it."""
    if value is None:
        return None
    text = moment(name, value)
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            instant = start + dt.timedelta(days=1, microseconds=-1) if end else start
        else:
            instant = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date or timestamp, not {value!r}") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return us_of(instant)
