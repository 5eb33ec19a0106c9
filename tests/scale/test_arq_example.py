"""``examples/arq_worker.py`` for real: two arq worker processes on a real Redis, sharing
one budget, fetch shards of invoices from FakeQonto; a failed shard's error comes back to
the enqueuing process as the same typed exception."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from qonto_async import NotFoundError
from qonto_async.testing import FakeQonto

pytestmark = pytest.mark.redis

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("arq_worker", EXAMPLES / "arq_worker.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def workers(count: int, env: dict[str, str]) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "arq", "arq_worker.WorkerSettings"],
            cwd=EXAMPLES,
            env={**os.environ, **env, "PYTHONPATH": str(EXAMPLES)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeQonto]:
    server = FakeQonto(seed=12, clients=10, client_invoices=300)
    with server.running_in_thread() as running:
        yield running


async def test_workers_fetch_shards_and_errors_cross_intact(
    fake: FakeQonto, redis_url: str
) -> None:
    module = load()
    env = {
        "REDIS_URL": redis_url,
        "QONTO_BASE_URL": fake.base_url,
        "QONTO_LOGIN": fake.login,
        "QONTO_SECRET_KEY": fake.secret_key,
        "QONTO_BUDGET_KEY": "arq-test",
    }
    ids = fake.ids("client_invoices")
    with workers(2, env):
        totals = await module.fetch_all(ids, redis_url)
        assert sorted(totals) == sorted(ids)
        expected = fake.record("client_invoices", ids[7])["total_amount"]["value"]
        assert totals[ids[7]] == expected
        with pytest.raises(NotFoundError) as caught:
            await module.fetch_all([ids[0], "no-such-invoice"], redis_url)
    error = caught.value
    assert (error.status, error.resource_id) == (404, "no-such-invoice")
    assert error.trace_id
