"""Transactions: 50,000 listed and synced under Qonto's rate limit, and their decode cost.

1. FakeQonto (50,000 transactions on three accounts, one external, 20 ms of latency, Qonto's
   limits on: 1,000 requests / 10 s and 10,000 / 10 min) in its own spawned process, its
   transactions encoded before anything is timed. In this process, alternating in every
   round, with the client's defaults (its requests_per_second included):
   - `transactions.list(include_external_accounts=True).all()`: every account, each
     transaction once;
   - `Ledger.sync(qonto, resources=["transactions"])` into a new SQLite ledger.
   Each against the rate-limit bound, requests / the client's default requests per second
   (as `benchmarks.sync` computes it; Qonto itself allows 100 a second). Every transaction
   must come out once and reach the ledger.
2. Decoding a page of 100 of the fake's transactions (every operation type), per
   transaction, the decoders alternating in every round: `decode_transaction_page` (ours,
   msgspec), pydantic v2 `TransactionList.model_validate_json` (`_pydantic_models.py`, the
   same fields) and `msgspec.json.decode` to dicts (the parser's floor); ratios per round.

Run from the repository root:  python -m benchmarks.transactions [--quick] [--rounds N]
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from typing import Any

import msgspec

from benchmarks import _pydantic_models as pm
from benchmarks._common import (
    FakeConfig,
    FakeServer,
    Reply,
    base_parser,
    fake_stats,
    finish,
    paired,
    print_table,
    rotate,
    settle,
    spread,
)

MODULE = "benchmarks.transactions"
QONTO_RATE = 100.0  # 1,000 requests / 10 s


def client_rate() -> float:
    """The client's default ``requests_per_second``, read from its signature."""
    from qonto_async import QontoClient

    default = inspect.signature(QontoClient).parameters["requests_per_second"].default
    assert isinstance(default, int | float), default
    return float(default)


def _replies(fake: Any) -> Reply:
    """In the fake's process: "count" answers how many transactions it holds; any other
    message, the requests and 429s since the last one."""

    def reply(message: Any) -> Any:
        if message == "count":
            return len(fake.ids("transactions"))
        stats = fake_stats(fake)
        return {"requests": stats["requests"], "rate_limited": stats["rate_limited"]}

    return reply


async def list_all(qonto: Any) -> dict[str, Any]:
    started = time.perf_counter()
    items = await qonto.transactions.list(include_external_accounts=True).all()
    seconds = time.perf_counter() - started
    ids = [t.id for t in items]
    return {"seconds": seconds, "records": len(ids), "twice": len(ids) - len(set(ids))}


async def sync_all(qonto: Any, db: str) -> dict[str, Any]:
    from qonto_async.ledger import Ledger

    async with Ledger.open(db) as ledger:
        started = time.perf_counter()
        counts = await ledger.sync(qonto, resources=["transactions"])
        seconds = time.perf_counter() - started
    with contextlib.closing(sqlite3.connect(db)) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM transactions").fetchone()
    return {"seconds": seconds, "records": rows, "new": counts.new, "status": counts.status}


async def alternate(fake: FakeServer, folder: str, rounds: int) -> dict[str, list[dict[str, Any]]]:
    """The rounds, on one client: its limiter knows what the previous run spent of Qonto's
    10-second window (a new client each run would start with a full burst into a window the
    last one half used, and meet 429s no user of one client meets)."""
    rate = client_rate()
    expected = fake.ask("count")
    runs: dict[str, list[dict[str, Any]]] = {"list": [], "sync": []}
    async with fake.client() as qonto:
        for r in range(rounds):
            for mode in rotate(["list", "sync"], r):
                settle()
                if mode == "list":
                    run = await list_all(qonto)
                else:
                    run = await sync_all(qonto, os.path.join(folder, f"ledger-{r}.sqlite"))
                run.update(fake.ask("stats"))
                run["bound"] = run["requests"] / rate
                run["ratio"] = run["seconds"] / run["bound"]
                if run["records"] != expected or run.get("twice"):
                    raise SystemExit(f"{mode}: {run['records']} of {expected} transactions: {run}")
                runs[mode].append(run)
    return runs


def rate_limited(transactions: int, rounds: int) -> dict[str, Any]:
    rate = client_rate()
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeServer(
            FakeConfig(
                {"seed": 0, "transactions": transactions, "bank_accounts": 3, "latency": 0.02},
                warm=("transactions",),
                replies=_replies,
            )
        ) as fake,
    ):
        expected = fake.ask("count")
        fake.ask("stats")
        runs = asyncio.run(alternate(fake, folder, rounds))
    labels = {
        "list": "`transactions.list()`, every account",
        "sync": '`Ledger.sync(resources=["transactions"])`, SQLite',
    }
    rows = [
        [
            labels[mode],
            f"{results[0]['requests']:,}",
            str(sum(x["rate_limited"] for x in results)),
            spread([x["seconds"] for x in results]).fmt(".2f", " s"),
            spread([x["bound"] for x in results]).fmt(".2f", " s"),
            spread([x["ratio"] for x in results]).fmt(".2f", "x"),
        ]
        for mode, results in runs.items()
    ]
    print_table(
        f"{expected:,} transactions on 3 accounts, Qonto's rate limit on, 20 ms latency, "
        f"{rounds} alternating rounds (bound: requests / the client's {rate:g} req/s)",
        ["run", "requests", "429s", "time", "rate-limit bound", "time / bound"],
        rows,
    )
    print(f"every run yielded / stored all {expected:,} transactions, none twice")
    return {
        "transactions": expected,
        "client_requests_per_second": rate,
        "qonto_requests_per_second": QONTO_RATE,
        "runs": runs,
        "seconds": {mode: spread([x["seconds"] for x in got]) for mode, got in runs.items()},
        "ratio": {mode: spread([x["ratio"] for x in got]) for mode, got in runs.items()},
    }


# -- decoding ---------------------------------------------------------------------------------


def fake_page() -> bytes:
    """100 of the fake's transactions, every tenth of 1,000 (every operation type and
    status), as `GET /v2/transactions` sends them."""
    from qonto_async.testing import FakeQonto

    fake = FakeQonto(seed=0, transactions=1_000, bank_accounts=3)
    records = [fake.record("transactions", rid) for rid in fake.ids("transactions")[::10]]
    meta = {"current_page": 1, "next_page": None, "total_pages": 1, "total_count": 100}
    return msgspec.json.encode({"transactions": records, "meta": meta})


def decoders() -> dict[str, tuple[str, Callable[[bytes], Any]]]:
    from qonto_async.models import decode_transaction_page

    return {
        "ours": ("decode_transaction_page (msgspec)", decode_transaction_page),
        "pydantic": (
            "pydantic v2 TransactionList.model_validate_json",
            pm.TransactionList.model_validate_json,
        ),
        "msgspec_raw": ("msgspec.json.decode -> dicts", msgspec.json.decode),
    }


def _loops(fn: Callable[[bytes], Any], data: bytes, target: float) -> int:
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            fn(data)
        elapsed = time.perf_counter() - started
        if elapsed >= target / 4:
            return max(1, int(loops * target / elapsed))
        loops *= 4


def decode_costs(rounds: int) -> dict[str, Any]:
    page = fake_page()
    contenders = decoders()
    ours, theirs = contenders["ours"][1](page), pm.TransactionList.model_validate_json(page)
    if [(t.id, t.signed_amount) for t in ours.items] != [
        (t.id, t.signed_amount) for t in theirs.transactions
    ]:
        raise SystemExit("ours and pydantic decode the page differently")
    loops = {key: _loops(fn, page, 0.1) for key, (_, fn) in contenders.items()}
    per: dict[str, list[float]] = {key: [] for key in contenders}
    for r in range(rounds):
        for key in rotate(list(contenders), r):
            fn = contenders[key][1]
            settle()
            started = time.perf_counter()
            for _ in range(loops[key]):
                fn(page)
            per[key].append((time.perf_counter() - started) / loops[key] / 100 * 1e6)
    ratios = {key: paired(per[key], per["ours"]) for key in contenders}
    rows = [
        [label, spread(per[key]).fmt(".2f"), ratios[key].fmt(".2f", "x", lone="")]
        for key, (label, _) in contenders.items()
    ]
    print_table(
        f"decoding a page of 100 fake transactions ({len(page) / 100:,.0f} bytes each), "
        f"{rounds} alternating rounds",
        ["decoder", "µs per transaction", "time / ours (per round)"],
        rows,
    )
    return {
        "bytes_per_transaction": len(page) / 100,
        "us_per_transaction": {key: spread(values) for key, values in per.items()},
        "ratio_to_ours": ratios,
        "rounds": per,
    }


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else "")
    args = parser.parse_args()
    transactions = 5_000 if args.quick else 50_000
    rounds = args.rounds or (2 if args.quick else 3)
    decoded = decode_costs(max(rounds, 5))
    listed = rate_limited(transactions, rounds)
    finish("transactions", MODULE, {"rate_limited": listed, "decode": decoded})


if __name__ == "__main__":
    main()
