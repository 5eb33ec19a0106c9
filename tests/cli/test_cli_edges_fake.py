"""Chaining commands against a fake: ``--fake`` lasts one command (and ``invoice --help`` says
so); the standalone fake prints what points the command line at it, and keeps its state from
one command to the next."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import msgspec
from click.testing import CliRunner

from qonto_async._cli.app import cli

REPO = Path(__file__).resolve().parents[2]


def test_invoice_help_says_a_fake_lasts_one_command() -> None:
    result = CliRunner().invoke(cli, ["invoice", "--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "--fake starts a new fake Qonto for each command" in text
    assert "python -m qonto_async.testing --port 8080" in text


def _qonto_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qonto_async.cli", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_invoice_create_then_finalize_against_the_standalone_fake() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QONTO_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "qonto_async.testing", "--port", "0", "--size", "20"],
        cwd=REPO, env={**env, "PYTHONUNBUFFERED": "1"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        banner: list[str] = []
        while len(banner) < 30 and not (banner and banner[-1] == "Ctrl-C to stop."):
            line = server.stdout.readline()
            assert line, server.communicate(timeout=10)
            banner.append(line.rstrip("\n"))
        [export] = [line for line in banner if line.startswith("export ")]
        variables = dict(word.split("=", 1) for word in shlex.split(export)[1:])
        assert set(variables) == {
            "QONTO_BASE_URL",
            "QONTO_LOGIN",
            "QONTO_SECRET_KEY",
            "QONTO_IBAN",
        }
        [client_line] = [line for line in banner if "--client-id" in line]
        client_id = client_line.rsplit(" ", 1)[1]
        pointed = {**env, **variables}

        made = _qonto_cli(
            pointed, "invoice", "create", "--client-id", client_id, "--issue-date", "2026-01-05",
            "--due-date", "2026-02-04", "--item", "Audit|2|450.00|0.2",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        draft = msgspec.json.decode(made.stdout)
        assert draft["status"] == "draft"

        issued = _qonto_cli(pointed, "invoice", "finalize", draft["id"])  # another process
        assert issued.returncode == 0, issued.stderr
        invoice = msgspec.json.decode(issued.stdout)
        assert (invoice["id"], invoice["status"]) == (draft["id"], "unpaid")
    finally:
        server.terminate()  # not SIGINT: a background job's children may ignore it
        try:
            server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
