"""iter_many: input order, bounded memory, failures in their turn, clean cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web
from conftest import serve

from qonto_async import Client, ClientClosedError, NotFoundError, QontoClient, QontoError


class SlowServer:
    """Serves any client id; ``delays`` slows some down, ``missing`` answers 404."""

    def __init__(self) -> None:
        self.delays: dict[str, float] = {}
        self.missing: set[str] = set()
        self.asked: list[str] = []
        self.in_flight = 0
        self.peak = 0
        self.release = asyncio.Event()
        self.release.set()

    async def handle(self, request: web.Request) -> web.Response:
        client_id = request.match_info["id"]
        self.asked.append(client_id)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if client_id == "head":
                await self.release.wait()
            await asyncio.sleep(self.delays.get(client_id, 0.0))
        finally:
            self.in_flight -= 1
        if client_id in self.missing:
            return web.json_response({"errors": [{"code": "not_found"}]}, status=404)
        return web.json_response({"client": {"id": client_id}})


@pytest.fixture
async def server() -> AsyncIterator[tuple[SlowServer, QontoClient]]:
    slow = SlowServer()
    app = web.Application()
    app.router.add_get("/v2/clients/{id}", slow.handle)
    async with (
        serve(app) as base_url,
        QontoClient(
            login="l",
            secret_key="s",
            base_url=base_url,
            max_concurrency=4,
            requests_per_second=None,
        ) as qonto,
    ):
        yield slow, qonto


async def test_results_come_in_input_order(server: tuple[SlowServer, QontoClient]) -> None:
    slow, qonto = server
    ids = [f"c{n}" for n in range(30)]
    slow.delays = {f"c{n}": (30 - n) * 0.002 for n in range(30)}  # later ids answer first
    got = [client.id async for client in qonto.clients.iter_many(ids)]
    assert got == ids


async def test_no_ids_yield_nothing(server: tuple[SlowServer, QontoClient]) -> None:
    _, qonto = server
    assert [c async for c in qonto.clients.iter_many([])] == []


async def test_failures_hold_their_slot_with_return_exceptions(
    server: tuple[SlowServer, QontoClient],
) -> None:
    slow, qonto = server
    slow.missing = {"c1", "c3"}
    got = [
        r async for r in qonto.clients.iter_many(["c0", "c1", "c2", "c3"], return_exceptions=True)
    ]
    assert [type(r).__name__ for r in got] == ["Client", "NotFoundError", "Client", "NotFoundError"]
    failure = got[1]
    assert isinstance(failure, QontoError)
    assert isinstance(failure, NotFoundError)
    assert failure.resource_id == "c1"


async def test_a_failure_is_raised_in_its_turn_and_stops_the_rest(
    server: tuple[SlowServer, QontoClient],
) -> None:
    slow, qonto = server
    slow.missing = {"c5"}
    slow.delays = {f"c{n}": 0.01 for n in range(6, 200)}
    seen: list[str] = []

    async def consume() -> None:
        async for client in qonto.clients.iter_many([f"c{n}" for n in range(200)]):
            seen.append(client.id)

    with pytest.raises(NotFoundError) as raised:
        await consume()
    assert raised.value.resource_id == "c5"
    assert seen == [f"c{n}" for n in range(5)]
    await asyncio.sleep(0.05)
    assert qonto.requests_in_flight == 0
    assert len(slow.asked) < 30  # the window, not the 200 ids


async def test_a_slow_head_bounds_how_far_the_others_run_ahead(
    server: tuple[SlowServer, QontoClient],
) -> None:
    slow, qonto = server
    slow.release.clear()  # "head" answers only when released
    pulled: list[str] = []

    def ids() -> Iterator[str]:
        yield "head"
        for n in range(1000):
            pulled.append(f"c{n}")
            yield f"c{n}"

    stream = qonto.clients.iter_many(ids())
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.2)
    # 4 workers, a window of 8: the ids taken but not yet yielded never exceed it.
    assert len(pulled) == 7
    assert slow.peak <= 4
    slow.release.set()
    assert (await first).id == "head"
    rest = [c.id async for c in stream]
    assert rest == [f"c{n}" for n in range(1000)]
    assert slow.peak <= 4


async def test_breaking_out_cancels_what_is_in_flight(
    server: tuple[SlowServer, QontoClient],
) -> None:
    slow, qonto = server
    slow.delays = {f"c{n}": 0.05 for n in range(100)}
    async with contextlib.aclosing(qonto.clients.iter_many([f"c{n}" for n in range(100)])) as it:
        async for client in it:
            if client.id == "c2":
                break
    assert qonto.requests_in_flight == 0
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not [t for t in others if "worker" in repr(t.get_coro())]


async def test_cancelling_the_consumer_cancels_the_requests(
    server: tuple[SlowServer, QontoClient],
) -> None:
    slow, qonto = server
    slow.delays = {f"c{n}": 0.05 for n in range(100)}

    async def consume() -> list[Client]:
        return [c async for c in qonto.clients.iter_many([f"c{n}" for n in range(100)])]

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.08)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    asked = len(slow.asked)
    await asyncio.sleep(0.1)
    assert len(slow.asked) == asked
    assert qonto.requests_in_flight == 0


async def test_an_empty_id_is_a_value_error(server: tuple[SlowServer, QontoClient]) -> None:
    _, qonto = server
    with pytest.raises(ValueError, match="non-empty"):
        _ = [c async for c in qonto.clients.iter_many(["c0", ""])]


async def test_closing_the_client_mid_stream_is_a_typed_error(
    server: tuple[SlowServer, QontoClient],
) -> None:
    slow, qonto = server
    slow.delays = {f"c{n}": 0.01 for n in range(50)}
    got = []
    async for result in qonto.clients.iter_many(
        [f"c{n}" for n in range(50)], return_exceptions=True
    ):
        got.append(result)
        if len(got) == 3:
            await qonto.aclose()
    assert len(got) == 50
    assert isinstance(got[-1], ClientClosedError)


async def test_an_ids_iterable_that_raises_is_never_swallowed(
    server: tuple[SlowServer, QontoClient],
) -> None:
    # The worker that met the failing generator died with its error; the others then found
    # the generator finished and ended cleanly, and the stream ended short, without the
    # error, when a clean worker was the first one looked at (found by the hostile review;
    # it depends on which worker finishes first, hence the rounds).
    slow, qonto = server

    def ids(n: int) -> Iterator[str]:
        yield from (f"c{i}" for i in range(n))
        raise KeyError("the ids' source broke")

    async def drain(n: int) -> None:
        async for _ in qonto.clients.iter_many(ids(n)):
            pass

    slow.delays = {f"c{i}": 0.005 for i in range(20)}
    for n in [3, 4, 20] * 40:
        with pytest.raises(KeyError, match="source broke"):
            await drain(n)
