"""Proving an accounting period complete from the transactions themselves.

Every completed transaction carries ``settled_balance``: the account's balance right after it
settled. So on one account, taken in settlement order, each transaction's balance before it
(``settled_balance - signed_amount``) is the previous transaction's ``settled_balance``. A
transaction missing from an export breaks that chain exactly where it was, by exactly its
signed amount; a period is complete when the chain holds from the transaction before the
period (when there is one) to the transaction after it (when there is one).

Transactions settled at the same instant come in no known order: among them the chain itself
decides (the one whose balance before matches goes next).

What balances cannot see: missing transactions whose amounts sum to zero between two present
ones (a card payment and its refund, both left out) leave the chain whole. And a gap at the
period's first transaction may lie just before the period (between the transaction before it
and the first one in it): the two transactions around it are named either way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from .models.transaction import Transaction

__all__ = ["BalanceGap", "PeriodCheck", "check_balance_continuity"]


@dataclasses.dataclass(frozen=True, slots=True)
class BalanceGap:
    """Where an account's balances do not follow: between ``before`` (the last transaction
    that adds up; None at the start of what was checked) and ``after``. ``after`` started
    from ``found_balance`` where ``expected_balance`` was left, so the transactions missing
    between them sum to ``missing_amount`` (signed: negative for missing debits)."""

    bank_account_id: str
    before: Transaction | None
    after: Transaction
    expected_balance: Decimal
    found_balance: Decimal

    @property
    def missing_amount(self) -> Decimal:
        return self.found_balance - self.expected_balance

    def __str__(self) -> str:
        before = self.before.id if self.before is not None else "the start"
        return (
            f"account {self.bank_account_id}: between {before} and {self.after.id} the "
            f"balance goes from {self.expected_balance} to {self.found_balance} with nothing "
            f"between: transactions for {self.missing_amount} are missing"
        )


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodCheck:
    """The outcome of a completeness check.

    ``transactions``: the completed transactions checked, per account in settlement order.
    ``gaps``: every place the balances do not follow. ``unchecked``: completed transactions
    without a ``settled_balance``, which nothing can be proven about. ``opening``/``closing``:
    each account's balance before its first and after its last transaction checked.
    """

    transactions: Sequence[Transaction]
    gaps: Sequence[BalanceGap]
    unchecked: Sequence[Transaction]
    opening: Mapping[str, Decimal]
    closing: Mapping[str, Decimal]

    @property
    def complete(self) -> bool:
        """Whether every transaction's balance follows from the one before it."""
        return not self.gaps and not self.unchecked


def _opening(transaction: Transaction) -> Decimal:
    assert transaction.settled_balance is not None
    return transaction.settled_balance - transaction.signed_amount


def _settled_at(transaction: Transaction) -> dt.datetime:
    assert transaction.settled_at is not None
    return transaction.settled_at


def _settlement_order(
    transactions: Sequence[Transaction], balance: Decimal | None
) -> list[Transaction]:
    """``transactions`` (one account, sorted by ``settled_at``) with each group settled at
    one instant ordered by the chain: next comes the one starting where the balance stands;
    when none does, the one no other of its group leads to."""
    ordered: list[Transaction] = []
    index = 0
    while index < len(transactions):
        end = index
        while end < len(transactions) and (
            transactions[end].settled_at == transactions[index].settled_at
        ):
            end += 1
        group = list(transactions[index:end])
        while group:
            chosen = next((t for t in group if _opening(t) == balance), None)
            if chosen is None:
                closings = {t.settled_balance for t in group}
                heads = [t for t in group if _opening(t) not in closings]
                chosen = min(heads or group, key=lambda t: t.id)
            group.remove(chosen)
            ordered.append(chosen)
            balance = chosen.settled_balance
        index = end
    return ordered


def check_balance_continuity(
    transactions: Iterable[Transaction],
    *,
    before: Mapping[str, Transaction] | None = None,
    after: Mapping[str, Transaction] | None = None,
    accounts: Iterable[str] = (),
) -> PeriodCheck:
    """Check that ``transactions`` (any order, several accounts) miss nothing: see the
    module docstring. Only ``completed`` ones count. ``before``/``after`` map an account id
    to its last completed transaction before the period and its first after it, when known:
    they prove the period's first and last transactions are not missing either. ``accounts``
    are checked even with no transaction in ``transactions`` (all of theirs may be missing:
    then ``before`` and ``after`` must follow from one another).
    """
    before, after = before or {}, after or {}
    by_account: dict[str, list[Transaction]] = defaultdict(list)
    for account in accounts:
        by_account[account] = []
    unchecked: list[Transaction] = []
    for transaction in transactions:
        if transaction.status != "completed":
            continue
        if transaction.settled_balance is None or transaction.settled_at is None:
            unchecked.append(transaction)
            continue
        by_account[transaction.bank_account_id or ""].append(transaction)
    checked: list[Transaction] = []
    gaps: list[BalanceGap] = []
    opening: dict[str, Decimal] = {}
    closing: dict[str, Decimal] = {}
    for account in sorted(by_account.keys() | before.keys() | after.keys()):
        previous = before.get(account)
        balance = previous.settled_balance if previous is not None else None
        chain = _settlement_order(
            sorted(by_account.get(account, []), key=_settled_at),
            balance,
        )
        following = after.get(account)
        if following is not None and following.settled_balance is not None:
            chain.append(following)
        for position, transaction in enumerate(chain):
            start = _opening(transaction)
            if position == 0:
                opening[account] = balance if balance is not None else start
            if balance is not None and start != balance:
                gaps.append(BalanceGap(account, previous, transaction, balance, start))
            previous, balance = transaction, transaction.settled_balance
        if following is not None and chain and chain[-1] is following:
            chain.pop()
        if chain:
            checked += chain
            last = chain[-1].settled_balance
            assert last is not None
            closing[account] = last
    return PeriodCheck(
        transactions=checked, gaps=gaps, unchecked=unchecked, opening=opening, closing=closing
    )
