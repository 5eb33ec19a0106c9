"""The period check: balances that follow prove nothing is missing; a gap is reported with
the two transactions around it and the amount missing."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest

from qonto_async import Transaction, check_balance_continuity
from qonto_async.models.transaction import decode_transaction

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
REQUIRED = {
    "transaction_id": "ref",
    "local_amount": 0,
    "currency": "EUR",
    "local_currency": "EUR",
    "operation_type": "transfer",
    "label": "Counterparty",
    "subject_type": "transfer",
    "emitted_at": START.isoformat(),
    "updated_at": START.isoformat(),
}


def chain(
    amounts: list[int], *, account: str = "acc-1", opening: int = 100_000, same_instant: int = 1
) -> list[Transaction]:
    """Completed transactions of ``amounts`` cents (signed), in settlement order, with their
    balances; ``same_instant`` of them share each settled_at."""
    out = []
    balance = opening
    for n, cents in enumerate(amounts):
        balance += cents
        at = (START + dt.timedelta(hours=n // same_instant)).isoformat()
        record: dict[str, Any] = {
            "id": f"{account}-{n:03d}",
            "amount": f"{abs(cents) / 100:.2f}",
            "amount_cents": abs(cents),
            "side": "credit" if cents >= 0 else "debit",
            "status": "completed",
            "settled_at": at,
            "settled_balance": f"{balance / 100:.2f}",
            "settled_balance_cents": balance,
            "bank_account_id": account,
            **REQUIRED,
            "emitted_at": at,
            "updated_at": at,
        }
        out.append(decode_transaction(json.dumps({"transaction": record}).encode()))
    return out


def test_a_complete_period_passes_in_any_order() -> None:
    transactions = chain([-1250, 5000, -99, -1, 300_00, -42_17])
    shuffled = transactions[:]
    random.Random(1).shuffle(shuffled)
    check = check_balance_continuity(shuffled)
    assert check.complete
    assert check.gaps == []
    assert [t.id for t in check.transactions] == [t.id for t in transactions]
    assert check.opening == {"acc-1": Decimal("1000.00")}
    assert check.closing == {"acc-1": transactions[-1].settled_balance}


@pytest.mark.parametrize("missing", [1, 3, 4])
def test_a_transaction_removed_is_found_between_its_neighbours(missing: int) -> None:
    transactions = chain([-1250, 5000, -99, -1, 300_00, -42_17])
    kept = transactions[:missing] + transactions[missing + 1 :]
    check = check_balance_continuity(kept)
    assert not check.complete
    (gap,) = check.gaps
    assert gap.before is transactions[missing - 1]
    assert gap.after is transactions[missing + 1]
    assert gap.missing_amount == transactions[missing].signed_amount
    assert gap.bank_account_id == "acc-1"
    assert transactions[missing + 1].id in str(gap)


def test_the_periods_first_and_last_are_proven_by_the_transactions_around_it() -> None:
    everything = chain([-10, -20, -30, -40, -50])
    before, period, after = everything[0], everything[1:4], everything[4]
    anchors = {"before": {"acc-1": before}, "after": {"acc-1": after}}
    assert check_balance_continuity(period, **anchors).complete
    first_missing = check_balance_continuity(period[1:], **anchors)
    assert [(g.before, g.after) for g in first_missing.gaps] == [(before, period[1])]
    last_missing = check_balance_continuity(period[:-1], **anchors)
    assert [(g.before, g.after) for g in last_missing.gaps] == [(period[1], after)]
    assert last_missing.gaps[0].missing_amount == Decimal("-0.40")


def test_ties_at_one_instant_are_ordered_by_the_chain() -> None:
    transactions = chain([-5, 7, -11, 13, -17, 19, -23, 29], same_instant=4)
    shuffled = transactions[::-1]
    assert check_balance_continuity(shuffled).complete
    without = [t for t in shuffled if t.id != transactions[5].id]
    (gap,) = check_balance_continuity(without).gaps
    assert gap.missing_amount == Decimal("0.19")


def test_accounts_are_checked_apart_and_non_completed_ones_are_ignored() -> None:
    a = chain([-100, 200, -300], account="acc-a")
    b = chain([50, -60], account="acc-b", opening=0)
    pending = decode_transaction(
        json.dumps(
            {
                "transaction": {
                    **REQUIRED,
                    "id": "p",
                    "status": "pending",
                    "amount": 9,
                    "side": "debit",
                }
            }
        ).encode()
    )
    check = check_balance_continuity([*b, pending, *a])
    assert check.complete
    assert {t.bank_account_id for t in check.transactions} == {"acc-a", "acc-b"}
    assert check_balance_continuity([a[0], a[2], *b]).gaps[0].bank_account_id == "acc-a"


def test_a_completed_transaction_without_a_balance_cannot_be_proven() -> None:
    unbalanced = decode_transaction(
        json.dumps(
            {
                "transaction": {
                    **REQUIRED,
                    "id": "u",
                    "status": "completed",
                    "amount": 9,
                    "side": "debit",
                    "settled_at": START.isoformat(),
                }
            }
        ).encode()
    )
    check = check_balance_continuity([*chain([-1, -2]), unbalanced])
    assert check.gaps == []
    assert check.unchecked == [unbalanced]
    assert not check.complete
