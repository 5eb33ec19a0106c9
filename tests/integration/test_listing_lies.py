"""Servers whose answers lie about what they hold: the listing never yields an id twice and
never ends short without saying so (found by a hostile review)."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from conftest import serve
from listing_model import answer

from qonto_async import APIResponseValidationError, ListIncompleteError, QontoClient, QontoError

Doctor = Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]


async def listed(
    doctor: Doctor, total: int = 120, resource: str = "client_invoices", **options: Any
) -> tuple[list[str], int]:
    """What ``<resource>.list(per_page=25, **options)`` yields from a server answering as
    :func:`listing_model.answer` does, each answer passed through ``doctor`` first."""
    served = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal served
        served += 1
        query = dict(parse_qsl(request.query_string))
        body = doctor(query, answer(total, query))
        body[resource] = body.pop("client_invoices")
        return web.Response(text=json.dumps(body), content_type="application/json")

    app = web.Application()
    app.router.add_get(f"/v2/{resource}", handler)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url, max_retries=0) as qonto,
    ):
        listing = getattr(qonto, resource).list(per_page=25, **options)
        ids = [i.id async for i in listing]
    return ids, served


@pytest.mark.parametrize("sort_by", [None, "created_at:asc"])
async def test_an_id_served_again_under_another_created_at_is_yielded_once(
    sort_by: str | None,
) -> None:
    def twin(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        # The 5 oldest of 125 records carry the ids of 5 newer ones (inv-00003..inv-00007).
        for item in body["client_invoices"]:
            n = int(item["id"][4:])
            if n >= 120:
                item["id"] = f"inv-{n - 117:05d}"
        return body

    ids, _ = await listed(twin, total=125, sort_by=sort_by)
    assert len(ids) == len(set(ids))  # yielded twice before
    assert set(ids) == {f"inv-{n:05d}" for n in range(120)}


async def test_a_record_missing_from_every_answer_is_a_typed_error_not_a_silent_gap() -> None:
    def drop(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        body["client_invoices"] = [i for i in body["client_invoices"] if i["id"] != "inv-00042"]
        return body  # total_count still counts it

    with pytest.raises(ListIncompleteError, match="/v2/client_invoices"):
        await listed(drop)


async def test_a_lying_total_and_endless_next_pages_end_in_a_typed_error() -> None:
    def endless(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        meta = body["meta"]
        page = int(query["page"])
        if not body["client_invoices"]:  # past the last page: the last page again
            body = answer(120, {**query, "page": str(meta["total_pages"] or 1)})
            meta = body["meta"]
        meta.update(total_count=1_000_000, total_pages=40_000, next_page=page + 1)
        return body

    with pytest.raises(QontoError, match="/v2/client_invoices") as caught:
        await listed(endless, sort_by="created_at:desc")
    assert not isinstance(caught.value, ListIncompleteError) or caught.value.requests


async def test_no_meta_and_page_ignored_is_a_typed_error_not_a_silent_gap() -> None:
    # Without meta the reader follows full pages; a server ignoring `page` serves page 1 again,
    # which ended the pass as if complete (25 of 120 yielded, no error).
    def first_page_only(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        first = answer(120, {**query, "page": "1"})
        return {"client_invoices": first["client_invoices"]}

    with pytest.raises(ListIncompleteError, match="served a page again"):
        await listed(first_page_only, resource="clients", sort_by="name:asc")


@pytest.mark.parametrize(("minutes", "trusted"), [(2, True), (10, False), (-10, True)])
async def test_changes_trusts_a_server_clock_ahead_no_further_than_its_overlap(
    minutes: int, trusted: bool
) -> None:
    # A Date ahead by more than the overlap (5 minutes) but within the old 15-minute tolerance
    # moved the cursor past changes the next run then never read (found by the hostile review).
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)

    async def handler(request: web.Request) -> web.Response:
        body = answer(0, {"page": "1", "per_page": request.query.get("per_page", "100")})
        headers = {"Date": email.utils.format_datetime(ahead, usegmt=True)}
        return web.Response(text=json.dumps(body), content_type="application/json", headers=headers)

    app = web.Application()
    app.router.add_get("/v2/client_invoices", handler)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url, max_retries=0) as qonto,
    ):
        feed = qonto.client_invoices.changes()
        if trusted:
            assert [i async for i in feed] == []
        else:
            with pytest.raises(APIResponseValidationError, match="ahead of this machine's clock"):
                [i async for i in feed]
