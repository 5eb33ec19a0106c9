"""Library-grade logging: silent by default, QONTO_LOG to see it, one line, no secret."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

import qonto_async

SCRIPT = textwrap.dedent(
    """
    import asyncio
    from qonto_async import QontoClient
    from qonto_async.testing import FakeOptions, FakeQonto, Faults

    async def main() -> None:
        options = FakeOptions(secret_key="sk_live_log_secret")
        async with FakeQonto(clients=3, options=options) as fake:
            fake.faults = Faults(sequence=("503", "ok"), error_retry_after=0)
            async with QontoClient(
                login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url
            ) as qonto:
                await qonto.clients.get(fake.ids("clients")[0])
        print("done")

    asyncio.run(main())
    """
)


def run(env_value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QONTO_LOG"}
    if env_value is not None:
        env["QONTO_LOG"] = env_value
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_package_logger_has_a_null_handler() -> None:
    handlers = logging.getLogger("qonto_async").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
    assert qonto_async.__version__


def test_an_application_without_logging_sees_no_retry_warning() -> None:
    result = run(None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert result.stderr == ""


@pytest.mark.parametrize("level", ["info", "debug", "INFO"])
def test_qonto_log_switches_on_a_stderr_handler(level: str) -> None:
    result = run(level)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    retries = [line for line in lines if "retrying in" in line]
    assert len(retries) == 1
    assert "503 GET" in retries[0]
    assert "[trace_id " in retries[0]
    debug = [line for line in lines if " DEBUG " in line]
    assert bool(debug) == (level == "debug")
    if level == "debug":
        assert any("-> 200" in line and "trace_id" in line for line in debug)
    assert "sk_live_log_secret" not in result.stderr
    assert all(line.startswith(tuple("0123456789")) for line in lines)  # each record one line
