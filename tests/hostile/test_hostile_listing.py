"""Hostile servers against ``list()``: every listing ends, yields no id twice, and yields
every record or raises a typed ``QontoError`` naming the URL.

Public API only. Each scenario (``server.SCENARIOS``) is one misbehaving server (or a
composition of misbehaviours); the properties are the same for all of them:

- the listing ends within ``4 * ceil(N / per_page) + 20`` requests and 30 s (else HANG);
- no id comes out twice;
- every record that existed from the first request to the last comes out, or the listing
  raises a :class:`qonto_async.QontoError` subclass whose message names the URL. A bare
  ``ValueError``/``KeyError``/``RecursionError``, a silent subset or a duplicate fails.

Several of these fail against today's engine on purpose: they are the acceptance tests of
its rewrite. ``python /tmp/work/hostile_report.py`` prints the same matrix as a table.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

import aiohttp
import pytest

from .server import (
    PER_PAGE,
    SCENARIOS,
    HostileServer,
    Hostility,
    Scenario,
    connect,
    lister,
    run_listing,
)

NAME = lambda scenario: scenario.name  # noqa: E731
SEEDED = [s for s in SCENARIOS if s.seeded]
CHEAP = [s for s in SCENARIOS if s.size <= 450]
ONE_PER_FAMILY = [s for s in SCENARIOS if s.name in {
    "baseline-ci", "baseline-clients-name", "ignore-created-always-ci",
    "ignore-all-always-clients", "one-instant-450-ci", "ties-of-3-reordered-ci",
    "repeat-always-ci", "shuffle-always-ci", "oversize-always-ci",
    "count-noise-always-clients", "no-date-always-ci", "date-ahead-always-clients",
    "ignore-page-always-ci", "ignore-sort-always-ci", "churn-ci",
}]  # fmt: skip


@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=NAME)
async def test_listing_ends_with_every_record_once(scenario: Scenario, prefetch: int) -> None:
    outcome = await run_listing(scenario, prefetch=prefetch, reader="items", seed=1)
    assert outcome.ok, outcome.explain(scenario, prefetch, "items")


@pytest.mark.parametrize("scenario", CHEAP, ids=NAME)
async def test_pages_reader(scenario: Scenario) -> None:
    outcome = await run_listing(scenario, prefetch=4, reader="pages", seed=2)
    assert outcome.ok, outcome.explain(scenario, 4, "pages")


@pytest.mark.parametrize("scenario", ONE_PER_FAMILY, ids=NAME)
async def test_all_reader(scenario: Scenario) -> None:
    outcome = await run_listing(scenario, prefetch=4, reader="all", seed=2)
    assert outcome.ok, outcome.explain(scenario, 4, "all")


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize("scenario", SEEDED, ids=NAME)
async def test_many_seeds(scenario: Scenario, prefetch: int, seed: int) -> None:
    for reader in ("items", "pages"):
        outcome = await run_listing(scenario, prefetch=prefetch, reader=reader, seed=seed)
        assert outcome.ok, f"seed {seed}: " + outcome.explain(scenario, prefetch, reader)


# -- Page.date -----------------------------------------------------------------------------

DATED = [
    ("client_invoices", None),
    ("client_invoices", "created_at:asc"),
    ("clients", None),
    ("clients", "name:asc"),
    ("supplier_invoices", None),
    ("supplier_invoices", "total_amount:desc"),
]


@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize(("resource", "sort_by"), DATED)
async def test_page_date_is_the_answers_server_time(
    resource: str, sort_by: str | None, prefetch: int
) -> None:
    async with HostileServer(sizes={resource: 250}) as server, connect(server) as qonto:
        server.advance(dt.timedelta(days=3))  # far from the local clock: no confusing the two
        options: dict[str, Any] = {"per_page": PER_PAGE, "prefetch": prefetch}
        if sort_by is not None:
            options["sort_by"] = sort_by
        dates: list[object] = []
        async with asyncio.timeout(30):
            async for page in lister(qonto, resource)(**options).pages():
                dates.append(page.date)
    assert dates
    for date in dates:
        assert isinstance(date, dt.datetime), f"Page.date is {date!r}, not the answer's Date"
        assert date.utcoffset() == dt.timedelta(0), f"Page.date {date!r} is not aware UTC"
        assert date in server.dates_sent, f"Page.date {date} is no Date the server sent"


async def test_page_date_follows_a_skewed_answer() -> None:
    # A node a day ahead: the page it answered says so (the SDK decides what to trust).
    hostility = Hostility(date_ahead="always")
    async with (
        HostileServer(sizes={"clients": 250}, hostility=hostility) as server,
        connect(server) as qonto,
    ):
        async with asyncio.timeout(30):
            pages = [page async for page in qonto.clients.list(sort_by="name:asc").pages()]
    assert pages
    for page in pages:
        date = page.date
        assert isinstance(date, dt.datetime), f"Page.date is {date!r}, not the answer's Date"
        assert date in server.dates_sent, f"Page.date {date} is no Date the server sent"
        ahead = date > server.now() + dt.timedelta(hours=23)
        assert ahead, f"Page.date {date} is not the skewed answer's Date"


# -- breaking out early --------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["items", "pages"])
@pytest.mark.parametrize(
    ("resource", "sort_by"),
    [("client_invoices", None), ("clients", "name:asc"), ("supplier_invoices", None)],
)
async def test_an_early_break_stops_the_requests(
    resource: str, sort_by: str | None, reader: str
) -> None:
    async with HostileServer(sizes={resource: 150}) as server:
        async with connect(server) as qonto:
            options: dict[str, Any] = {"per_page": PER_PAGE, "prefetch": 4}
            if sort_by is not None:
                options["sort_by"] = sort_by
            paginator = lister(qonto, resource)(**options)
            seen = 0
            async with asyncio.timeout(30):
                if reader == "items":
                    async for _item in paginator:
                        seen += 1
                        if seen == 10:
                            break
                else:
                    async with contextlib.aclosing(paginator.pages()) as pages:
                        async for page in pages:
                            seen += len(page.items)
                            if seen >= 10:
                                break
            for _ in range(5):  # let cancelled requests settle (no timing assert)
                await asyncio.sleep(0)
        requests = server.requests
    assert seen >= 10
    assert requests <= 4, f"{requests} requests for 10 of 150 records: {server.urls}"


# -- the server itself: if these fail, the server is wrong, not the SDK ------------------


async def _get(server: HostileServer, path: str, **query: str) -> tuple[Any, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.base_url + path, params=query) as answer,
    ):
        assert answer.status == 200, await answer.text()
        return await answer.json(), answer.headers


async def test_server_pages_filters_and_dates_as_documented() -> None:
    async with HostileServer(sizes={"client_invoices": 250, "clients": 30}) as server:
        seen: list[str] = []
        for page in (1, 2, 3):
            body, headers = await _get(
                server, "/v2/client_invoices", page=str(page), sort_by="created_at:asc"
            )
            meta = body["meta"]
            assert meta["current_page"] == page
            assert meta["total_count"] == 250
            assert meta["total_pages"] == 3
            assert meta["next_page"] == (page + 1 if page < 3 else None)
            assert "Date" in headers
            seen += [r["id"] for r in body["client_invoices"]]
        assert sorted(seen) == sorted(server.ids("client_invoices"))
        middle, _ = await _get(server, "/v2/client_invoices", per_page="3", page="40")
        stamps = [r["created_at"] for r in middle["client_invoices"]]
        assert stamps == sorted(stamps, reverse=True)  # created_at:desc by default
        inside, _ = await _get(
            server,
            "/v2/client_invoices",
            **{"filter[created_at_from]": stamps[-1], "filter[created_at_to]": stamps[0]},
        )
        assert [r["created_at"] for r in inside["client_invoices"]] == stamps  # inclusive
        clients, _ = await _get(server, "/v2/clients", **{"filter[created_at_to]": "2001-01-01"})
        assert clients["meta"]["total_count"] == 30  # clients document no created_at filter
        early, _ = await _get(server, "/v2/clients", **{"filter[updated_at_to]": "2001-01-01"})
        assert early["meta"]["total_count"] == 0


async def test_server_misbehaves_as_configured() -> None:
    hostility = Hostility(no_date="always", repeat_across_pages="always", ignore_page="once")
    async with HostileServer(sizes={"client_invoices": 250}, hostility=hostility) as server:
        first, headers = await _get(server, "/v2/client_invoices", page="1")
        assert "Date" not in headers
        again, _ = await _get(server, "/v2/client_invoices", page="2")  # page ignored once
        assert again == first
        second, _ = await _get(server, "/v2/client_invoices", page="2")
        assert second["client_invoices"][0] == first["client_invoices"][-1]
    assert server.fired["ignore_page"] == 1
