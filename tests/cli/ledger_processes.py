"""Real ``qonto-async sync --fake`` processes sharing one ledger (SQLite or PostgreSQL).

Each process runs its own embedded FakeQonto, built from the same seed: the same records
with the same ids, so two processes see one Qonto and share only the ledger, as two cron
jobs on one machine would. Nothing changes in that Qonto, so nothing may ever be marked
deleted."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXIT_BUSY = 75
TABLES = ("clients", "client_invoices", "supplier_invoices")
INVOICING = ("--resources", "clients,client-invoices,supplier-invoices")

Query = Callable[[str], list[tuple[Any, ...]]]


def sync_command(db: str, *args: str, size: int = 600, latency_ms: int = 20) -> list[str]:
    """A sync of the invoicing resources unless ``args`` names ``--resources`` (the lock's
    tests time their runs on those; the bank's kill test names its own)."""
    chosen = () if "--resources" in args else INVOICING
    return [
        sys.executable, "-m", "qonto_async.cli", "sync", "--fake",
        "--fake-size", str(size), "--fake-latency", str(latency_ms), "--per-page", "10",
        "--no-progress", "--db", db, *chosen, *args,
    ]  # fmt: skip


def start(command: Sequence[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=REPO, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def finish(proc: subprocess.Popen[bytes], timeout: float = 180) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=30)
        raise
    return proc.returncode, err.decode(errors="replace")


@contextlib.contextmanager
def reaped(proc: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Never leave a sync running behind a failed assertion."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def sqlite_query(db: Path) -> Query:
    def query(sql: str) -> list[tuple[Any, ...]]:
        if not db.exists():
            return []
        uri = f"file:{db}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
            return conn.execute(sql).fetchall()

    return query


def postgres_query(url: str) -> Query:
    def query(sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    return query


def runs(query: Query) -> list[tuple[Any, ...]]:
    """``(id, status, started_at, finished_at)`` of every run, oldest first."""
    try:
        return query("SELECT id, status, started_at, finished_at FROM runs ORDER BY id")
    except Exception:  # the table does not exist yet: no run so far
        return []


def wait_for_a_running_run(query: Query, proc: subprocess.Popen[bytes], known: int) -> None:
    """Until the run after the ``known`` ones is under way (or ``proc`` ended: a failure)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rows = runs(query)
        if len(rows) > known and rows[-1][1] == "running":
            return
        if proc.poll() is not None:
            raise AssertionError(f"the sync ended first: {finish(proc)}")
        time.sleep(0.02)
    raise AssertionError("no run started within 120 s")


def deleted_rows(query: Query) -> int:
    return sum(
        int(query(f"SELECT COUNT(*) FROM {table} WHERE deleted_at IS NOT NULL")[0][0])
        for table in TABLES
    )


def live_rows(query: Query) -> int:
    return sum(
        int(query(f"SELECT COUNT(*) FROM {table} WHERE deleted_at IS NULL")[0][0])
        for table in TABLES
    )


def overlapping_full_syncs(db: str, query: Query, *, delay: float, wait: bool) -> None:
    """Two ``sync --full`` on one ledger, the second started ``delay`` s into the first run.
    Without ``--wait`` the second says in one line that another sync holds the ledger; with
    it, it runs once the first is done. Either way nothing is marked deleted."""
    known = len(runs(query))
    live = live_rows(query) if known else None
    # the first run lasts well beyond the delay (about 3 s at 20 ms a request, 8 s at 60)
    latency = 20 if delay < 0.5 else 60
    with reaped(start(sync_command(db, "--full", latency_ms=latency))) as first:
        wait_for_a_running_run(query, first, known)
        time.sleep(delay)
        second_args = ("--full", "--wait", "300") if wait else ("--full",)
        code, err = finish(start(sync_command(db, *second_args)))
        # the refused run must leave the running one alone (not call it abandoned)
        left_alone = first.poll() is not None or runs(query)[-1][1] == "running"
        first_code, first_err = finish(first)
    assert deleted_rows(query) == 0, ("rows marked deleted", first_err, err)
    if live is not None:
        assert live_rows(query) == live, live
    assert first_code == 0, first_err
    if wait:
        assert code == 0, err
    else:
        assert code == EXIT_BUSY, err
        assert len(err.splitlines()) == 1, err
        assert err.startswith("error: another sync is running on "), err
        assert left_alone, "the refused run touched the running one's row"
    mine = runs(query)[known:]
    assert [row[1] for row in mine] == (["done", "done"] if wait else ["done"]), mine
    if wait:  # one after the other: the second began once the first was over
        assert mine[1][2] >= mine[0][3], mine


def killed_run_is_abandoned(db: str, query: Query) -> None:
    """A sync killed with SIGKILL leaves its run ``running``; the next run, once it holds
    the lock, marks it ``abandoned``, and gets that lock at once (it died with its holder)."""
    known = len(runs(query))
    with reaped(start(sync_command(db, "--full", latency_ms=50))) as victim:
        wait_for_a_running_run(query, victim, known)
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    code, err = finish(start(sync_command(db, latency_ms=0)))
    assert code == 0, err
    statuses = [row[1] for row in runs(query)[known:]]
    assert statuses == ["abandoned", "done"], statuses
