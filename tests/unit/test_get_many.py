"""get_many: order, duplicates, failures in both modes, bounds, cancellation, progress."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aioresponses import CallbackResult
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL

from qonto_async import NotFoundError, QontoClient, QontoError

PATTERN = re.compile(re.escape(BASE_URL) + r"/v2/client_invoices/(?P<id>[^/?]+)$")


class InvoiceApi:
    def __init__(self, missing: set[str] = frozenset(), delay: float = 0.001) -> None:  # type: ignore[assignment]
        self.missing = missing
        self.delay = delay
        self.asked: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def install(self, mock: AioResponses) -> None:
        async def callback(url: Any, **kwargs: Any) -> CallbackResult:
            return await self.answer(str(url))

        mock.get(PATTERN, callback=callback, repeat=True)

    async def answer(self, url: str) -> CallbackResult:
        match = PATTERN.match(url)
        assert match is not None
        invoice_id = match["id"]
        self.asked.append(invoice_id)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        if invoice_id in self.missing:
            return CallbackResult(status=404, payload={"errors": [{"code": "not_found"}]})
        return CallbackResult(payload={"client_invoice": {"id": invoice_id, "status": "paid"}})


async def test_results_in_input_order_with_bounded_concurrency(http_mock: AioResponses) -> None:
    api = InvoiceApi()
    api.install(http_mock)
    ids = [f"id-{n}" for n in range(200)][::-1]
    async with QontoClient(
        login="l", secret_key="s", base_url=BASE_URL, max_concurrency=7, requests_per_second=None
    ) as qonto:
        invoices = await qonto.client_invoices.get_many(ids)
    assert [i.id for i in invoices] == ids
    assert api.max_in_flight == 7


async def test_duplicates_are_fetched_once(qonto: QontoClient, http_mock: AioResponses) -> None:
    api = InvoiceApi()
    api.install(http_mock)
    invoices = await qonto.client_invoices.get_many(["a", "b", "a", "c", "b"])
    assert [i.id for i in invoices] == ["a", "b", "a", "c", "b"]
    assert sorted(api.asked) == ["a", "b", "c"]
    assert invoices[0] is invoices[2]


async def test_empty_input(qonto: QontoClient, http_mock: AioResponses) -> None:
    assert await qonto.client_invoices.get_many([]) == []
    assert await qonto.client_invoices.get_many([], return_exceptions=True) == []


async def test_a_404_in_the_middle_fails_the_batch_with_its_id(http_mock: AioResponses) -> None:
    api = InvoiceApi(missing={"id-50"}, delay=0.005)
    api.install(http_mock)
    ids = [f"id-{n}" for n in range(300)]
    async with QontoClient(
        login="l", secret_key="s", base_url=BASE_URL, max_concurrency=4, requests_per_second=None
    ) as qonto:
        with pytest.raises(NotFoundError) as caught:
            await qonto.client_invoices.get_many(ids)
        assert caught.value.resource_id == "id-50"
        assert "id-50" in str(caught.value)
        # the rest was cancelled, not fetched: nothing runs on after the failure
        asked_at_failure = len(api.asked)
        await asyncio.sleep(0.05)
        assert len(api.asked) == asked_at_failure < 100
        assert qonto.requests_in_flight == 0


async def test_return_exceptions_keeps_failures_in_their_slots(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    api = InvoiceApi(missing={"b", "d"})
    api.install(http_mock)
    results = await qonto.client_invoices.get_many(["a", "b", "c", "d"], return_exceptions=True)
    assert [type(r).__name__ for r in results] == [
        "ClientInvoice",
        "NotFoundError",
        "ClientInvoice",
        "NotFoundError",
    ]
    failure = results[1]
    assert isinstance(failure, QontoError)
    assert isinstance(failure, NotFoundError)
    assert failure.resource_id == "b"


async def test_cancelling_get_many_stops_every_request(http_mock: AioResponses) -> None:
    api = InvoiceApi(delay=0.05)
    api.install(http_mock)
    async with QontoClient(
        login="l", secret_key="s", base_url=BASE_URL, max_concurrency=5, requests_per_second=None
    ) as qonto:
        task = asyncio.create_task(qonto.client_invoices.get_many([f"x{n}" for n in range(100)]))
        await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        asked = len(api.asked)
        await asyncio.sleep(0.1)
        assert len(api.asked) == asked == 5
        assert qonto.requests_in_flight == 0


async def test_progress(qonto: QontoClient, http_mock: AioResponses) -> None:
    InvoiceApi().install(http_mock)
    seen: list[tuple[int, int | None]] = []
    await qonto.clients.get_many([], on_progress=lambda d, t: seen.append((d, t)))
    await qonto.client_invoices.get_many(
        ["a", "b", "a"], on_progress=lambda d, t: seen.append((d, t))
    )
    assert sorted(seen) == [(1, 2), (2, 2)]
