"""A tiny model of how Qonto answers a client-invoice list query, for unit tests' servers:
``total`` invoices, ``inv-00000`` the newest, one second apart and never updated;
``created_at`` and ``updated_at_from`` filters (inclusive) and ``sort_by=created_at:asc|desc``
honoured, offset pagination."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

NEWEST = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def created_at(n: int, step: dt.timedelta = dt.timedelta(seconds=1), ties: int = 1) -> dt.datetime:
    """Invoice ``n``'s instant: ``ties`` invoices share each one, ``step`` apart."""
    return NEWEST - (n // ties) * step


def invoice(n: int, step: dt.timedelta = dt.timedelta(seconds=1), ties: int = 1) -> dict[str, Any]:
    return {
        "id": f"inv-{n:05d}",
        "number": f"INV{n}",
        "status": "paid",
        "created_at": created_at(n, step, ties).isoformat(timespec="microseconds"),
    }


def answer(
    total: int,
    query: Mapping[str, str],
    *,
    created_filters: bool = True,
    step: dt.timedelta = dt.timedelta(seconds=1),
    ties: int = 1,
    **meta: Any,
) -> dict[str, Any]:
    """The JSON body for ``query`` (``page`` and ``per_page`` required); with
    ``created_filters=False`` the ``created_at`` filters are ignored, as Rails ignores
    parameters it does not know."""
    page, per_page = int(query["page"]), int(query["per_page"])
    numbers = list(range(total))
    low = query.get("filter[created_at_from]") if created_filters else None
    high = query.get("filter[created_at_to]") if created_filters else None
    if low is not None:
        since = dt.datetime.fromisoformat(low)
        numbers = [n for n in numbers if created_at(n, step, ties) >= since]
    if high is not None:
        until = dt.datetime.fromisoformat(high)
        numbers = [n for n in numbers if created_at(n, step, ties) <= until]
    changed_since = query.get("filter[updated_at_from]")  # never updated: updated_at = created_at
    if changed_since is not None:
        since = dt.datetime.fromisoformat(changed_since)
        numbers = [n for n in numbers if created_at(n) >= since]
    if query.get("sort_by") == "created_at:asc":
        numbers.reverse()
    count = len(numbers)
    total_pages = max(1, -(-count // per_page))
    chunk = numbers[(page - 1) * per_page : page * per_page]
    values = {
        "current_page": page,
        "next_page": page + 1 if page < total_pages else None,
        "prev_page": page - 1 if page > 1 else None,
        "total_pages": total_pages,
        "total_count": count,
        "per_page": per_page,
    }
    values.update(meta)
    return {"client_invoices": [invoice(n, step, ties) for n in chunk], "meta": values}
