"""Hostile servers against ``changes()``: the sync feed never loses a change across runs,
never yields an id twice within one, ends in bounded requests, and refuses a bad cursor
with ``ValueError``.

Public API only. The server's clock is virtual (see ``server.HostileServer``), so "the same
second" and "a day ahead" are exact, not raced against the machine's clock. Every check is a
plain coroutine (``check_*``) so ``/tmp/work/hostile_report.py`` can run it outside pytest.
Several fail against today's engine on purpose: they are acceptance tests of its rewrite.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import datetime as dt
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest

from qonto_async import ListChangedError, QontoClient, QontoError

from .server import (
    LISTING_TIMEOUT,
    PER_PAGE,
    RESOURCES,
    SCENARIOS,
    Churn,
    HostileServer,
    Hostility,
    Scenario,
    connect,
    lister,
    request_bound,
)

SIZE = 150


def feed_of(qonto: QontoClient, resource: str) -> Callable[..., Any]:
    feeds: dict[str, Callable[..., Any]] = {
        "client_invoices": qonto.client_invoices.changes,
        "clients": qonto.clients.changes,
        "supplier_invoices": qonto.supplier_invoices.changes,
    }
    return feeds[resource]


@dataclasses.dataclass
class Run:
    ids: list[str]
    updated: dict[str, dt.datetime | None]
    cursor: str
    requests: int


async def run_changes(
    server: HostileServer,
    qonto: QontoClient,
    resource: str,
    since: str | dt.datetime | None,
    *,
    prefetch: int = 4,
    pages: bool = False,
) -> Run:
    """One run of the feed, bounded in time and requests; no id twice within it."""
    start = server.requests
    feed = feed_of(qonto, resource)(since, per_page=PER_PAGE, prefetch=prefetch)
    ids: list[str] = []
    updated: dict[str, dt.datetime | None] = {}
    deadline = asyncio.timeout(LISTING_TIMEOUT)
    error: QontoError | None = None
    try:
        async with deadline:
            if pages:
                async for page in feed.pages():
                    for item in page:
                        ids.append(item.id)
                        updated[item.id] = item.updated_at
            else:
                async for item in feed:
                    ids.append(item.id)
                    updated[item.id] = item.updated_at
    except TimeoutError as exc:
        if deadline.expired():
            raise AssertionError(f"HANG: still running after {LISTING_TIMEOUT} s") from exc
        raise
    except QontoError as exc:
        error = exc  # acceptable, once the checks below pass
    requests = server.requests - start
    if server.capped:
        raise AssertionError(f"HANG (runaway: more than {server.cap} requests)") from error
    bound = request_bound(len(server.records[resource]))
    assert requests <= bound, f"changes() took {requests} requests (bound {bound})"
    dups = [i for i, n in Counter(ids).items() if n > 1]
    assert not dups, f"DUPLICATE within one run: {len(dups)} ids, e.g. {dups[:3]}"
    if error is not None:
        raise error
    cursor = feed.cursor
    assert isinstance(cursor, str)
    return Run(ids, updated, cursor, requests)


def assert_typed(error: QontoError) -> str:
    """A typed error is an acceptable end if it names the URL: its note for the report."""
    assert "/v2/" in str(error), f"typed error without its URL: {error}"
    return f"typed-error {type(error).__name__}"


def pick(server: HostileServer, resource: str) -> str:
    return sorted(server.ids(resource))[len(server.ids(resource)) // 2]


# -- (a) an update in the very second the run starts ------------------------------------------


async def check_same_second_update(resource: str, prefetch: int) -> str:
    """A record updated before changes() is called, after the previous run's cursor, in
    the same second as the new run's server Date: it must be in this run (the run's upper
    bound must not be that Date truncated to the second)."""
    async with HostileServer(sizes={resource: SIZE}) as server, connect(server) as qonto:
        first = await run_changes(server, qonto, resource, None, prefetch=prefetch)
        whole = set(first.ids) == server.ids(resource)
        assert whole, "the first run is not everything"
        target = pick(server, resource)
        server.advance_to_fraction(300, seconds=10)  # hh:mm:ss.300
        server.update(resource, target)
        server.advance(dt.timedelta(milliseconds=200))  # hh:mm:ss.500: same second
        second = await run_changes(server, qonto, resource, first.cursor, prefetch=prefetch)
    found = target in second.ids
    assert found, (
        f"{resource}: a record updated at {server.updated_at(resource, target)}, before "
        f"changes() was called, is missing from the run that started at "
        f"{server.dates_sent[-1] if server.dates_sent else '?'} (server Date)"
    )
    return ""


@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize("resource", RESOURCES)
async def test_a_same_second_update_is_in_this_run(resource: str, prefetch: int) -> None:
    await check_same_second_update(resource, prefetch)


# -- (b) a Date a day ahead ------------------------------------------------------------------


async def check_skewed_date(resource: str, prefetch: int, skewed_answer: int) -> str:
    """One answer of a run carries a Date a day ahead (a skewed node): the next run must
    still see a change made between the runs. A typed error, or keeping ``since``, is fine;
    a cursor a day in the future is not."""
    async with HostileServer(sizes={resource: SIZE}) as server, connect(server) as qonto:
        first = await run_changes(server, qonto, resource, None, prefetch=prefetch)
        server.advance(dt.timedelta(minutes=1))
        server.hostility = Hostility(date_ahead="once", at=server.requests + skewed_answer)
        try:
            skewed = await run_changes(server, qonto, resource, first.cursor, prefetch=prefetch)
        except QontoError as error:
            return assert_typed(error)
        assert server.fired["date_ahead"] == 1, "the skewed answer was never sent"
        server.advance(dt.timedelta(minutes=1))
        target = pick(server, resource)
        server.update(resource, target)
        server.advance(dt.timedelta(minutes=1))
        try:
            after = await run_changes(server, qonto, resource, skewed.cursor, prefetch=prefetch)
        except QontoError as error:
            return assert_typed(error)
    found = target in after.ids
    assert found, (
        f"{resource}: a change made between two runs is lost: the run with a Date a day "
        f"ahead (answer {skewed_answer} of the run) moved the cursor into the future"
    )
    return ""


@pytest.mark.parametrize("skewed_answer", [1, 2])
@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize("resource", RESOURCES)
async def test_a_skewed_date_does_not_lose_the_next_change(
    resource: str, prefetch: int, skewed_answer: int
) -> None:
    await check_skewed_date(resource, prefetch, skewed_answer)


# -- (c) explicit sort_by on a server that ignores filter[updated_at_from] ------------------


async def check_sorted_list_on_updated_filter_ignorer(
    resource: str, sort_by: str, prefetch: int
) -> str:
    """Nothing changes; the server ignores ``filter[updated_at_from|to]``. Listing with an
    explicit sort_by must not end in ListChangedError (after its 3 passes) and must yield
    every record once."""
    hostility = Hostility(ignore_updated_filters="always")
    async with (
        HostileServer(sizes={resource: SIZE}, hostility=hostility) as server,
        connect(server) as qonto,
    ):
        paginator = lister(qonto, resource)(per_page=PER_PAGE, prefetch=prefetch, sort_by=sort_by)
        try:
            async with asyncio.timeout(LISTING_TIMEOUT):
                items = await paginator.all()
        except ListChangedError as error:
            raise AssertionError(
                f"ListChangedError though nothing changed ({server.requests} requests): {error}"
            ) from None
        requests = server.requests
    ids = [item.id for item in items]
    dups = len(ids) - len(set(ids))
    assert not dups, f"DUPLICATE {dups} ids"
    missing = len(server.ids(resource) - set(ids))
    assert not missing, f"LOSS {missing} missing"
    assert requests <= request_bound(SIZE), f"{requests} requests"
    return ""


@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize(
    ("resource", "sort_by"),
    [
        ("clients", "name:desc"),
        ("clients", "updated_at:asc"),
        ("supplier_invoices", "supplier_name:asc"),
        ("supplier_invoices", "total_amount:desc"),
    ],
)
async def test_a_sorted_list_survives_a_server_ignoring_updated_at_filters(
    resource: str, sort_by: str, prefetch: int
) -> None:
    await check_sorted_list_on_updated_filter_ignorer(resource, sort_by, prefetch)


# -- (d) a malformed or out-of-range cursor ----------------------------------------------------


def forge(cursor: str, value: float) -> str:
    """``cursor`` with every integer in it replaced by ``value``: it still looks valid."""
    prefix, dot, body = cursor.partition(".")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        raise AssertionError(f"cannot forge: {cursor!r} is not <prefix>.<base64 JSON>") from None
    assert isinstance(data, dict), f"cannot forge: {cursor!r} holds no JSON object"
    changed = {k: value if isinstance(v, int) and not isinstance(v, bool) else v
               for k, v in data.items()}  # fmt: skip
    assert changed != data, f"cannot forge: {cursor!r} holds no integer"
    raw = json.dumps(changed, separators=(",", ":")).encode()
    return prefix + dot + base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSORS = ["huge", "huge-negative", "huge-float", "not-base64", "empty-body", "nonsense"]


def _bad_cursor(case: str, good: str) -> str:
    prefix = good.partition(".")[0] + "."
    if case == "huge":
        return forge(good, 10**20)
    if case == "huge-negative":
        return forge(good, -(10**20))
    if case == "huge-float":
        return forge(good, 1e300)
    if case == "not-base64":
        return prefix + "!!!*"
    if case == "empty-body":
        return prefix
    return "certainly not a cursor"


async def check_bad_cursor(case: str) -> str:
    """A malformed or out-of-range cursor is a ValueError (at ``changes()`` or at the first
    step of the iteration), never an OverflowError or anything else."""
    resource = "client_invoices"
    async with HostileServer(sizes={resource: 20}) as server, connect(server) as qonto:
        good = (await run_changes(server, qonto, resource, None)).cursor
        bad = _bad_cursor(case, good)
        try:
            async with asyncio.timeout(LISTING_TIMEOUT):
                async for _item in feed_of(qonto, resource)(bad):
                    pass
        except ValueError as error:
            return f"ValueError: {str(error)[:60]}"
        except Exception as error:
            raise AssertionError(
                f"cursor {bad!r}: {type(error).__name__}: {error}, not a ValueError"
            ) from None
    raise AssertionError(f"cursor {bad!r} ({case}) was accepted")


@pytest.mark.parametrize("case", BAD_CURSORS)
async def test_a_bad_cursor_is_a_value_error(case: str) -> None:
    await check_bad_cursor(case)


async def check_extreme_since(which: str) -> str:
    """``since`` at the ends of ``datetime``: everything, nothing, or a ValueError; never
    an OverflowError."""
    resource = "client_invoices"
    since = {
        "min": dt.datetime.min.replace(tzinfo=dt.UTC),
        "max": dt.datetime.max.replace(tzinfo=dt.UTC),
    }[which]
    async with HostileServer(sizes={resource: 20}) as server, connect(server) as qonto:
        try:
            run = await run_changes(server, qonto, resource, since)
        except ValueError as error:
            return f"ValueError: {str(error)[:60]}"
        except Exception as error:
            raise AssertionError(
                f"since={since!r}: {type(error).__name__}: {error}, not a ValueError"
            ) from None
    expected = server.ids(resource) if which == "min" else set()
    right = set(run.ids) == expected
    assert right, f"since={since!r}: {len(run.ids)} records, expected {len(expected)}"
    return ""


@pytest.mark.parametrize("which", ["min", "max"])
async def test_an_extreme_since_is_no_overflow(which: str) -> None:
    await check_extreme_since(which)


# -- churn between requests ------------------------------------------------------------------


async def check_churn_keeps_the_ledger_exact(resource: str, prefetch: int, seed: int) -> str:
    """The first run happens while records are created, deleted and updated between its
    requests: every record untouched throughout comes out, once. A second, quiet run from
    its cursor completes the ledger: every surviving record at its latest ``updated_at``.
    A run ending in a typed error is retried (as a worker would), quiet."""
    async with HostileServer(sizes={resource: 250}, seed=seed) as server, connect(server) as qonto:
        ledger: dict[str, dt.datetime | None] = {}
        before = server.ids(resource)
        server.churn = Churn(resource, every=1, seed=seed)
        first: Run | None = None
        note = ""
        for _attempt in range(3):
            try:
                first = await run_changes(server, qonto, resource, None, prefetch=prefetch)
                break
            except QontoError as error:
                note = assert_typed(error) + " under churn, retried quiet"
                server.churn = None
        assert first is not None, "three runs in a row ended in typed errors"
        churned = server.churn is not None
        server.churn = None
        after = server.ids(resource)
        if churned:
            untouched = (before & after) - server.updated
            missing = untouched - set(first.ids)
            lost = len(missing)
            assert not lost, f"LOSS under churn: {lost} untouched records missing"
        ledger.update(first.updated)
        server.advance(dt.timedelta(minutes=1))
        second = await run_changes(server, qonto, resource, first.cursor, prefetch=prefetch)
        ledger.update(second.updated)
        stale = [i for i in after if ledger.get(i) != server.updated_at(resource, i)]
    stale_count = len(stale)
    assert not stale_count, (
        f"after two runs {len(stale)} of {len(after)} records are missing or stale in the "
        f"ledger (churn: {len(server.created)} created, {len(server.deleted)} deleted, "
        f"{len(server.updated)} updated)"
    )
    return note


@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize("resource", RESOURCES)
async def test_churn_keeps_the_ledger_exact(resource: str, prefetch: int) -> None:
    await check_churn_keeps_the_ledger_exact(resource, prefetch, seed=1)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("prefetch", [1, 4])
@pytest.mark.parametrize("resource", RESOURCES)
async def test_churn_keeps_the_ledger_exact_many_seeds(
    resource: str, prefetch: int, seed: int
) -> None:
    await check_churn_keeps_the_ledger_exact(resource, prefetch, seed=seed)


# -- every hostile listing scenario, as a feed ---------------------------------------------


def _feed_scenarios() -> list[Scenario]:
    """The listing scenarios without churn, one per server (sort_by is no feed option)."""
    out: dict[tuple[object, ...], Scenario] = {}
    for s in SCENARIOS:
        key = (s.resource, s.size, s.hostility, s.shared_instant, s.tie_group)
        if s.churn is None and key not in out:
            out[key] = s
    return list(out.values())


FEED_SCENARIOS = _feed_scenarios()


async def check_feed_scenario(scenario: Scenario, prefetch: int, seed: int = 1) -> str:
    """On this scenario's server: a first run yields every record (or a typed error), a
    second run from its cursor yields the record updated in between (or a typed error)."""
    resource = scenario.resource
    async with (
        HostileServer(
            sizes={resource: scenario.size},
            hostility=scenario.hostility,
            seed=seed,
            shared_instant=scenario.shared_instant,
            tie_group=scenario.tie_group,
            cap=request_bound(scenario.size) * 2 + 20,
        ) as server,
        connect(server) as qonto,
    ):
        try:
            first = await run_changes(server, qonto, resource, None, prefetch=prefetch)
        except QontoError as error:
            return assert_typed(error)
        missing = server.ids(resource) - set(first.ids)
        lost = len(missing)
        assert not lost, f"LOSS {lost} missing from the first run"
        server.advance(dt.timedelta(minutes=1))
        target = pick(server, resource)
        server.update(resource, target)
        server.advance(dt.timedelta(minutes=1))
        try:
            second = await run_changes(server, qonto, resource, first.cursor, prefetch=prefetch)
        except QontoError as error:
            return assert_typed(error)
    found = target in second.ids
    assert found, "LOSS: the record updated between the runs is missing"
    return ""


@pytest.mark.parametrize("scenario", FEED_SCENARIOS, ids=lambda s: s.name)
async def test_every_hostile_server_as_a_feed(scenario: Scenario) -> None:
    await check_feed_scenario(scenario, prefetch=4)


CHECKS: dict[str, Callable[[], Awaitable[str]]] = {}
"""Every check above with its parameters, by name: what the report script runs."""
for _r in RESOURCES:
    for _p in (1, 4):
        CHECKS[f"a same-second update {_r} p{_p}"] = partial(check_same_second_update, _r, _p)
        for _k in (1, 2):
            CHECKS[f"b skewed Date (answer {_k}) {_r} p{_p}"] = partial(
                check_skewed_date, _r, _p, _k
            )
        CHECKS[f"churn ledger {_r} p{_p}"] = partial(check_churn_keeps_the_ledger_exact, _r, _p, 1)
for _r, _s in (("clients", "name:desc"), ("supplier_invoices", "supplier_name:asc")):
    for _p in (1, 4):
        CHECKS[f"c {_r} sort_by={_s}, updated filter ignored p{_p}"] = partial(
            check_sorted_list_on_updated_filter_ignorer, _r, _s, _p
        )
for _c in BAD_CURSORS:
    CHECKS[f"d bad cursor {_c}"] = partial(check_bad_cursor, _c)
for _w in ("min", "max"):
    CHECKS[f"d since=datetime.{_w}"] = partial(check_extreme_since, _w)
for _sc in FEED_SCENARIOS:
    CHECKS[f"feed {_sc.name} p4"] = partial(check_feed_scenario, _sc, 4)
