"""A listing is described by data: each resource's default listing rests only on what Qonto
documents for it, and a collection keyed on another field needs no new listing code."""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

import msgspec
import pytest
from aiohttp import web
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL, serve

from qonto_async import QontoClient
from qonto_async._listing.page import Page
from qonto_async._listing.paginator import Paginator
from qonto_async._listing.spec import ListingSpec
from qonto_async.models import Meta

EMPTY = {"meta": {"current_page": 1, "next_page": None, "total_pages": 1, "total_count": 0}}


async def _first_query(http_mock: AioResponses, path: str, key: str, listing: Any) -> list[Any]:
    http_mock.get(
        re.compile(rf"^{re.escape(BASE_URL + path)}(\?.*)?$"),
        payload={key: [], **EMPTY},
        repeat=True,
    )
    assert await listing.all() == []
    ((_, _), calls) = next(iter(http_mock.requests.items()))
    return list(calls[0].kwargs["params"])


async def test_clients_are_listed_with_only_the_filters_qonto_documents_for_them(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    query = await _first_query(http_mock, "/v2/clients", "clients", qonto.clients.list())
    names = [name for name, _ in query]
    assert not any(name.startswith("filter[created_at") for name in names)
    assert ("sort_by", "updated_at:asc") in query


@pytest.mark.parametrize(
    ("resource", "key"),
    [("client_invoices", "client_invoices"), ("supplier_invoices", "supplier_invoices")],
)
async def test_invoices_are_walked_on_their_documented_created_at(
    qonto: QontoClient, http_mock: AioResponses, resource: str, key: str
) -> None:
    listing = getattr(qonto, resource).list()
    query = await _first_query(http_mock, f"/v2/{resource}", key, listing)
    assert ("sort_by", "created_at:desc") in query


class Settled(msgspec.Struct, frozen=True):
    id: str
    settled_at: dt.datetime


async def test_a_collection_keyed_on_settled_at_needs_only_a_spec() -> None:
    """The engine reads nothing of a resource but its spec: a walk on ``settled_at`` with its
    own filter names, against a server that applies them."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    records = [Settled(f"t{n:03d}", start + dt.timedelta(seconds=n // 3)) for n in range(95)]
    asked: list[list[tuple[str, str]]] = []

    async def fetch(query: list[tuple[str, str]]) -> Page[Settled]:
        asked.append(query)
        params = dict(query)
        assert params["sort_by"] == "settled_at:asc"
        lo = params.get("filter[settled_at_from]")
        hi = params.get("filter[settled_at_to]")
        chosen = [
            r
            for r in records
            if (lo is None or r.settled_at >= dt.datetime.fromisoformat(lo))
            and (hi is None or r.settled_at <= dt.datetime.fromisoformat(hi))
        ]
        size, page = int(params["per_page"]), int(params["page"])
        items = chosen[(page - 1) * size : page * size]
        more = page * size < len(chosen)
        meta = Meta(current_page=page, next_page=page + 1 if more else None,
                    total_count=len(chosen), total_pages=-(-len(chosen) // size))  # fmt: skip
        return Page(items, meta, page)

    spec = ListingSpec(key="settled_at", sorts=("settled_at",), descending=False)
    paginator: Paginator[Settled] = Paginator(spec, fetch, per_page=10, prefetch=3)
    ids = [r.id async for r in paginator]
    assert ids == [r.id for r in records]
    assert any("filter[settled_at_from]" in dict(q) for q in asked)
    assert len(asked) <= 2 * 10 + 12  # within the listing's request bound


async def test_webhook_subscriptions_list_is_a_paginator_like_every_list() -> None:
    """It used to return a plain list; now ``async for``, ``pages()`` and ``all()`` as every
    ``list()``, proven whole by a second pass (Qonto documents no sort or filter here)."""
    subscriptions = [
        {"id": f"sub-{n:03d}", "callback_url": "https://example.test/hook", "types": ["v1/clients"]}
        for n in range(230)
    ]
    served: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        served.append(request.query_string)
        size, page = int(request.query["per_page"]), int(request.query["page"])
        items = subscriptions[(page - 1) * size : page * size]
        pages = -(-len(subscriptions) // size)
        meta = {
            "current_page": page,
            "next_page": page + 1 if page < pages else None,
            "total_pages": pages,
            "total_count": len(subscriptions),
        }
        return web.json_response({"subscriptions": items, "meta": meta})

    app = web.Application()
    app.router.add_get("/v2/webhook_subscriptions", handler)
    async with (
        serve(app) as base_url,
        QontoClient(access_token="t", base_url=base_url) as qonto,
    ):
        listing = qonto.webhook_subscriptions.list()
        assert isinstance(listing, Paginator)
        ids = [s.id async for s in listing]
        pages = [page async for page in qonto.webhook_subscriptions.list(per_page=50).pages()]
    assert ids == [s["id"] for s in subscriptions]
    assert [len(p.items) for p in pages][:5] == [50, 50, 50, 50, 30]
    assert all(p.date is not None for p in pages)
    assert len(served) == 6 + 10  # two passes of 3 pages, two of 5


@pytest.mark.parametrize("shape", ["deep", "huge"])
def test_a_forged_position_or_cursor_is_a_short_value_error(qonto: QontoClient, shape: str) -> None:
    # A deeply nested token raised a bare RecursionError; a 1 MB one came back as a 1 MB
    # message (found by the hostile review).
    body = b"[" * 100_000 + b"]" * 100_000 if shape == "deep" else b'"' + b"x" * 1_000_000 + b'"'
    for prefix, make in (
        ("qlp1.", lambda token: qonto.client_invoices.list(start=token)),
        ("qcc1.", lambda token: qonto.client_invoices.changes(token)),
    ):
        token = prefix + base64.urlsafe_b64encode(body).decode()
        with pytest.raises(ValueError, match="not a") as caught:
            make(token)
        assert len(str(caught.value)) < 300
