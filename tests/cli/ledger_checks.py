"""Helpers for the ledger's CLI tests: how a refusal looks, what a SQLite file holds, a ledger
copied from the fixture the release before schema versions wrote."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from qonto_async._cli.app import cli
from qonto_async.testing import FakeQonto

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Written by ``qonto-async sync`` as released before schema versions (version 1): a sync with
# --attachments, a --full run that found a deleted client and a deleted draft invoice, and a
# --full run killed with SIGKILL (its row in ``runs`` still says ``running``). FakeQonto(seed=5,
# clients=4, client_invoices=16, supplier_invoices=14), --per-page 5.
LEDGER_V1 = FIXTURES / "ledger_v1.sqlite"

V1_TABLES = ("clients", "client_invoices", "supplier_invoices", "cursors", "runs", "attachments")


def assert_one_line_failure(result: Result, exit_code: int, *needles: str) -> str:
    """The command failed with ``exit_code``: one ``error:`` line naming ``needles``, no
    traceback. Returns that line."""
    assert result.exit_code == exit_code, (result.exit_code, result.output, result.exc_info)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    return errors[0]


def file_state(path: Path) -> tuple[str, list[str]]:
    """A file's content digest and the SQLite sidecars beside it: equal before and after
    means nothing was written."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sidecars = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + "-"))
    return digest, sidecars


def dump(db: Path, tables: tuple[str, ...] = V1_TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables``, in a stable order."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


def sqlite_columns(db: Path) -> dict[str, list[tuple[str, str]]]:
    """Each table's columns (name, declared type), SQLite's own tables left out."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {
            t: [(row[1], row[2]) for row in conn.execute(f"PRAGMA table_info({t})")] for t in tables
        }


def meta(db: Path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return dict(conn.execute("SELECT key, value FROM ledger_meta").fetchall())


def env_for(fake: FakeQonto) -> dict[str, str]:
    return {
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BASE_URL": fake.base_url,
    }


def run_sync(fake: FakeQonto, *args: str) -> Result:
    return CliRunner().invoke(cli, ["sync", "--no-progress", *args], env=env_for(fake))
