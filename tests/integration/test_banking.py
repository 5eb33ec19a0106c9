"""The bank side against FakeQonto over real HTTP: every endpoint, the all-accounts listing,
the period check, attachments and the change feed."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import gc
import random
from collections.abc import AsyncIterator

import pytest

from qonto_async import NotFoundError, QontoClient, QontoError, Transaction
from qonto_async.testing import Churn, FakeOptions, FakeQonto

pytestmark = pytest.mark.asyncio


def connect(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url,
        requests_per_second=None,
    )  # fmt: skip


@pytest.fixture
async def bank() -> AsyncIterator[tuple[FakeQonto, QontoClient]]:
    options = FakeOptions(attachment_delay=0.0)
    fake = FakeQonto(seed=7, transactions=600, rate_limit=None, options=options)
    async with fake, connect(fake) as qonto:
        yield fake, qonto


async def test_organization_and_accounts(bank: tuple[FakeQonto, QontoClient]) -> None:
    fake, qonto = bank
    internal = await qonto.organization.get()
    everything = await qonto.organization.get(include_external_accounts=True)
    assert len(internal.bank_accounts or []) == 2
    assert [a.is_external_account for a in everything.bank_accounts or []] == [
        False,
        False,
        True,
    ]
    accounts = await qonto.bank_accounts.list().all()
    assert [a.id for a in accounts] == fake.ids("bank_accounts")
    assert accounts[0].id is not None
    main = await qonto.bank_accounts.get(accounts[0].id)
    assert main.balance is not None
    assert main.balance_cents == int(main.balance * 100)
    with pytest.raises(NotFoundError) as caught:
        await qonto.bank_accounts.get("missing")
    assert caught.value.resource_id == "missing"


async def test_every_transaction_of_every_account_once(
    bank: tuple[FakeQonto, QontoClient],
) -> None:
    fake, qonto = bank
    everything = await qonto.transactions.list(include_external_accounts=True).all()
    ids = [t.id for t in everything]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(fake.ids("transactions"))
    statuses = collections.Counter(t.status for t in everything)
    assert set(statuses) == {"pending", "declined", "completed"}  # nothing hidden by default
    internal = await qonto.transactions.list().all()
    assert {t.bank_account_id for t in internal} == set(fake.ids("bank_accounts")[:2])
    assert {t.operation_type for t in everything} >= {
        "card", "transfer", "income", "direct_debit", "cheque", "swift_income",
    }  # fmt: skip
    for transaction in everything:
        sign = -1 if transaction.side == "debit" else 1
        assert transaction.signed_amount == sign * transaction.amount
        assert transaction.signed_amount_cents == sign * transaction.amount_cents


async def test_filters_are_applied_as_the_fake_counts_them(
    bank: tuple[FakeQonto, QontoClient],
) -> None:
    fake, qonto = bank
    account = fake.ids("bank_accounts")[0]
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    completed = await qonto.transactions.list(
        bank_account_id=account, status="completed", side="credit", settled_at_from=since
    ).all()
    expected = fake.count(
        "transactions",
        bank_account_id=account,
        **{"status[]": "completed"},
        side="credit",
        settled_at_from="2000-01-01T00:00:00Z",
    )
    assert len(completed) == expected > 0
    assert all(t.side == "credit" and t.status == "completed" for t in completed)
    cards = await qonto.transactions.list(
        bank_account_id=account, operation_type=["card"], status=["pending", "declined"]
    ).all()
    assert cards
    assert all(t.operation_type == "card" and t.status != "completed" for t in cards)
    newest = await qonto.transactions.list(
        bank_account_id=account, status="completed", sort_by="settled_at:desc", per_page=25
    ).all()
    stamps = [t.settled_at for t in newest]
    assert stamps == sorted(stamps, reverse=True)  # type: ignore[type-var]
    iban = (await qonto.bank_accounts.get(account)).iban
    assert iban is not None
    by_iban = await qonto.transactions.list(iban=iban).all()
    assert {t.id for t in by_iban} == {
        t.id for t in await qonto.transactions.list(bank_account_id=account).all()
    }


async def test_get_includes_get_many_and_missing_ids(
    bank: tuple[FakeQonto, QontoClient],
) -> None:
    fake, qonto = bank
    ids = fake.ids("transactions")[:30]
    plain = await qonto.transactions.get(ids[0])
    assert plain.labels is None
    assert plain.attachments is None
    full = await qonto.transactions.get(ids[0], includes=["labels", "attachments", "vat_details"])
    assert full.labels is not None
    assert full.attachments is not None
    assert [t.id for t in await qonto.transactions.get_many(ids)] == ids
    assert [t.id async for t in qonto.transactions.iter_many(ids)] == ids
    with pytest.raises(NotFoundError) as caught:
        await qonto.transactions.get("no-such-transaction")
    assert caught.value.resource_id == "no-such-transaction"


async def test_labels_memberships_and_statements(bank: tuple[FakeQonto, QontoClient]) -> None:
    fake, qonto = bank
    labels = await qonto.labels.list(per_page=5).all()
    assert [label.id for label in labels] == fake.ids("labels")
    by_id = {label.id: label for label in labels}
    assert any(label.parent_id in by_id for label in labels)  # a tree
    assert (await qonto.labels.get(labels[0].id)).name == labels[0].name
    members = await qonto.memberships.list().all()
    assert {m.id for m in members} == set(fake.ids("memberships"))
    statements = await qonto.statements.list(sort_by="period:asc").all()
    assert {s.id for s in statements} == set(fake.ids("statements"))
    periods = [dt.datetime.strptime(s.period or "", "%m-%Y") for s in statements]
    assert periods == sorted(periods)
    one = statements[-1]
    assert one.bank_account_id is not None
    mine = await qonto.statements.list(
        bank_account_ids=one.bank_account_id, period_from=one.period, period_to=one.period
    ).all()
    assert one.id in {s.id for s in mine}
    assert all(s.period == one.period for s in mine)
    assert await qonto.statements.get(one.id) == one
    pdf = await qonto.statements.download(one.id)
    assert pdf.startswith(b"%PDF")


async def test_receipts_attach_in_the_background_and_come_off(
    bank: tuple[FakeQonto, QontoClient],
) -> None:
    fake, qonto = bank
    transaction = (await qonto.transactions.list(with_attachments=False, limit=1).all())[0]
    assert await qonto.transaction_attachments.list(transaction.id).all() == []
    await qonto.transaction_attachments.create(
        transaction.id, b"%PDF-1.4 receipt", filename="receipt.pdf", idempotency_key="r-1"
    )
    await qonto.transaction_attachments.create(  # the same key: the same upload
        transaction.id, b"%PDF-1.4 receipt", filename="receipt.pdf", idempotency_key="r-1"
    )
    for _ in range(100):  # processed in the background: bounded wait
        attached = await qonto.transaction_attachments.list(transaction.id).all()
        if attached:
            break
    assert len(attached) == 1
    assert await qonto.attachments.download(attached[0].id) == b"%PDF-1.4 receipt"
    after = await qonto.transactions.get(transaction.id)
    assert after.attachment_ids == [attached[0].id]
    assert after.updated_at is not None
    assert transaction.updated_at is not None
    assert after.updated_at > transaction.updated_at
    await qonto.transaction_attachments.delete(transaction.id, attached[0].id)
    assert await qonto.transaction_attachments.list(transaction.id).all() == []
    await qonto.transaction_attachments.create(transaction.id, b"\x89PNG", filename="a.png")
    await qonto.transaction_attachments.delete_all(transaction.id)
    for _ in range(100):
        if not fake.attachments_processing:
            break
        await qonto.transactions.get(transaction.id)
    await qonto.transaction_attachments.delete_all(transaction.id)
    assert await qonto.transaction_attachments.list(transaction.id).all() == []
    with pytest.raises(NotFoundError) as caught:
        await qonto.transaction_attachments.list("no-such-transaction").all()
    assert caught.value.resource_id == "no-such-transaction"


async def test_the_period_check_passes_whole_and_finds_a_hidden_transaction(
    bank: tuple[FakeQonto, QontoClient],
) -> None:
    fake, qonto = bank
    completed = await qonto.transactions.list(status="completed").all()
    settled = sorted(t.settled_at for t in completed if t.settled_at is not None)
    start, end = settled[len(settled) // 4], settled[3 * len(settled) // 4]
    whole = await qonto.transactions.check_period(settled_at_from=start, settled_at_to=end)
    assert whole.complete, [str(g) for g in whole.gaps]
    assert len(whole.transactions) == sum(
        1 for t in completed if t.settled_at is not None and start <= t.settled_at <= end
    )
    inside = [t for t in whole.transactions if t.settled_at != start and t.settled_at != end]
    for victim in (inside[0], inside[len(inside) // 2], whole.transactions[-1]):
        fake.hide("transactions", victim.id)
        check = await qonto.transactions.check_period(settled_at_from=start, settled_at_to=end)
        fake.unhide("transactions", victim.id)
        assert not check.complete
        (gap,) = check.gaps
        assert gap.missing_amount == victim.signed_amount
        assert gap.bank_account_id == victim.bank_account_id
        assert victim.id not in {t.id for t in check.transactions}


async def test_exactly_once_while_transactions_settle_and_change() -> None:
    for seed in range(2):
        for prefetch in (1, 8):
            async with (
                FakeQonto(seed=seed, transactions=1_500, rate_limit=None) as fake,
                connect(fake) as qonto,
            ):
                before = set(fake.ids("transactions"))
                fake.churn = Churn(seed=seed, creates=0.3, updates=0.6, resources=("transactions",))
                listed: list[Transaction] = await qonto.transactions.list(
                    include_external_accounts=True, per_page=40, prefetch=prefetch
                ).all()
                fake.churn = None
            ids = [t.id for t in listed]
            assert [i for i, n in collections.Counter(ids).items() if n > 1] == []
            assert before - set(ids) == set()
            assert len(fake.stats.changes) > 20


async def test_changes_feed_sees_what_changed_on_every_account() -> None:
    async with (
        FakeQonto(seed=3, transactions=400, rate_limit=None) as fake,
        connect(fake) as qonto,
    ):
        feed = qonto.transactions.changes(include_external_accounts=True)
        first = {t.id async for t in feed}
        assert first == set(fake.ids("transactions"))
        created = fake.create("transactions", status="completed")
        pending = next(
            t.id for t in await qonto.transactions.list(status="pending").all() if t.id != created
        )
        fake.update("transactions", pending, status="declined")
        again = qonto.transactions.changes(feed.cursor, include_external_accounts=True)
        seen = {t.id: t async for t in again}
        assert {created, pending} <= set(seen)
        assert seen[pending].status == "declined"
        assert len(seen) < len(first)  # a window since the cursor, not everything


@pytest.mark.parametrize("seed", [1])
async def test_closing_the_client_mid_listing_leaves_no_exception_unretrieved(seed: int) -> None:
    loop = asyncio.get_running_loop()
    reported: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(str(context["message"])))
    draws = random.Random(seed)
    try:
        async with FakeQonto(seed=3, transactions=1_500, rate_limit=None, latency=0.002) as fake:
            for _ in range(30):
                qonto = connect(fake)
                task = asyncio.ensure_future(qonto.transactions.list(per_page=20).all())
                await asyncio.sleep(draws.uniform(0.0, 0.1))
                await qonto.aclose()
                with contextlib.suppress(QontoError, asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)
                del task
                gc.collect()
                await asyncio.sleep(0.01)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []
