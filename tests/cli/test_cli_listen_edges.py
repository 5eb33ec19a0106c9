"""``qonto-async listen`` at its edges (issue 22, CLI edges): secrets Qonto would refuse,
Ctrl-C as the documented way to stop, ``--fake`` to watch events land without an account,
and a ``--db`` URL it cannot take."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from qonto_async._cli.app import cli

# a child started from a background job inherits SIGINT ignored: give it back its default
RUN_CLI = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from qonto_async._cli.app import run; run(sys.argv[1:])"
)


@pytest.mark.parametrize("length", [31, 129])
def test_a_secret_qonto_would_refuse_is_refused(length: int, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["listen", "--db", str(tmp_path / "l.sqlite"), "--secret", "s" * length]
    )
    assert result.exit_code == 2, result.output
    assert f"32 to 128 characters; one given has {length}" in result.stderr
    assert not (tmp_path / "l.sqlite").exists()


def test_a_database_url_it_cannot_take_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["listen", "--db", "mysql://u@h/db", "--port", "0", "--secret", "s" * 40]
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "a SQLite file path or a postgresql:// URL, not a mysql:// URL" in result.stderr
    assert not Path("mysql:").exists()


def test_listen_fake_applies_events_and_ctrl_c_stops_it_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite"
    args = ["listen", "--fake", "--fake-every", "0.05", "--port", "0", "--db", str(db)]
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "QONTO_WEBHOOK_SECRET": ""},
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        assert proc.stderr is not None
        applied = 0
        deadline = time.monotonic() + 60
        while applied < 3 and time.monotonic() < deadline:
            line = proc.stdout.readline().decode()
            if not line:
                break
            applied += line.startswith("applied")
        assert applied == 3, proc.stderr.read().decode() if proc.poll() is not None else ""
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err.decode()
    assert "Traceback" not in err.decode()
    assert err.decode().splitlines()[-1] == "stopped"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM ledger_events").fetchone()[0]
    assert stored >= 3


@pytest.mark.parametrize("command", ["sync", "listen"])
@pytest.mark.parametrize("db", ["", ":memory:", "-"])
def test_a_ledger_that_would_be_thrown_away_is_refused(command: str, db: str) -> None:
    result = CliRunner().invoke(cli, [command, "--db", db])
    assert result.exit_code == 2, result.output
    assert "no place to keep a ledger" in result.stderr
    assert not Path("-").exists()
