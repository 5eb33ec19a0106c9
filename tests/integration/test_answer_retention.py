"""A context copied while a request runs must not keep that request's body alive.

asyncio copies the running context into every timer handle and task made during a request
(aiohttp's timeouts among them), and a cancelled timer lingers in the loop's heap until its
deadline. Whatever the SDK keeps in a context variable during a request therefore lives as long
as those copies: it must stay small. A listing streaming 100,000 invoices held about 35 MB more
than it should when the answers kept there carried their bodies.
"""

from __future__ import annotations

import contextvars
import gc
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from qonto_async import QontoClient
from qonto_async.testing import FakeQonto


def large_bytes_reachable(
    context: contextvars.Context, large: int = 2048, limit: int = 5_000
) -> list[int]:
    """Sizes of the bytes objects of ``large`` bytes or more reachable from the context's
    values (one FakeQonto invoice is about 4 KB; a page of 100, about 390 KB)."""
    found: list[int] = []
    seen: set[int] = set()
    todo: list[Any] = list(context.values())
    while todo and len(seen) < limit:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        if isinstance(obj, bytes | bytearray | memoryview):
            if len(obj) >= large:
                found.append(len(obj))
            continue
        todo.extend(gc.get_referents(obj))
    return found


@pytest.fixture
async def fake() -> AsyncIterator[FakeQonto]:
    async with FakeQonto(seed=3, clients=20, client_invoices=250, rate_limit=None) as server:
        yield server


@pytest.fixture
async def contexts() -> AsyncIterator[tuple[aiohttp.ClientSession, list[contextvars.Context]]]:
    seen: list[contextvars.Context] = []

    async def on_request_end(session: Any, context: Any, params: Any) -> None:
        seen.append(contextvars.copy_context())  # as a timer handle made here would

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        yield session, seen


async def test_listing_keeps_no_page_body_in_the_context(
    fake: FakeQonto, contexts: tuple[aiohttp.ClientSession, list[contextvars.Context]]
) -> None:
    session, seen = contexts
    async with QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, session=session
    ) as qonto:
        invoices = await qonto.client_invoices.list(per_page=100, prefetch=2).all()
        recent = [invoice async for invoice in qonto.client_invoices.changes()]

    assert len(invoices) == len(recent) == 250
    assert seen
    assert [large_bytes_reachable(context) for context in seen] == [[]] * len(seen)


async def test_raw_response_keeps_no_body_in_the_context(
    fake: FakeQonto, contexts: tuple[aiohttp.ClientSession, list[contextvars.Context]]
) -> None:
    session, seen = contexts
    invoice_id = fake.dataset.client_invoices.ids[0]
    async with QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, session=session
    ) as qonto:
        raw = await qonto.client_invoices.with_raw_response.get(invoice_id)

    assert (raw.parsed.id, raw.status) == (invoice_id, 200)
    assert seen
    assert [large_bytes_reachable(context) for context in seen] == [[]] * len(seen)
