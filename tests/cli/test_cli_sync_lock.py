"""One sync at a time per ledger (issue 22, defects 9 and 10), with real processes: two
overlapping ``sync --full`` mark nothing deleted, the second says so in one line or waits
with ``--wait``; a killed run is marked ``abandoned`` by the next one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qonto_async._cli.app import cli

from .ledger_checks import assert_one_line_failure
from .ledger_processes import (
    killed_run_is_abandoned,
    overlapping_full_syncs,
    sqlite_query,
    sync_command,
)


def filled(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.sqlite"
    command = sync_command(str(db), latency_ms=0)
    result = CliRunner().invoke(cli, command[command.index("sync") :])
    assert result.exit_code == 0, result.output
    return db


def test_an_overlapping_full_sync_is_refused_in_one_line(tmp_path: Path) -> None:
    db = filled(tmp_path)
    overlapping_full_syncs(str(db), sqlite_query(db), delay=0.2, wait=False)


def test_an_overlapping_full_sync_waits_its_turn(tmp_path: Path) -> None:
    db = filled(tmp_path)
    overlapping_full_syncs(str(db), sqlite_query(db), delay=0.2, wait=True)


def test_a_killed_run_is_marked_abandoned(tmp_path: Path) -> None:
    db = filled(tmp_path)
    killed_run_is_abandoned(str(db), sqlite_query(db))


def test_the_lock_file_sits_beside_the_ledger(tmp_path: Path) -> None:
    db = filled(tmp_path)
    assert (tmp_path / "ledger.sqlite.lock").is_file()
    assert CliRunner().invoke(cli, ["sync", "--fake", "--db", str(db)]).exit_code == 0


@pytest.mark.soak
@pytest.mark.parametrize("delay", [0.0, 1.0])
def test_overlapping_full_syncs_soak(tmp_path: Path, delay: float) -> None:
    """The second run waits its turn at several points of the first (the refused case, where
    the second exits at once, is in the main run)."""
    db = filled(tmp_path)
    overlapping_full_syncs(str(db), sqlite_query(db), delay=delay, wait=True)


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_lock_file_planted_as_a_link_is_refused_and_its_target_untouched(
    tmp_path: Path, link: str
) -> None:
    # Anyone who can write in the ledger's folder could make the lock a link to another file;
    # taking the lock used to truncate that file (found by the hostile review).
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = tmp_path / "ledger.sqlite.lock"
    if link == "symlink":
        lock.symlink_to(victim)
    else:
        lock.hardlink_to(victim)
    command = sync_command(str(tmp_path / "ledger.sqlite"), latency_ms=0)
    result = CliRunner().invoke(cli, command[command.index("sync") :])
    assert_one_line_failure(result, 1, str(lock))
    assert victim.read_text() == "precious\n"
