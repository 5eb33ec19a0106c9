"""Calls cancelled while they wait for a ``max_concurrency`` slot, against a real local server:
the caller sees its cancellation (``CancelledError``, or ``TimeoutError`` from
``asyncio.timeout``) and nothing else, no slot is lost or doubled, and a loop that ends with
calls still queued shuts down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp import web
from conftest import serve

from qonto_async import Client, QontoClient

SLOTS = 4
ROOT = Path(__file__).resolve().parents[2]


class SlowServer:
    """Answers ``GET /v2/clients/{id}`` after ``delay`` seconds and counts what is in flight.

    With ``hold_until_full``, each request also waits (up to 5 s) until ``SLOTS`` requests
    are in flight at once, so a burst shows the client's true cap however busy the machine.
    """

    def __init__(self) -> None:
        self.delay = 0.02
        self.hold_until_full = False
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrived = 0
        self._full = asyncio.Event()
        self._changed = asyncio.Condition()

    def reset(self, *, delay: float, hold_until_full: bool) -> None:
        self.delay, self.hold_until_full = delay, hold_until_full
        self.max_in_flight = self.arrived = 0
        self._full = asyncio.Event()

    async def until(self, done: Callable[[], bool]) -> None:
        async with self._changed:
            await self._changed.wait_for(done)

    async def _tell(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def handle(self, request: web.Request) -> web.Response:
        self.arrived += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._tell()
            if self.in_flight >= SLOTS:
                self._full.set()
            if self.hold_until_full:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), 5)
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
            await asyncio.shield(self._tell())
        return web.json_response({"client": {"id": request.match_info["id"]}})


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, SlowServer]]:
    slow = SlowServer()
    app = web.Application()
    app.router.add_get("/v2/clients/{id}", slow.handle)
    async with serve(app) as base_url:
        yield base_url, slow


def connect(base_url: str) -> QontoClient:
    return QontoClient(
        login="acme-1234", secret_key="sk_test", base_url=base_url, max_concurrency=SLOTS
    )


async def assert_slots_intact(qonto: QontoClient, slow: SlowServer) -> None:
    """No slot held and none lost: a burst gets exactly ``SLOTS`` requests in flight."""
    assert qonto.requests_in_flight == 0
    async with asyncio.timeout(60):
        await slow.until(lambda: not slow.in_flight)  # what the cancelled callers left behind
        slow.reset(delay=0.01, hold_until_full=True)
        got = await asyncio.gather(*(qonto.clients.get(f"after-{n}") for n in range(3 * SLOTS)))
    assert [c.id for c in got] == [f"after-{n}" for n in range(3 * SLOTS)]
    assert slow.arrived == 3 * SLOTS
    assert slow.max_in_flight == SLOTS  # no slot lost, none handed out twice
    assert qonto.requests_in_flight == 0


async def test_callers_timed_out_in_line_see_only_their_timeout(
    server: tuple[str, SlowServer],
) -> None:
    base_url, slow = server

    async def one(n: int) -> Client:
        async with asyncio.timeout(0.05):
            return await qonto.clients.get(f"c{n}")

    async with connect(base_url) as qonto:
        outcomes = await asyncio.gather(*(one(n) for n in range(200)), return_exceptions=True)
        unexpected = [o for o in outcomes if not isinstance(o, Client | TimeoutError)]
        assert unexpected == []
        assert any(isinstance(o, TimeoutError) for o in outcomes)
        await assert_slots_intact(qonto, slow)


async def test_a_failing_sibling_cancels_the_queue_cleanly(
    server: tuple[str, SlowServer],
) -> None:
    base_url, slow = server
    slow.reset(delay=0.2, hold_until_full=False)

    async def fail_soon() -> None:
        await asyncio.sleep(0.05)
        raise LookupError("the sibling failed")

    async def together(qonto: QontoClient) -> None:
        async with asyncio.TaskGroup() as group:
            for n in range(200):
                group.create_task(qonto.clients.get(f"c{n}"))
            group.create_task(fail_soon())

    async with connect(base_url) as qonto:
        with pytest.raises(ExceptionGroup) as caught:
            await together(qonto)
        assert [type(e) for e in caught.value.exceptions] == [LookupError]
        await assert_slots_intact(qonto, slow)


async def test_directly_cancelled_callers_raise_cancelled_error(
    server: tuple[str, SlowServer],
) -> None:
    base_url, slow = server
    slow.reset(delay=0.05, hold_until_full=False)
    async with connect(base_url) as qonto:
        tasks = [asyncio.create_task(qonto.clients.get(f"c{n}")) for n in range(100)]
        async with asyncio.timeout(30):
            await slow.until(lambda: slow.arrived >= SLOTS)
        for task in tasks:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert [o for o in outcomes if not isinstance(o, Client | asyncio.CancelledError)] == []
        await assert_slots_intact(qonto, slow)


SHUTDOWN_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from qonto_async import QontoClient

    tasks = []

    async def main(base_url, close):
        qonto = QontoClient(
            login="acme-1234", secret_key="sk_test", base_url=base_url, max_concurrency=4
        )
        tasks.extend(
            asyncio.create_task(qonto.clients.get(f"c{n}")) for n in range(2000)
        )
        await asyncio.sleep(0.3)  # some answered, four in flight, the rest queued
        if close:
            await qonto.aclose()

    asyncio.run(main(sys.argv[1], sys.argv[2] == "close"))
    done = sum(1 for t in tasks if not t.cancelled() and t.exception() is None)
    cancelled = sum(1 for t in tasks if t.cancelled())
    failed = {type(t.exception()).__name__ for t in tasks if not t.cancelled() and t.exception()}
    print(f"done={done} cancelled={cancelled} failed={sorted(failed)}")
    """
)


@pytest.mark.parametrize("close", ["close", "forget"])
async def test_a_loop_ending_with_calls_queued_shuts_down_cleanly(
    server: tuple[str, SlowServer], close: str
) -> None:
    base_url, slow = server
    slow.reset(delay=0.05, hold_until_full=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-X",
        "dev",
        "-W",
        "error::ResourceWarning",
        "-c",
        SHUTDOWN_SCRIPT,
        base_url,
        close,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 50)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    stdout, stderr = out.decode(), err.decode()
    assert proc.returncode == 0, stderr[-3000:]
    for sign in ("unhandled exception", "Unclosed", "ResourceWarning", "Exception ignored"):
        assert sign not in stderr, stderr[-3000:]
    # Closed by hand, the calls that got a slot afterwards say so; nothing else fails.
    allowed = "['ClientClosedError']" if close == "close" else "[]"
    assert stdout.strip().endswith((f"failed={allowed}", "failed=[]")), stdout + stderr[-3000:]
    assert "cancelled=0 " not in stdout  # calls were really queued when the loop ended
