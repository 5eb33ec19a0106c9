"""An export's CSV is opened by an accountant in a spreadsheet: text from Qonto (a note a
customer typed, a counterparty's label) never runs as a formula there, and a carriage return
inside a cell never breaks a row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from qonto_async._cli.app import cli
from qonto_async.testing import FakeQonto

from .ledger_checks import env_for

NOTES = {
    "formula": '=HYPERLINK("http://evil.example","x")',
    "plus": "+1+cmd|' /C calc'!A0",
    "at": "@SUM(A1)",
    "minus": "-2+3",
    "tab": "\t=1",
    "cr": "\r=cr",
    "newline": 'two\nlines, and "quotes"',
    "plain": "Lunch with ACME",
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=5, clients=1, client_invoices=0, supplier_invoices=0, transactions=40)
    ids = server.ids("transactions")[: len(NOTES)]
    for transaction_id, note in zip(ids, NOTES.values(), strict=True):
        server.update("transactions", transaction_id, note=note)
    with server.running_in_thread() as running:
        yield running


def test_no_cell_runs_as_a_formula_and_no_row_breaks(fake: FakeQonto, tmp_path: Path) -> None:
    out = tmp_path / "transactions.csv"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "transactions",
            "--include-external-accounts",
            "--format",
            "csv",
            "-o",
            str(out),
        ],
        env=env_for(fake),
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(fake.ids("transactions"))
    header = next(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert all(len(row) == len(header) for row in rows)
    notes = {row["id"]: row["note"] for row in rows}
    ids = fake.ids("transactions")[: len(NOTES)]
    written = dict(zip(NOTES, (notes[i] for i in ids), strict=True))
    for name in ("formula", "plus", "at", "minus", "tab", "cr"):
        assert written[name] == "'" + NOTES[name], name  # shown as text, never evaluated
    assert written["newline"] == NOTES["newline"]
    assert written["plain"] == NOTES["plain"]
    for row in rows:  # what a spreadsheet would run: nothing
        for name, cell in row.items():
            if cell.startswith(("=", "+", "@", "\t", "\r")):
                pytest.fail(f"{name}={cell!r} would run as a formula")
            if cell.startswith("-"):
                float(cell)  # only numbers (debits) start with a minus
