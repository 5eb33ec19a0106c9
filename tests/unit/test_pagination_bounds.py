"""A server that never says stop cannot keep the paginator looping."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from conftest import serve

from qonto_async import APIResponseValidationError, QontoClient

# Page-number reading is what an explicit sort_by on another field than created_at uses.
BY_AMOUNT = "total_amount:asc"


def runaway_app(
    *, total_pages: int | None, total_count: int | None, hits: list[int]
) -> web.Application:
    """Every page is empty and points at the next one, for ever."""

    async def handler(request: web.Request) -> web.Response:
        page = int(dict(parse_qsl(request.query_string))["page"])
        hits.append(page)
        meta = {
            "current_page": page,
            "next_page": page + 1,
            "prev_page": page - 1 or None,
            "total_pages": total_pages,
            "total_count": total_count,
            "per_page": 100,
        }
        return web.Response(
            text=json.dumps({"supplier_invoices": [], "meta": meta}),
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_get("/v2/supplier_invoices", handler)
    return app


@pytest.mark.parametrize("prefetch", [1, 8])
async def test_empty_pages_that_keep_a_next_page_end_in_a_typed_error(prefetch: int) -> None:
    hits: list[int] = []
    async with (
        serve(runaway_app(total_pages=None, total_count=None, hits=hits)) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        with pytest.raises(APIResponseValidationError) as caught:
            await qonto.supplier_invoices.list(
                status="paid", prefetch=prefetch, sort_by=BY_AMOUNT
            ).all()
    error = caught.value
    assert "page 1 is empty but meta.next_page is 2" in error.where
    assert error.method == "GET"
    assert error.url is not None
    assert error.url.endswith(
        "/v2/supplier_invoices?filter[status][]=paid&sort_by=total_amount:asc&per_page=100&page=1"
    )
    assert error.attempts == 1
    assert hits == [1]


async def test_a_page_count_far_beyond_the_record_count_is_refused_at_once() -> None:
    hits: list[int] = []
    async with (
        serve(runaway_app(total_pages=1_000_000, total_count=0, hits=hits)) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        with pytest.raises(APIResponseValidationError, match="far beyond total_count 0"):
            await qonto.supplier_invoices.list(prefetch=8, sort_by=BY_AMOUNT).all()
    assert hits == [1]


async def test_an_empty_page_in_the_middle_stops_the_listing() -> None:
    async def handler(request: web.Request) -> web.Response:
        page = int(dict(parse_qsl(request.query_string))["page"])
        items = [] if page == 2 else [{"id": f"inv-{page}"}]
        meta = {
            "current_page": page,
            "next_page": page + 1 if page < 3 else None,
            "total_pages": 3,
            "total_count": 3,
            "per_page": 1,
        }
        return web.json_response({"supplier_invoices": items, "meta": meta})

    app = web.Application()
    app.router.add_get("/v2/supplier_invoices", handler)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        seen: list[str] = []

        async def consume() -> None:
            async for invoice in qonto.supplier_invoices.list(
                per_page=1, prefetch=4, sort_by=BY_AMOUNT
            ):
                seen.append(invoice.id)

        with pytest.raises(APIResponseValidationError, match="page 2 is empty") as caught:
            await consume()
    assert seen == ["inv-1"]  # what came before the bad page was delivered, nothing after
    assert caught.value.url is not None
    assert caught.value.url.endswith("page=2")


async def test_a_next_page_going_backwards_names_method_and_url() -> None:
    async def handler(request: web.Request) -> web.Response:
        page = int(dict(parse_qsl(request.query_string))["page"])
        meta = {"current_page": page, "next_page": 1, "total_pages": None}
        return web.json_response({"supplier_invoices": [{"id": f"inv-{page}"}], "meta": meta})

    app = web.Application()
    app.router.add_get("/v2/supplier_invoices", handler)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        with pytest.raises(APIResponseValidationError) as caught:
            await qonto.supplier_invoices.list(sort_by=BY_AMOUNT).all()
    assert "does not move past page 1" in str(caught.value)
    assert caught.value.method == "GET"
    assert caught.value.url is not None
    assert "/v2/supplier_invoices?" in caught.value.url
