"""How records become rows: the one upsert behind a sync's pages and webhook events, and the
rule it keeps, **never move a row back in time, never bring a deleted one back from the
past**.

Each row carries ``as_of``, the moment its state was Qonto's: the record's ``updated_at``
when it has one (clients, supplier invoices, transactions, bank accounts), else when the
page was answered (its ``Date``) or the event happened (its ``created_at``; client
invoices, labels and memberships carry no ``updated_at``). Qonto
retries a failed webhook delivery later, after newer events went through, and a sync's page
may have been read before an event was applied. So a record is written only if its
``as_of`` is not older than the row's, and a deleted row comes back only for a record known
after the deletion; an older record leaves the row as it is (counted ``unchanged``; an event
says ``stale``). One exception repairs rather than guesses: a full re-list that sees a
record brings its row back if the deletion was recorded well before the run began (the
record exists; an earlier release could mark rows deleted wrongly).

A moment the row already holds is not older: the record given last wins. Qonto's
``v1/transactions`` webhooks stamp ``updated_at`` to the second, so an authorisation and
its settlement within one second carry the same moment, and must both apply, in the order
delivered. (Such an event's record is also thinner than the API's: no ``*_cents``, which the
model computes; ``raw`` keeps what was delivered.)

``raw`` is the record's JSON as Qonto sent it when the listing hands it over, else the
record as the SDK decoded it (a webhook event's ``data``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Literal

import msgspec

from ._schema import COLUMNS, Kind, as_utc, utc_text
from ._store import Store, now_utc

__all__ = [
    "EventRow",
    "Outcome",
    "PageCounts",
    "PageWrite",
    "apply_event",
    "write_page",
    "write_pages",
]

Outcome = Literal["applied", "stale", "duplicate", "ignored"]

_encode = msgspec.json.Encoder(decimal_format="string").encode
# how far before a full re-list's start a deletion must lie for a sighting to undo it: room
# for the clocks of Qonto and of this machine to disagree
REPAIR_MARGIN = dt.timedelta(minutes=10)


@dataclasses.dataclass
class PageCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: PageCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged


def _sqlite_value(kind: Kind) -> Callable[[Any], Any]:
    if kind == "amount":
        return lambda v: str(v) if isinstance(v, Decimal) else v
    if kind == "date":
        return lambda v: v.isoformat() if isinstance(v, dt.date) else v
    if kind == "timestamp":
        return lambda v: utc_text(v) if isinstance(v, dt.datetime) else v
    return lambda v: v


_stamp = _sqlite_value("timestamp")
# how far ahead of this machine's clock a state may claim to be: a record dated in the future
# (a clock gone wrong) would otherwise hold its row against every later change
FUTURE_MARGIN = dt.timedelta(minutes=5)


def _pg_value(kind: Kind) -> Callable[[Any], Any]:
    if kind == "timestamp":  # PostgreSQL would read a naive one in the session's zone
        return lambda v: as_utc(v) if isinstance(v, dt.datetime) else v
    return lambda v: v


def _converter(postgres: bool) -> Callable[[Any], Any]:
    """A moment as the database takes it: aware UTC for PostgreSQL, UTC text for SQLite."""
    return _pg_value("timestamp") if postgres else _stamp


class _Shape:
    """One resource's statements, for one dialect, and how a record becomes a row."""

    def __init__(self, resource: str, postgres: bool) -> None:
        fields = COLUMNS[resource]
        names = [name for name, _, _ in fields]
        self.postgres = postgres
        adapter = _pg_value if postgres else _sqlite_value
        self.columns = [(adapter(kind), get) for _, kind, get in fields]
        self.updated_index = names.index("updated_at") if "updated_at" in names else None
        t = resource
        insert = (
            f"INSERT INTO {t} (id, {', '.join(names)}, raw, deleted_at, seen_run, as_of) "
            f"VALUES ({', '.join('?' for _ in range(len(names) + 5))}) ON CONFLICT (id) "
        )
        sets = ", ".join(f"{n} = excluded.{n}" for n in [*names, "raw", "as_of"])
        # the row moves only forward; a deleted one comes back only for a later state (or a
        # full re-list's sighting long after the deletion: the last parameter)
        self.upsert = (
            f"{insert} DO UPDATE SET {sets}, deleted_at = NULL, "
            f"seen_run = COALESCE(excluded.seen_run, {t}.seen_run) "
            f"WHERE ({t}.as_of IS NULL OR excluded.as_of >= {t}.as_of) "
            f"AND ({t}.deleted_at IS NULL OR excluded.as_of > {t}.deleted_at "
            f"OR {t}.deleted_at < ?)"
        )

        self.delete = (
            f"{insert} DO UPDATE SET deleted_at = COALESCE({t}.deleted_at, excluded.deleted_at), "
            f"as_of = CASE WHEN {t}.as_of IS NULL OR {t}.as_of < excluded.as_of "
            f"THEN excluded.as_of ELSE {t}.as_of END"
        )
        if postgres:  # jsonb compares as JSON, whatever the spacing
            # the page goes as one JSON document: psycopg escapes a text[] character by
            # character, about 30 us per KB
            self.before = (
                f"SELECT t.id, t.raw = x.raw, t.deleted_at, t.as_of FROM {t} t "
                "JOIN jsonb_to_recordset(?::jsonb) AS x(id text, raw jsonb) ON t.id = x.id"
            )
        else:
            self.before = f"SELECT id, raw, deleted_at, as_of FROM {t} WHERE id IN "

    def row(
        self, record: Any, raw: str, deleted_at: Any, mark: int | None, as_of: Any, cap: Any
    ) -> tuple[Any, ...]:
        """The row for ``record``; ``deleted_at``, ``as_of`` and ``cap`` already as the
        database takes them (``as_of`` gives way to the record's own ``updated_at``, never
        later than ``cap``)."""
        values = [adapt(get(record)) for adapt, get in self.columns]
        if self.updated_index is not None and values[self.updated_index] is not None:
            as_of = values[self.updated_index]
        return (record.id, *values, raw, deleted_at, mark, min(as_of, cap))

    def compared(self, store: Store, rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
        """id -> (the stored raw equals the new one, deleted_at, as_of), for stored rows."""
        if self.postgres:
            page = ",".join(f'{{"id":{_encode(r[0]).decode()},"raw":{r[-4]}}}' for r in rows)
            found = store.execute(self.before, (f"[{page}]",))
            return {row[0]: (row[1], row[2], row[3]) for row in found}
        marks = ", ".join("?" for _ in rows)
        found = store.execute(self.before + f"({marks})", [r[0] for r in rows])
        new_raw = {r[0]: r[-4] for r in rows}
        return {row[0]: (row[1] == new_raw[row[0]], row[2], row[3]) for row in found}


_SHAPES: dict[tuple[str, bool], _Shape] = {}


def _shape(resource: str, postgres: bool) -> _Shape:
    shape = _SHAPES.get((resource, postgres))
    if shape is None:
        shape = _SHAPES[(resource, postgres)] = _Shape(resource, postgres)
    return shape


def _raw_text(record: Any, raw: Mapping[str, Any] | None) -> str:
    sent = raw.get(record.id) if raw is not None else None
    return bytes(sent).decode() if sent is not None else _encode(record).decode()


@dataclasses.dataclass(frozen=True)
class PageWrite:
    """One page as a sync stores it: ``records`` (``raw``: their JSON as sent, by id),
    answered at ``as_of``, then ``cursor`` (unless None); rows written get ``mark`` (a full
    re-list's run, begun at ``run_started``: see the module on repairs)."""

    resource: str
    records: Sequence[Any]
    raw: Mapping[str, Any] | None
    cursor: str | None
    mark: int | None
    as_of: dt.datetime | None = None
    run_started: dt.datetime | None = None
    # how long before the run a deletion must be for a sighting to undo it; none for a
    # listing whole, whose deletions are this machine's own finding (same clock)
    margin: dt.timedelta = REPAIR_MARGIN


def write_pages(store: Store, pages: Sequence[PageWrite]) -> list[PageCounts]:
    """Store ``pages`` in order, in one transaction: all of them or none."""
    with store.transaction():
        return [_write(store, page) for page in pages]


def write_page(store: Store, page: PageWrite) -> PageCounts:
    return write_pages(store, [page])[0]


def _write(store: Store, page: PageWrite) -> PageCounts:
    shape = _shape(page.resource, store.postgres)
    convert = _converter(store.postgres)
    now = now_utc()
    moment, cap = convert(page.as_of or now), convert(now + FUTURE_MARGIN)
    repair = convert(page.run_started - page.margin) if page.run_started is not None else None
    raw, mark = page.raw, page.mark
    rows = [shape.row(r, _raw_text(r, raw), None, mark, moment, cap) for r in page.records]
    counts = PageCounts()
    if rows:
        before = shape.compared(store, rows)
        for row in rows:
            old = before.get(row[0])
            if old is None:
                counts.new += 1
            elif old[0] and old[1] is None:
                counts.unchanged += 1
            elif (old[2] is None or row[-1] >= old[2]) and (
                old[1] is None or row[-1] > old[1] or (repair is not None and old[1] < repair)
            ):
                counts.updated += 1
            else:
                counts.unchanged += 1  # an older state: the row keeps its newer one
        store.executemany(shape.upsert, [(*row, repair) for row in rows])
        if mark is not None:
            _seen(store, page.resource, mark, [row[0] for row in rows])
    if page.cursor is not None:
        store.execute(
            "INSERT INTO cursors (resource, cursor) VALUES (?, ?) "
            "ON CONFLICT (resource) DO UPDATE SET cursor = excluded.cursor",
            (page.resource, page.cursor),
        )
    return counts


def _seen(store: Store, table: str, mark: int, ids: Sequence[str]) -> None:
    """A full listing saw ``ids``: their rows are marked ``mark``, the ones whose newer state
    kept the upsert from writing them included (they exist: never taken for deleted)."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        store.execute(
            f"UPDATE {table} SET seen_run = ? WHERE id IN ({marks}) "
            "AND (seen_run IS NULL OR seen_run <> ?)",
            (mark, *chunk, mark),
        )


@dataclasses.dataclass(frozen=True)
class EventRow:
    """A webhook event as the ledger records it."""

    id: str
    type: str
    resource: str | None  # None: a type the ledger does not keep
    record: Any
    occurred_at: dt.datetime | None
    deleted: bool
    raw: str  # the delivery as received (else the event as decoded)
    record_raw: str | None  # the record in it as Qonto sent it (else None: encoded here)


def apply_event(store: Store, event: EventRow) -> Outcome:
    """Record ``event`` and apply its record, in one transaction: an event id recorded before
    is ``duplicate`` (nothing changes); a record older than its row is ``stale``."""
    received = now_utc()
    occurred = min(as_utc(event.occurred_at or received), received + FUTURE_MARGIN)
    convert = _converter(store.postgres)
    cap = convert(received + FUTURE_MARGIN)
    with store.transaction():
        inserted = store.execute(
            "INSERT INTO ledger_events (id, type, resource, record_id, occurred_at, "
            "received_at, outcome, raw) VALUES (?, ?, ?, ?, ?, ?, 'received', ?) "
            "ON CONFLICT (id) DO NOTHING",
            (
                event.id,
                event.type,
                event.resource,
                getattr(event.record, "id", None),
                convert(occurred),
                convert(received),
                event.raw,
            ),
        ).rowcount
        if inserted == 0:
            return "duplicate"
        outcome: Outcome = "ignored"
        if event.resource is not None:
            shape = _shape(event.resource, store.postgres)
            raw = event.record_raw or _encode(event.record).decode()
            if event.deleted:
                row = shape.row(event.record, raw, None, None, convert(occurred), cap)
                updated = getattr(event.record, "updated_at", None)
                gone = (
                    max(occurred, as_utc(updated)) if isinstance(updated, dt.datetime) else occurred
                )
                gone = min(gone, received + FUTURE_MARGIN)
                deleted_row = (*row[:-3], convert(gone), None, convert(gone))
                store.execute(shape.delete, deleted_row)
                outcome = "applied"
            else:
                row = shape.row(event.record, raw, None, None, convert(occurred), cap)
                written = store.execute(shape.upsert, (*row, None)).rowcount
                outcome = "applied" if written else "stale"
        store.execute("UPDATE ledger_events SET outcome = ? WHERE id = ?", (outcome, event.id))
    return outcome
