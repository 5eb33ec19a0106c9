"""`qonto-async sync` against Qonto's rate limit: an initial sync, then an incremental one.

FakeQonto (20,000 client invoices, 2,000 clients) runs in its own spawned process with
Qonto's limits on (1,000 requests / 10 s and 10,000 / 10 min) and 20 ms of latency. The
sync command runs in this process, exactly as a user runs it (`--base-url` the fake):

  1. initial sync into an empty SQLite ledger: its time against the rate-limit bound
     (requests / the SDK's 90 requests/s budget, Qonto allowing 100/s), and its requests;
  2. 1% of the invoices change in the fake (status and updated_at), then the second sync:
     how many requests it makes and how long it takes, against a re-list of everything.

Run from the repository root:  python -m benchmarks.sync [--quick]
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import tempfile
import time
from typing import Any

from benchmarks._common import (
    FakeConfig,
    FakeServer,
    Reply,
    base_parser,
    fake_stats,
    finish,
    print_table,
)

MODULE = "benchmarks.sync"
SDK_RATE = 90.0  # the SDK's default requests_per_second


def _replies(fake: Any) -> Reply:
    """In the fake's process: "change" changes 1% of the invoices' status and returns the
    new statuses by id; any other message, the requests and 429s since the last one."""
    rng = random.Random(0)

    def reply(message: Any) -> Any:
        if message == "change":
            ids = fake.ids("client_invoices")
            changed = rng.sample(ids, len(ids) // 100)
            for record_id in changed:
                status = fake.record("client_invoices", record_id)["status"]
                new = "unpaid" if status == "paid" else "paid"
                fake.update("client_invoices", record_id, status=new)
            return {rid: fake.record("client_invoices", rid)["status"] for rid in changed}
        stats = fake_stats(fake)
        return {"requests": stats["requests"], "rate_limited": stats["rate_limited"]}

    return reply


def run_sync(fake: FakeServer, db: str) -> float:
    from qonto_async._cli.app import cli

    os.environ.update(
        QONTO_LOGIN=fake.hello["login"],
        QONTO_SECRET_KEY=fake.hello["secret_key"],
        QONTO_BASE_URL=fake.url,
    )
    started = time.perf_counter()
    cli.main(
        ["sync", "--db", db, "--resources", "clients,client-invoices", "--no-progress"],
        prog_name="qonto-async",
        standalone_mode=False,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else "")
    args = parser.parse_args()
    invoices = 2_000 if args.quick else 20_000
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeServer(
            FakeConfig(
                {
                    "seed": 0,
                    "clients": invoices // 10,
                    "client_invoices": invoices,
                    "latency": 0.02,
                },
                warm=("client_invoices", "clients"),
                replies=_replies,
            )
        ) as fake,
    ):
        db = os.path.join(folder, "ledger.sqlite")
        first = run_sync(fake, db)
        first_stats = fake.ask("stats")
        changed = fake.ask("change")
        second = run_sync(fake, db)
        second_stats = fake.ask("stats")
        with contextlib.closing(sqlite3.connect(db)) as conn:
            stored = dict(conn.execute("SELECT id, status FROM client_invoices").fetchall())
        reached = sum(stored.get(rid) == status for rid, status in changed.items())
    bound = first_stats["requests"] / SDK_RATE
    rows = [
        [
            "initial",
            f"{invoices + invoices // 10:,}",
            str(first_stats["requests"]),
            str(first_stats["rate_limited"]),
            f"{first:.2f} s",
            f"{bound:.2f} s",
            f"{first / bound:.2f}x",
        ],
        [
            "after 1% changed",
            f"{len(changed):,} changed",
            str(second_stats["requests"]),
            str(second_stats["rate_limited"]),
            f"{second:.2f} s",
            f"{second_stats['requests'] / SDK_RATE:.2f} s",
            f"{second / first:.3f} of the initial time",
        ],
    ]
    print_table(
        f"qonto-async sync, {invoices:,} invoices, Qonto's rate limit on, 20 ms latency",
        ["run", "records", "requests", "429s", "time", "rate-limit bound", "ratio"],
        rows,
    )
    if reached != len(changed):
        raise SystemExit(f"only {reached} of {len(changed)} changes reached the ledger")
    print(f"\nevery change reached the ledger ({reached}/{len(changed)})")
    finish(
        "sync",
        MODULE,
        {
            "invoices": invoices,
            "initial": {"seconds": first, **first_stats},
            "incremental": {"seconds": second, "changed": len(changed), **second_stats},
        },
    )


if __name__ == "__main__":
    main()
