"""How fast the ledger writes: rows per second into SQLite and PostgreSQL.

20,000 client invoices and 2,000 clients as FakeQonto serves them (each invoice about 4 KB of
JSON) are decoded once, then written page by page (100 records, each page one transaction
with its cursor) into a new ledger, exactly as a sync writes them: the records, their JSON as
Qonto sent it, the rule that never moves a row back in time. Then the same pages again into
the filled ledger (an unchanged re-list: every row compared, none changed). PostgreSQL runs
when its binaries are installed (the test command installs them); it gets a server of its
own on a free local port.

Run from the repository root:  python -m benchmarks.ledger [--quick]
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import msgspec

from benchmarks._common import base_parser, finish, print_table

MODULE = "benchmarks.ledger"
PAGE = 100
GOALS = {"SQLite": 50_000, "PostgreSQL": 20_000}  # rows/s, issue 22


def pages(invoices: int) -> list[tuple[str, list[Any], dict[str, bytes]]]:
    """The fake's records as the SDK hands them to the ledger: (resource, models, raw)."""
    from qonto_async import Client, ClientInvoice
    from qonto_async.models.common import model_decoder
    from qonto_async.testing import FakeQonto

    fake = FakeQonto(seed=0, clients=invoices // 10, client_invoices=invoices)
    decoders = {"clients": model_decoder(Client), "client_invoices": model_decoder(ClientInvoice)}
    out = []
    for resource, decode in decoders.items():
        ids = fake.ids(resource)
        for start in range(0, len(ids), PAGE):
            raws = [
                msgspec.json.encode(fake.record(resource, i)) for i in ids[start : start + PAGE]
            ]
            models = [decode.decode(raw) for raw in raws]
            out.append((resource, models, {m.id: raw for m, raw in zip(models, raws, strict=True)}))
    return out


def write_all(
    db: str, batches: list[tuple[str, list[Any], dict[str, bytes]]], per_commit: int = 1
) -> float:
    """Seconds to store every page, ``per_commit`` pages per transaction (a sync commits
    several at once when the database is the slower side)."""
    from qonto_async.ledger._rows import PageWrite, write_pages
    from qonto_async.ledger._store import Store

    store = Store(db)
    try:
        writes = [
            PageWrite(resource, records, raw, f"cursor-{number}", 1)
            for number, (resource, records, raw) in enumerate(batches)
        ]
        started = time.perf_counter()
        for start in range(0, len(writes), per_commit):
            write_pages(store, writes[start : start + per_commit])
        return time.perf_counter() - started
    finally:
        store.close()


@contextlib.contextmanager
def postgres() -> Iterator[str | None]:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    try:
        from servers import fresh_database, postgres_binaries, running_postgres
    except ImportError:
        yield None
        return
    if postgres_binaries() is None:
        yield None
        return
    with running_postgres() as url:
        databases = [fresh_database(url), fresh_database(url)]
        try:
            yield f"{next(databases[0])}|{next(databases[1])}"
        finally:
            for database in databases:
                database.close()


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else "")
    args = parser.parse_args()
    invoices = 2_000 if args.quick else 20_000
    batches = pages(invoices)
    rows_total = sum(len(records) for _, records, _ in batches)
    results: dict[str, Any] = {"rows": rows_total}
    table = []
    with tempfile.TemporaryDirectory() as folder, postgres() as pg_url:
        targets = [("SQLite", f"{folder}/ledger.sqlite|{folder}/grouped.sqlite")]
        if pg_url is not None:
            targets.append(("PostgreSQL", pg_url))
        for name, dbs in targets:
            db, other = dbs.split("|")
            first = write_all(db, batches)
            again = write_all(db, batches)
            grouped = write_all(other, batches, 8)
            results[name] = {
                "new_rows_per_s": rows_total / first,
                "same_rows_per_s": rows_total / again,
                "grouped_rows_per_s": rows_total / grouped,
            }
            table.append(
                [
                    name,
                    f"{rows_total:,}",
                    f"{rows_total / first:,.0f}",
                    f"{rows_total / again:,.0f}",
                    f"{rows_total / grouped:,.0f}",
                    f"{GOALS[name]:,}",
                ]
            )
    print_table(
        f"ledger writes, {rows_total:,} rows in pages of {PAGE}",
        ["database", "rows", "new, 1 page/commit", "unchanged re-list", "new, 8 pages/commit",
         "goal rows/s"],
        table,
    )  # fmt: skip
    finish("ledger", MODULE, results)


if __name__ == "__main__":
    main()
