"""Paginator: order, completeness, prefetch, fallbacks, early exit, progress, filters."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from aioresponses import CallbackResult
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL, serve
from listing_model import answer

from qonto_async import APIResponseValidationError, InternalServerError, Page, QontoClient
from qonto_async._listing.offset import OffsetReader
from qonto_async.models import Meta
from qonto_async.testing import VirtualClock

LIST_URL = f"{BASE_URL}/v2/client_invoices"


class PagedApi:
    """An aioresponses callback serving ``total`` invoices as Qonto would, recording queries;
    ``faults`` maps a page number to statuses answered first for that page."""

    def __init__(self, total: int, *, faults: dict[int, list[int]] | None = None) -> None:
        self.total = total
        self.queries: list[dict[str, str]] = []
        self.faults = faults or {}
        self.in_flight = 0
        self.max_in_flight = 0

    async def __call__(self, url: Any, **kwargs: Any) -> CallbackResult:
        query = dict(kwargs.get("params") or [])
        self.queries.append(query)
        page, _per_page = int(query["page"]), int(query["per_page"])
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.002)
        finally:
            self.in_flight -= 1
        statuses = self.faults.get(page)
        if statuses:
            return CallbackResult(status=statuses.pop(0))
        return CallbackResult(payload=answer(self.total, query))


def mock_pages(mock: AioResponses, api: PagedApi) -> None:
    async def callback(url: Any, **kwargs: Any) -> CallbackResult:
        return await api(url, **kwargs)

    mock.get(with_query(LIST_URL), callback=callback, repeat=True)


def with_query(url: str) -> re.Pattern[str]:
    """aioresponses matches the whole URL, query string included."""
    return re.compile(re.escape(url) + r"(\?.*)?$")


@pytest.mark.parametrize("total", [0, 1, 10, 11, 95])
@pytest.mark.parametrize("prefetch", [1, 3, 8])
async def test_every_item_once_in_order(
    qonto: QontoClient, http_mock: AioResponses, total: int, prefetch: int
) -> None:
    api = PagedApi(total)
    mock_pages(http_mock, api)
    items = await qonto.client_invoices.list(per_page=10, prefetch=prefetch).all()
    assert [i.id for i in items] == [f"inv-{n:05d}" for n in range(total)]
    # every request but the last carries a page of new records
    assert len(api.queries) <= max(1, -(-total // 8)) + 1
    assert api.max_in_flight <= prefetch


async def test_prefetch_keeps_pages_in_flight(qonto: QontoClient, http_mock: AioResponses) -> None:
    api = PagedApi(200)
    mock_pages(http_mock, api)
    await qonto.client_invoices.list(per_page=10, prefetch=6).all()
    assert api.max_in_flight == 6


async def test_pages_expose_items_and_meta(qonto: QontoClient, http_mock: AioResponses) -> None:
    mock_pages(http_mock, PagedApi(25))
    pages = [p async for p in qonto.client_invoices.list(per_page=10).pages()]
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert sum(len(p.items) for p in pages) == 25
    assert all(0 < len(p.items) <= 10 for p in pages)
    assert pages[0].meta is not None
    assert pages[0].meta.total_count == 25


async def test_transient_503s_mid_run_lose_nothing(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    api = PagedApi(60, faults={3: [503, 502], 5: [503]})
    mock_pages(http_mock, api)
    items = await qonto.client_invoices.list(per_page=10, prefetch=4).all()
    assert [i.id for i in items] == [f"inv-{n:05d}" for n in range(60)]
    assert len(sleeps.retry_waits) == 3


async def test_a_page_that_keeps_failing_raises_at_its_turn(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    mock_pages(http_mock, PagedApi(60, faults={5: [500] * 4}))
    seen: list[str] = []

    async def consume() -> None:
        async for item in qonto.client_invoices.list(per_page=10, prefetch=4):
            seen.append(item.id)

    with pytest.raises(InternalServerError):
        await consume()
    # probes 1 and 3 (8 records each) and the window between them, then the error
    assert seen == [f"inv-{n:05d}" for n in range(24)]


async def test_early_break_cancels_pages_in_flight(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    api = PagedApi(1000)
    mock_pages(http_mock, api)
    async for item in qonto.client_invoices.list(per_page=10, prefetch=5):
        if item.id == "inv-00012":
            break
    gc.collect()
    for _ in range(5):
        await asyncio.sleep(0.01)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert pending == []
    assert len(api.queries) <= 12  # what was read, and at most prefetch in flight
    assert qonto.requests_in_flight == 0


async def _collect_pages(
    fetch: Callable[[int], Any], *, per_page: int, prefetch: int = 4
) -> list[int]:
    reader: OffsetReader[int] = OffsetReader(
        fetch, per_page=per_page, prefetch=prefetch, page_url=None
    )
    return [item async for page in reader.pages() for item in page.items]


def fake_fetch(pages: dict[int, tuple[list[int], Meta | None]]) -> Callable[[int], Any]:
    asked: list[int] = []

    async def fetch(number: int) -> Page[int]:
        asked.append(number)
        items, meta = pages[number]
        return Page(items, meta, number)

    fetch.asked = asked  # type: ignore[attr-defined]
    return fetch


def meta(current: int, nxt: int | None, total_pages: int | None) -> Meta:
    return Meta(current_page=current, next_page=nxt, total_pages=total_pages)


async def test_without_total_pages_follows_next_page() -> None:
    fetch = fake_fetch(
        {
            1: ([1, 2], meta(1, 2, None)),
            2: ([3, 4], meta(2, 3, None)),
            3: ([5], meta(3, None, None)),
        }
    )
    assert await _collect_pages(fetch, per_page=2, prefetch=8) == [1, 2, 3, 4, 5]
    assert fetch.asked == [1, 2, 3]  # type: ignore[attr-defined]


async def test_growing_total_switches_to_next_page_links() -> None:
    # page 2 says the list grew to 4 pages: trust the links from there on
    fetch = fake_fetch(
        {
            1: ([1, 2], meta(1, 2, 3)),
            2: ([3, 4], meta(2, 3, 4)),
            3: ([5, 6], meta(3, 4, 4)),
            4: ([7], meta(4, None, 4)),
        }
    )
    assert await _collect_pages(fetch, per_page=2, prefetch=1) == [1, 2, 3, 4, 5, 6, 7]


async def test_last_page_with_a_next_link_is_followed() -> None:
    fetch = fake_fetch(
        {1: ([1], meta(1, 2, 2)), 2: ([2], meta(2, 3, 2)), 3: ([3], meta(3, None, 3))}
    )
    assert await _collect_pages(fetch, per_page=1, prefetch=4) == [1, 2, 3]


async def test_missing_meta_reads_on_while_pages_are_full() -> None:
    fetch = fake_fetch({1: ([1, 2], None), 2: ([3, 4], None), 3: ([], None)})
    assert await _collect_pages(fetch, per_page=2) == [1, 2, 3, 4]


async def test_a_next_page_link_going_backwards_is_an_error_not_a_hang() -> None:
    fetch = fake_fetch({1: ([1], meta(1, 2, None)), 2: ([2], meta(2, 1, None))})
    with pytest.raises(APIResponseValidationError, match="next_page"):
        await _collect_pages(fetch, per_page=1)


async def test_progress_reports_done_and_total(qonto: QontoClient, http_mock: AioResponses) -> None:
    mock_pages(http_mock, PagedApi(25))
    seen: list[tuple[int, int | None]] = []
    paginator = qonto.client_invoices.list(
        per_page=10, on_progress=lambda done, total: seen.append((done, total))
    )
    await paginator.all()
    assert [total for _, total in seen] == [25] * len(seen)
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})
    assert seen[-1] == (25, 25)


def test_prefetch_and_per_page_are_checked(qonto: QontoClient) -> None:
    with pytest.raises(ValueError, match="per_page"):
        qonto.client_invoices.list(per_page=101)
    with pytest.raises(ValueError, match="per_page"):
        qonto.clients.list(per_page=0)
    with pytest.raises(ValueError, match="prefetch"):
        qonto.supplier_invoices.list(prefetch=0)


# -- filters as they reach the server ---------------------------------------------------------


async def one_page_query(mock: AioResponses, url: str, key: str, paginator: Any) -> list[Any]:
    mock.get(
        with_query(url),
        payload={key: [], "meta": {"total_pages": 1, "next_page": None, "total_count": 0}},
        repeat=True,
    )
    await paginator.all()
    ((_, _), calls) = next(iter(mock.requests.items()))
    return list(calls[0].kwargs["params"])


async def test_client_invoice_filters(qonto: QontoClient, http_mock: AioResponses) -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    query = await one_page_query(
        http_mock,
        LIST_URL,
        "client_invoices",
        qonto.client_invoices.list(
            status=["paid", "unpaid"],
            created_at_from=dt.datetime(2024, 1, 1, 12, 0, tzinfo=paris),
            created_at_to=dt.date(2024, 12, 31),
            updated_at_from="2024-06-01T00:00:00Z",
            sort_by="created_at:desc",
            per_page=50,
        ),
    )
    assert query == [
        ("filter[status]", "paid,unpaid"),
        ("filter[updated_at_from]", "2024-06-01T00:00:00Z"),
        ("sort_by", "created_at:desc"),
        # the created_at bounds become the listing's keyset window; a date covers its day
        ("filter[created_at_from]", "2024-01-01T10:00:00Z"),
        ("filter[created_at_to]", "2024-12-31T23:59:59.999999Z"),
        ("per_page", "48"),  # probe pages leave room for the two ends of each window
        ("page", "1"),
    ]


async def test_supplier_invoice_filters(qonto: QontoClient, http_mock: AioResponses) -> None:
    query = await one_page_query(
        http_mock,
        f"{BASE_URL}/v2/supplier_invoices",
        "supplier_invoices",
        qonto.supplier_invoices.list(
            status=["paid", "to_review"],
            due_date="future",
            updated_at_to=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            attachment_id="att-1",
            missing_data=False,
            exclude_credit_notes=True,
            query="acme",
            query_fields=["supplier_name", "invoice_number"],
            sort_by="total_amount:asc",
        ),
    )
    assert query == [
        ("filter[status][]", "paid"),
        ("filter[status][]", "to_review"),
        ("filter[due_date]", "future"),
        ("filter[attachment_id]", "att-1"),
        ("filter[missing_data]", "false"),
        ("filter[exclude_credit_notes]", "true"),
        ("query", "acme"),
        ("query_fields", "supplier_name,invoice_number"),
        ("filter[updated_at_to]", "2025-03-01T00:00:00Z"),  # moments after the resource's own
        ("sort_by", "total_amount:asc"),
        ("per_page", "100"),
        ("page", "1"),
    ]


async def test_client_filters(qonto: QontoClient, http_mock: AioResponses) -> None:
    query = await one_page_query(
        http_mock,
        f"{BASE_URL}/v2/clients",
        "clients",
        qonto.clients.list(
            name="Mc",
            email="a@b.c",
            vat_number="FR1",
            tax_identification_number="123",
            updated_at_from=dt.datetime(2024, 1, 1, 0, 0, 0, 500, tzinfo=dt.UTC),
            sort_by="name:asc",
        ),
    )
    assert query == [
        ("filter[tax_identification_number]", "123"),
        ("filter[vat_number]", "FR1"),
        ("filter[email]", "a@b.c"),
        ("filter[name]", "Mc"),
        ("filter[updated_at_from]", "2024-01-01T00:00:00.000500Z"),
        ("sort_by", "name:asc"),
        ("per_page", "100"),
        ("page", "1"),
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: q.clients.list(name="M"), "2 characters"),
        (lambda q: q.clients.list(sort_by="email:asc"), "sort_by"),
        (lambda q: q.client_invoices.list(sort_by="created_at:up"), "sort_by"),
        (lambda q: q.client_invoices.list(status=[]), "status"),
        (lambda q: q.supplier_invoices.list(due_date="yesterday"), "due_date"),
        (lambda q: q.client_invoices.list(created_at_from=dt.datetime(2024, 1, 1)), "aware"),
    ],
)
def test_bad_filters_are_value_errors(
    qonto: QontoClient, call: Callable[[QontoClient], Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(qonto)


# -- against a real local aiohttp server ------------------------------------------------------


@pytest.fixture
async def paged_server() -> AsyncIterator[tuple[str, list[int]]]:
    total, served = 137, []

    async def handler(request: web.Request) -> web.Response:
        query = dict(parse_qsl(request.query_string))
        page = int(query["page"])
        served.append(page)
        await asyncio.sleep(0.005)
        body = json.dumps(answer(total, query))
        return web.Response(text=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v2/client_invoices", handler)
    async with serve(app) as base_url:
        yield base_url, served


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_real_server_pagination(paged_server: tuple[str, list[int]], prefetch: int) -> None:
    base_url, served = paged_server
    async with QontoClient(login="l", secret_key="s", base_url=base_url) as qonto:
        ids = [i.id async for i in qonto.client_invoices.list(per_page=10, prefetch=prefetch)]
    assert ids == [f"inv-{n:05d}" for n in range(137)]
    assert len(served) <= 137 // 8 + 2


async def test_real_server_early_break(paged_server: tuple[str, list[int]]) -> None:
    base_url, served = paged_server
    async with QontoClient(login="l", secret_key="s", base_url=base_url) as qonto:
        pages = qonto.client_invoices.list(per_page=10, prefetch=4).pages()
        async for page in pages:
            if page.number == 2:
                break
        await pages.aclose()
        ours = [t for t in asyncio.all_tasks() if "fetch" in repr(t.get_coro())]
        assert ours == []
    assert len(served) <= 10


async def test_a_server_ignoring_created_at_filters_is_read_by_page_number() -> None:
    warnings: list[str] = []
    handler_ = logging.Handler()
    handler_.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    sdk_logger = logging.getLogger("qonto_async")
    level = sdk_logger.level
    sdk_logger.setLevel(logging.WARNING)  # CLI tests in this process may have raised it
    sdk_logger.addHandler(handler_)

    async def handler(request: web.Request) -> web.Response:
        query = dict(parse_qsl(request.query_string))
        body = answer(95, query, created_filters=False)
        return web.Response(text=json.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get("/v2/client_invoices", handler)
    try:
        async with (
            serve(app) as base_url,
            QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
        ):
            for prefetch in (1, 8):
                listing = qonto.client_invoices.list(per_page=10, prefetch=prefetch)
                assert [i.id async for i in listing] == [f"inv-{n:05d}" for n in range(95)]
    finally:
        sdk_logger.removeHandler(handler_)
        sdk_logger.setLevel(level)
    assert len(warnings) == 2
    assert "filter[created_at_from|to] was not applied" in warnings[0]


@pytest.mark.parametrize(
    "call",
    [
        lambda q: q.clients.list(per_pag=5),
        lambda q: q.client_invoices.list(status="paid", updated_from="2026-01-01"),
        lambda q: q.credit_notes.list(limits=3),
    ],
    ids=["clients", "client_invoices", "credit_notes"],
)
def test_a_misspelt_list_keyword_is_a_type_error_before_any_request(
    qonto: QontoClient, http_mock: AioResponses, call: Callable[[QontoClient], object]
) -> None:
    with pytest.raises(TypeError, match=r"\.list\(\) got an unexpected keyword argument '\w+'"):
        call(qonto)
    assert not http_mock.requests


@pytest.mark.parametrize("order", ["created_at:desc", "created_at:asc"])
async def test_an_honest_server_with_ties_on_whole_and_half_seconds_loses_nothing(
    order: str,
) -> None:
    # Instants half a second apart, 7 invoices each, shown to the microsecond, per_page 5:
    # a window's newer end sent as the end of its second pulled in the half-second instant
    # after it, whose records filled the page, and the walk skipped the rest of the window
    # (3 to 5 of 160 never yielded, no error). A server showing sub-second instants has its
    # whole-second values taken as they are.
    async def handler(request: web.Request) -> web.Response:
        query = dict(parse_qsl(request.query_string))
        body = answer(160, query, step=dt.timedelta(milliseconds=500), ties=7)
        return web.Response(text=json.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get("/v2/client_invoices", handler)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        for prefetch in (1, 3):
            listing = qonto.client_invoices.list(per_page=5, prefetch=prefetch, sort_by=order)
            ids = [i.id async for i in listing]
            assert len(ids) == len(set(ids))
            assert sorted(ids) == [f"inv-{n:05d}" for n in range(160)]
