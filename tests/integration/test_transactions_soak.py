"""Transactions read exactly once while the bank moves (issue 23), over real HTTP.

``transactions.list()`` without an account reads every account of the organization (the two
internal ones and the external one) concurrently; FakeQonto's churn settles and declines
pending card authorisations, adds receipts, changes labels and notes and books new
authorisations and incomes while the listing runs. Every listing must yield no transaction
twice and every transaction that existed when it started (Qonto never deletes one), each in
the state it had when it was read: its latest or an earlier one, never a later one.

Then ``transactions.changes()``: three consecutive runs with churn during the first two; the
second sees every transaction changed after the first one's cursor was taken.

The soak's claim is the issue's: 50,000 transactions across three accounts, at prefetch 1 and
8, over 20 seeds. One seed costs 5.5 to 8 s of CPU (the fake generating and encoding 50,000
transactions, about 2 s; two listings of ~530 requests each, decoding 100,000 transactions,
about 1.5 s each); the test command spreads the seeds over both cores (``pytest -n 2``). Each
seed builds one fake, warms it once, lists it at prefetch 1 and then 8, churn on, then runs
``changes()`` on it.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import time
from typing import Any

import pytest

from qonto_async import QontoClient, Transaction
from qonto_async.testing import Churn, FakeQonto

SOAK_SEEDS = range(20)
SOAK_SIZE = 50_000
SEED_TIMEOUT = 25.0  # s per listing: a hang fails its seed, it does not stall the soak


@dataclasses.dataclass(frozen=True)
class Run:
    """What churn did during one listing, and what the listing did wrong (``problems``)."""

    prefetch: int
    yielded: int
    existed: int
    created: int
    updated: int
    settled: int
    declined: int
    seconds: float
    problems: tuple[str, ...]


def connect(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
        requests_per_second=None,
    )  # fmt: skip


def _stamp(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def _state(item: Transaction) -> tuple[dt.datetime | None, str]:
    return item.updated_at, item.status


def _final(fake: FakeQonto, rid: str) -> tuple[dt.datetime, str]:
    record = fake.record("transactions", rid)
    return _stamp(record["updated_at"]), record["status"]


def _later_than_final(fake: FakeQonto, items: dict[str, Transaction], ids: set[str]) -> list[str]:
    """The ids among ``ids`` yielded in a state newer than the fake's final one: impossible
    for a listing that reads each transaction once, as it stood at some moment."""
    wrong = []
    for rid in sorted(ids & items.keys()):
        (read_at, read_status), (last_at, last_status) = _state(items[rid]), _final(fake, rid)
        assert read_at is not None
        assert last_at is not None
        if read_at > last_at or (read_at == last_at and read_status != last_status):
            wrong.append(rid)
    return wrong


async def list_under_churn(
    fake: FakeQonto,
    qonto: QontoClient,
    *,
    churn: Churn,
    prefetch: int,
    per_page: int = 100,
) -> Run:
    """One listing of every account, churn on, checked against the fake's own record."""
    pending = {t.id for t in await qonto.transactions.list(status="pending").all()}
    before = set(fake.ids("transactions"))
    first_change = len(fake.stats.changes)
    fake.churn = churn
    started = time.perf_counter()
    try:
        listed = await qonto.transactions.list(
            include_external_accounts=True, per_page=per_page, prefetch=prefetch
        ).all()
    finally:
        fake.churn = None
    seconds = time.perf_counter() - started
    changes = fake.stats.changes[first_change:]
    created = {rid for action, _, rid in changes if action == "created"}
    updated = {rid for action, _, rid in changes if action == "updated"}
    final = {rid: fake.record("transactions", rid)["status"] for rid in pending & updated}
    ids = [t.id for t in listed]
    problems: list[str] = []
    twice = sorted(rid for rid, n in collections.Counter(ids).items() if n > 1)
    if twice:
        problems.append(f"yielded twice: {twice[:5]} ({len(twice)} in all)")
    missing = sorted(before - set(ids))
    if missing:
        problems.append(f"never yielded: {missing[:5]} ({len(missing)} in all)")
    unknown = sorted(set(ids) - before - created)
    if unknown:
        problems.append(f"yielded but never existed: {unknown[:5]}")
    by_id = {t.id: t for t in listed}
    newer = _later_than_final(fake, by_id, updated)
    if newer:
        problems.append(f"yielded in a state newer than its last: {newer[:5]}")
    # Transactions churn left alone come out exactly as the fake holds them (a sample).
    still = sorted((before - updated) & by_id.keys())[:: max(1, len(before) // 200)]
    stale = [rid for rid in still if _state(by_id[rid]) != _final(fake, rid)]
    if stale:
        problems.append(f"unchanged but yielded in another state: {stale[:5]}")
    return Run(
        prefetch=prefetch,
        yielded=len(ids),
        existed=len(before),
        created=len(created),
        updated=len(updated),
        settled=sum(status == "completed" for status in final.values()),
        declined=sum(status == "declined" for status in final.values()),
        seconds=seconds,
        problems=tuple(problems),
    )


@dataclasses.dataclass(frozen=True)
class Feed:
    """Three consecutive ``changes()`` runs, churn on during the first two."""

    seen: tuple[int, int, int]
    changed: tuple[int, int, int]  # during run 1, between runs 1 and 2, during run 2
    problems: tuple[str, ...]


async def _feed_run(
    fake: FakeQonto, qonto: QontoClient, since: str | dt.datetime, churn: Churn | None
) -> tuple[list[Transaction], set[str], str]:
    """One ``changes()`` run over every account: what it yielded, which transactions churn
    changed meanwhile, and its cursor."""
    first_change = len(fake.stats.changes)
    feed = qonto.transactions.changes(
        since, overlap=dt.timedelta(0), per_page=20, prefetch=8, include_external_accounts=True
    )
    fake.churn = churn
    try:
        seen = [t async for t in feed]
    finally:
        fake.churn = None
    return seen, {rid for _, _, rid in fake.stats.changes[first_change:]}, feed.cursor


def _busy(seed: int) -> Churn:
    return Churn(seed=seed, creates=0.3, updates=0.6, resources=("transactions",))


async def changes_under_churn(
    fake: FakeQonto, qonto: QontoClient, *, since: dt.datetime, seed: int
) -> Feed:
    """``changes(since)``, then ``changes(cursor)`` twice, no overlap to hide behind: each
    run yields a transaction at most once; whatever changed after ``since`` comes out in the
    first run or the second; whatever changed after the first run's cursor was taken (during
    it, or between the runs) comes out in the second, in its latest state or an earlier one;
    what changed during the second, in the second or the third."""
    before = {rid for _, _, rid in fake.stats.changes}  # changed since ``since``, by churn
    # Run 1 starts in a second of its own: its cursor then excludes what the listings changed.
    await asyncio.sleep(1.02 - time.time() % 1)
    floor = dt.datetime.fromtimestamp(int(time.time()), dt.UTC)
    run1, during1, cursor = await _feed_run(fake, qonto, since, _busy(seed))
    # Between the runs: settle and decline pending authorisations, book two incomes.
    pending = [t.id for t in await qonto.transactions.list(status="pending").all()]
    between = set(pending[:5])
    for n, rid in enumerate(pending[:5]):
        fake.update("transactions", rid, status="declined" if n < 2 else "completed")
    between |= {fake.create("transactions", status="completed", operation_type="income")}
    between |= {fake.create("transactions", status="completed", operation_type="income")}
    run2, during2, cursor = await _feed_run(fake, qonto, cursor, _busy(seed + 1))
    run3, _, _ = await _feed_run(fake, qonto, cursor, None)
    problems: list[str] = []
    for n, run in enumerate((run1, run2, run3), 1):
        twice = sorted(rid for rid, k in collections.Counter(t.id for t in run).items() if k > 1)
        if twice:
            problems.append(f"run {n} yielded twice: {twice[:5]}")
    ids1, ids2, ids3 = ({t.id for t in run} for run in (run1, run2, run3))
    for what, expected, got in (
        ("changed after since", before, ids1 | ids2),
        ("changed during run 1", during1, ids2),
        ("changed between the runs", between, ids2),
        ("changed during run 2", during2, ids2 | ids3),
    ):
        if expected - got:
            problems.append(f"{what}, never yielded: {sorted(expected - got)[:5]}")
    if ids1 - before - during1:
        problems.append(f"run 1 yielded what did not change: {sorted(ids1 - before - during1)[:5]}")
    older = sorted(rid for rid in ids2 if _final(fake, rid)[0] < floor)
    if older:
        problems.append(f"run 2 yielded what had not changed since run 1: {older[:5]}")
    newer = _later_than_final(fake, {t.id: t for t in run2}, during2)
    if newer:
        problems.append(f"run 2 yielded a state newer than the last: {newer[:5]}")
    return Feed(
        seen=(len(ids1), len(ids2), len(ids3)),
        changed=(len(during1), len(between), len(during2)),
        problems=tuple(problems),
    )


@dataclasses.dataclass(frozen=True)
class Seed:
    runs: tuple[Run, ...]
    feed: Feed
    cpu: float  # seconds of this process's CPU the seed took


async def soak_seed(seed: int, size: int, *, per_page: int = 100) -> Seed:
    """One fake of ``size`` transactions on three accounts, warmed once, listed at prefetch
    1 and then 8, churn on (a different draw for each); then ``changes()`` since before the
    listings, three runs."""
    cpu = time.process_time()
    # Per request: about one change in three, settlements and declines among them: for
    # 50,000 transactions some 170 changes per listing of ~530 requests.
    creates, updates = (0.1, 0.22) if size >= 10_000 else (0.3, 0.6)
    runs: list[Run] = []
    async with FakeQonto(seed=seed, transactions=size, bank_accounts=3, rate_limit=None) as fake:
        fake.warm("transactions")
        since = dt.datetime.now(dt.UTC)
        async with connect(fake) as qonto:
            for prefetch in (1, 8):
                churn = Churn(
                    seed=seed * 10 + prefetch,
                    creates=creates,
                    updates=updates,
                    resources=("transactions",),
                )
                run = list_under_churn(
                    fake, qonto, churn=churn, prefetch=prefetch, per_page=per_page
                )
                runs.append(await asyncio.wait_for(run, SEED_TIMEOUT))
            feed = changes_under_churn(fake, qonto, since=since, seed=seed * 10 + 3)
            fed = await asyncio.wait_for(feed, SEED_TIMEOUT)
    return Seed(tuple(runs), fed, time.process_time() - cpu)


def assert_sound(seed: int, result: Seed, *, changes: int) -> None:
    assert [r.prefetch for r in result.runs] == [1, 8]
    for run in result.runs:
        where = f"seed {seed}, prefetch {run.prefetch}"
        assert run.problems == (), where
        assert run.yielded >= run.existed, where
        # The churn really ran: hundreds of changes at 50,000, settlements and declines of
        # pending authorisations among them, and new transactions.
        assert run.created + run.updated >= changes, where
        assert min(run.created, run.settled, run.declined) > 0, (where, run)
    feed = result.feed
    assert feed.problems == (), f"seed {seed}, changes()"
    assert min(*feed.changed, *feed.seen[:2]) > 0, (seed, feed)


# -- the main run: the same listing, smaller ---------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
async def test_three_thousand_transactions_listed_and_fed_once_under_churn(seed: int) -> None:
    assert_sound(seed, await soak_seed(seed, 3_000, per_page=25), changes=100)


# -- the soak: 50,000 transactions, 20 seeds ---------------------------------------------------


@pytest.mark.soak
@pytest.mark.parametrize("seed", SOAK_SEEDS)
async def test_fifty_thousand_transactions_listed_and_fed_once_under_churn(seed: int) -> None:
    result = await soak_seed(seed, SOAK_SIZE)
    print(f"seed {seed}: {result.cpu:.1f} s CPU, " + ", ".join(
        f"prefetch {r.prefetch} {r.seconds:.1f} s ({r.created}+{r.updated} changes)"
        for r in result.runs
    ) + f", changes() saw {result.feed.seen} after {result.feed.changed} changes")  # fmt: skip
    assert_sound(seed, result, changes=120)
