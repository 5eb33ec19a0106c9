"""Query parameters of the bank endpoints, read as Qonto's Rails application reads them.

- Array parameters are read only under their bracketed names (``status[]``,
  ``operation_type[]``, ``includes[]``, ``bank_account_ids[]``, ``ibans[]``), the key
  repeated once per value. A bare ``status=completed`` is not the array Rails would bind:
  it is ignored as every unknown parameter is, and the default applies. Empty values
  (``status[]=``) are dropped.
- Pagination: ``page`` (or ``current_page``, which older clients send) >= 1 and
  ``per_page`` 1..100, else 400 ``bad_request``, as on the fake's other lists. A page past
  the last one is an empty page (one integration reports a 422 there: UNCONFIRMED).
- Time bounds (``*_from``/``*_to``) are inclusive; a timestamp is compared to the
  millisecond, a bare date ``to`` covers its whole day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from multidict import MultiMapping

from ._datagen import epoch_us
from ._query import ParamError, pagination

__all__ = [
    "INCLUDES",
    "ParamError",
    "StatementQuery",
    "TransactionQuery",
    "array",
    "pagination",
    "parse_statements",
    "parse_transactions",
]

STATUS_NAMES = ("pending", "declined", "completed")
INCLUDES = ("vat_details", "labels", "attachments")
SORT_KEYS = ("updated_at", "settled_at", "emitted_at")
_PERIOD = re.compile(r"(\d{2})-(\d{4})")


def array(query: MultiMapping[str], name: str) -> list[str]:
    """The values of ``name[]``, the key repeated once per value; empty ones dropped."""
    return [v for v in query.getall(f"{name}[]", []) if v != ""]


def _one_of(values: list[str], allowed: tuple[str, ...], name: str) -> list[str]:
    for value in values:
        if value not in allowed:
            detail = f"{name} must be one of: {', '.join(allowed)}"
            raise ParamError(422, "not_in_list", detail, name)
    return values


def _instant_ms(query: MultiMapping[str], name: str, *, end: bool) -> int | None:
    """Epoch milliseconds of an ISO 8601 timestamp (no zone: UTC) or date, inclusive."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            epoch = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
            return (epoch + 86_400) * 1000 - 1 if end else epoch * 1000
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:  # "+02:00" sent unencoded arrives as " 02:00"
            value = dt.datetime.fromisoformat(raw[:-6] + raw[-6:].replace(" ", "+"))
    except ValueError:
        detail = f"{name} must be a valid date time format (ISO 8601)"
        raise ParamError(422, "invalid_parameter", detail, name) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    us = epoch_us(value)
    # inclusive to the millisecond records are kept in: from rounds up, to rounds down
    return us // 1000 if end else -(-us // 1000)


def _boolean(query: MultiMapping[str], name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ParamError(422, "invalid_parameter", f"{name} must be true or false", name)


@dataclass(frozen=True)
class TransactionQuery:
    bank_account_id: str | None
    iban: str | None
    mask: int
    windows: tuple[tuple[int, tuple[int | None, int | None]], ...]
    side: str | None
    operation_types: frozenset[str] | None
    with_attachments: bool | None
    includes: tuple[str, ...]
    sort: tuple[int, bool]

    def predicate_key(self) -> tuple[object, ...] | None:
        if self.side is None and self.operation_types is None and self.with_attachments is None:
            return None
        return (self.side, self.operation_types, self.with_attachments)


def includes(query: MultiMapping[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_one_of(array(query, "includes"), INCLUDES, "includes")))


def parse_transactions(query: MultiMapping[str]) -> TransactionQuery:
    """The filters of ``GET /v2/transactions`` (reference §2.1)."""
    statuses = _one_of(array(query, "status"), STATUS_NAMES, "status")
    # Qonto's default when status[] is omitted: completed only.
    mask = sum({1 << STATUS_NAMES.index(s) for s in statuses}) if statuses else 4
    windows: dict[int, tuple[int | None, int | None]] = {}
    # created_at_from/to (only qontoctl sends them: UNCONFIRMED) are honoured too: a
    # transaction's created_at is its emitted_at here, so they narrow the emitted_at window.
    for k, key in enumerate(SORT_KEYS):
        names = [key] + (["created_at"] if key == "emitted_at" else [])
        for name in names:
            lo = _instant_ms(query, f"{name}_from", end=False)
            hi = _instant_ms(query, f"{name}_to", end=True)
            if lo is None and hi is None:
                continue
            old_lo, old_hi = windows.get(k, (None, None))
            if old_lo is not None and lo is not None:
                lo = max(lo, old_lo)
            if old_hi is not None and hi is not None:
                hi = min(hi, old_hi)
            windows[k] = (lo if lo is not None else old_lo, hi if hi is not None else old_hi)
    side = query.get("side") or None  # a scalar in Qonto's spec; ``side[]`` is not read
    if side is not None and side not in ("credit", "debit"):
        raise ParamError(422, "not_in_list", "side must be one of: credit, debit", "side")
    ops = array(query, "operation_type")
    sort = (1, True)  # settled_at:desc, the default Qonto's spec and one client state
    raw_sort = query.get("sort_by")
    if raw_sort:
        field, _, direction = raw_sort.partition(":")
        if field not in SORT_KEYS or direction not in ("", "asc", "desc"):
            allowed = ", ".join(f"{f}:asc|desc" for f in SORT_KEYS)
            raise ParamError(
                422, "invalid_parameter", f"sort_by must be one of {allowed}", "sort_by"
            )
        sort = (SORT_KEYS.index(field), direction == "desc")
    return TransactionQuery(
        bank_account_id=query.get("bank_account_id") or None,
        iban=query.get("iban") or None,
        mask=mask,
        windows=tuple(sorted(windows.items())),
        side=side,
        operation_types=frozenset(ops) if ops else None,
        # true: one attachment or more (documented); false: none at all (UNCONFIRMED: the
        # docs describe only true; this is the reading a UI's "missing receipt" filter has)
        with_attachments=_boolean(query, "with_attachments"),
        includes=includes(query),
        sort=sort,
    )


def predicate(
    q: TransactionQuery,
    debit: list[bool],
    op_names: Callable[[int], str],
    files: list[tuple[str, ...]],
) -> Callable[[int], bool] | None:
    """What the indexes cannot answer: side, operation types, attachments."""
    checks: list[Callable[[int], bool]] = []
    if q.side is not None:
        want_debit = q.side == "debit"
        checks.append(lambda i: debit[i] is want_debit)
    if q.operation_types is not None:
        ops = q.operation_types
        checks.append(lambda i: op_names(i) in ops)
    if q.with_attachments is not None:
        want = q.with_attachments
        checks.append(lambda i: bool(files[i]) is want)
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda i: all(c(i) for c in checks)


@dataclass(frozen=True)
class StatementQuery:
    bank_account_ids: frozenset[str] | None
    ibans: frozenset[str] | None
    period_from: tuple[int, int] | None
    period_to: tuple[int, int] | None
    descending: bool


def _period(query: MultiMapping[str], name: str) -> tuple[int, int] | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    match = _PERIOD.fullmatch(raw)
    if match is None or not 1 <= int(match[1]) <= 12:
        raise ParamError(422, "invalid_parameter", f"{name} must be a month as MM-YYYY", name)
    return int(match[2]), int(match[1])


def parse_statements(query: MultiMapping[str]) -> StatementQuery:
    """The filters of ``GET /v2/statements`` (reference §4.3)."""
    ids, ibans = array(query, "bank_account_ids"), array(query, "ibans")
    if ids and ibans:
        detail = "bank_account_ids and ibans cannot be used together"
        raise ParamError(422, "invalid_parameter", detail, "ibans")
    descending = True  # period:desc, the spec's example value (the default is not documented)
    raw_sort = query.get("sort_by")
    if raw_sort:
        if raw_sort not in ("period", "period:asc", "period:desc"):
            raise ParamError(
                422, "invalid_parameter", "sort_by must be one of period:asc|desc", "sort_by"
            )
        descending = raw_sort == "period:desc"
    return StatementQuery(
        bank_account_ids=frozenset(ids) if ids else None,
        ibans=frozenset(ibans) if ibans else None,
        period_from=_period(query, "period_from"),
        period_to=_period(query, "period_to"),
        descending=descending,
    )
