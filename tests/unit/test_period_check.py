"""``transactions.check_period()`` against mocked answers: the transactions around the
period are found however many share their instant, and an account whose every transaction
of the period is missing is caught."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from aioresponses import aioresponses as AioResponses
from bank_model import T0, Bank, chained

from qonto_async import QontoClient

START, END = T0 + dt.timedelta(seconds=100), T0 + dt.timedelta(seconds=110)


def signed(record: dict[str, Any]) -> Decimal:
    amount = Decimal(record["amount"])
    return -amount if record["side"] == "debit" else amount


@pytest.mark.parametrize("tied", [2, 9, 10, 11, 25])
@pytest.mark.parametrize("seed", range(4))
async def test_many_transactions_settled_at_the_instants_around_the_period(
    qonto: QontoClient, http_mock: AioResponses, tied: int, seed: int
) -> None:
    # A day's card payments settled at one instant, just before and just after the period,
    # served in any order among themselves: the edges are the chain's ends, no false gap.
    settled = [10, 11, *[20] * tied, *range(100, 111), *[200] * tied, 300]
    model = Bank({"A": chained("A", settled, seed=seed)}, seed=seed)
    model.mount(http_mock)
    check = await qonto.transactions.check_period(
        bank_account_id="A", settled_at_from=START, settled_at_to=END
    )
    assert check.complete, [str(gap) for gap in check.gaps]
    assert len(check.transactions) == 11


async def test_an_account_whose_whole_period_is_missing_is_caught(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    a = chained("A", [10, *range(100, 111), 300], seed=1)
    b = chained("B", [10, 105, 106, 300], seed=2)
    model = Bank({"A": a, "B": [b[0], b[3]]})  # B's two in the period left out
    model.mount(http_mock)
    check = await qonto.transactions.check_period(settled_at_from=START, settled_at_to=END)
    assert not check.complete
    (gap,) = check.gaps
    assert gap.bank_account_id == "B"
    assert gap.before is not None
    assert (gap.before.id, gap.after.id) == (b[0]["id"], b[3]["id"])
    assert gap.missing_amount == signed(b[1]) + signed(b[2])
    whole = Bank({"A": a, "B": b})
    http_mock.clear()
    whole.mount(http_mock)
    assert (
        await qonto.transactions.check_period(settled_at_from=START, settled_at_to=END)
    ).complete
