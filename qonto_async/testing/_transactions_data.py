"""The fake organisation's bank transactions: columns drawn from the seed, the balance chain
of every account, and each transaction's JSON as ``GET /v2/transactions`` shows it.

Columns hold what filters, sorts and the balance chain read (account, status, side, amounts,
timestamps in epoch milliseconds, labels, attachments); everything else (counterparty,
reference, VAT, nested objects) is drawn per transaction from ``Draws(salt, i)`` when its
JSON is first built, so 50,000 transactions generate in a fraction of a second.

Balance chain: the completed transactions of one account, ordered by ``(settled_at, id)``,
have ``settled_balance_cents`` = the previous one's + the signed ``amount_cents`` (the first
one's previous is the account's opening balance). About 1% of them settle at the very
instant of the one before them: ties on ``settled_at`` exist, broken by ``id`` ascending.
Pending and declined transactions have ``settled_at`` and ``settled_balance`` null.
"""

from __future__ import annotations

import bisect
import itertools
import random
from typing import Any

from ._datagen import DAY, Draws, day_str, salt
from ._transaction_details import NOTES, category, counterparty, logo, nested, uuid

__all__ = [
    "COMPLETED",
    "DECLINED",
    "NULL",
    "OPS",
    "PENDING",
    "STATUSES",
    "TransactionColumns",
    "ts_ms",
]

PENDING, DECLINED, COMPLETED = 0, 1, 2
STATUSES = ("pending", "declined", "completed")
NULL = 1 << 62
"""``settled_at`` of a transaction that has not settled: sorts after every instant."""
DAY_MS = DAY * 1000


class Op:
    """One operation type: its ``subject_type`` and nested object (REST spelling), the share
    of credits in percent, the amount range in cents and the generation weight."""

    __slots__ = ("credit", "hi", "lo", "name", "nested", "subject", "weight")

    def __init__(
        self, name: str, subject: str, nested: str | None, credit: int, lo: int, hi: int, w: int
    ) -> None:
        self.name, self.subject, self.nested = name, subject, nested
        self.credit, self.lo, self.hi, self.weight = credit, lo, hi, w


# Operation types seen in Qonto's docs and clients (reference §2.4). ``recall``,
# ``financing_installment``, ``pagopa_payment`` and ``direct_debit_hold`` as operation types
# are inferred from the nested objects' names (UNCONFIRMED): they are rare here, and exercise
# a client's openness to values it does not know. ``subject_type`` is lowercase as in the
# REST examples; webhooks capitalise it.
OPS = (
    Op("card", "card", None, 3, 200, 30_000, 40),
    Op("transfer", "transfer", "transfer", 10, 5_000, 500_000, 15),
    Op("income", "income", "income", 100, 10_000, 1_000_000, 15),
    Op("direct_debit", "direct_debit", "direct_debit", 0, 1_000, 80_000, 8),
    Op("qonto_fee", "qonto_fee", None, 0, 500, 5_000, 5),
    Op("cheque", "check", "check", 100, 5_000, 300_000, 3),
    Op("swift_income", "swift_income", "swift_income", 100, 50_000, 2_000_000, 3),
    Op(
        "direct_debit_collection",
        "direct_debit_collection",
        "direct_debit_collection",
        100,
        5_000,
        200_000,
        3,
    ),
    Op("recall", "transfer", "transfer", 100, 5_000, 200_000, 1),
    Op(
        "financing_installment",
        "financing_installment",
        "financing_installment",
        0,
        10_000,
        100_000,
        1,
    ),
    Op("pagopa_payment", "pagopa_payment", "pagopa_payment", 0, 2_000, 50_000, 1),
    Op("direct_debit_hold", "direct_debit_hold", "direct_debit_hold", 0, 1_000, 30_000, 1),
)
OP_INDEX = {op.name: n for n, op in enumerate(OPS)}
_CUMULATIVE = list(itertools.accumulate(op.weight for op in OPS))
# Connected external accounts only show booked card, transfer, income and direct debit lines.
_EXTERNAL_CUMULATIVE = list(
    itertools.accumulate(op.weight if n < 4 else 0 for n, op in enumerate(OPS))
)


def ts_ms(ms: int) -> str:
    """``2021-03-03T16:06:38.000Z``: Qonto's transaction timestamps (UTC, milliseconds)."""
    day, rem = divmod(ms, DAY_MS)
    seconds, millis = divmod(rem, 1000)
    return (
        f"{day_str(day)}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        f".{millis:03d}Z"
    )


class TransactionColumns:
    """Every transaction of every account, column by column (index ``i`` is creation order).

    ``settled`` is :data:`NULL` and ``balance`` None until a transaction completes.
    Per account: ``opening`` (balance before its first transaction), ``booked`` (the balance:
    the chain's last ``settled_balance_cents``), ``pending_sum`` (signed cents of its pending
    transactions) and ``tail`` (``(settled_at, id)`` of the chain's last transaction).
    """

    def __init__(
        self,
        seed: int,
        n: int,
        *,
        start_ms: int,
        now_ms: int,
        external: list[bool],
        labels: list[str],
    ) -> None:
        self.salt = salt(seed, "transaction")
        self.ids: list[str] = []
        self.account: list[int] = []
        self.status: list[int] = []
        self.debit: list[bool] = []
        self.amount: list[int] = []
        self.op: list[int] = []
        self.emitted: list[int] = []
        self.settled: list[int] = []
        self.updated: list[int] = []
        self.balance: list[int | None] = []
        self.label_ids: list[tuple[str, ...]] = []
        self.attachment_ids: list[tuple[str, ...]] = []
        self.overrides: dict[int, dict[str, Any]] = {}
        self.external = external
        self._labels = labels
        k = len(external)
        self.opening = [0] * k
        self.booked = [0] * k
        self.pending_sum = [0] * k
        self.tail: list[tuple[int, str] | None] = [None] * k
        self._generate(random.Random(f"{seed}:transactions"), n, start_ms, now_ms)
        self.index = {tid: i for i, tid in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def signed(self, i: int) -> int:
        return -self.amount[i] if self.debit[i] else self.amount[i]

    # -- generation ------------------------------------------------------------------------

    def _generate(self, rng: random.Random, n: int, start: int, now: int) -> None:
        k = len(self.external)
        # the main account gets three shares, other internal accounts two, external ones one
        weights = list(
            itertools.accumulate(
                1 if ext else (3 if a == 0 else 2) for a, ext in enumerate(self.external)
            )
        )
        span = now - start
        rand, labels = rng.random, self._labels
        for i in range(n):
            a = bisect.bisect_right(weights, rand() * weights[-1]) if k > 1 else 0
            ext = self.external[a]
            cumulative = _EXTERNAL_CUMULATIVE if ext else _CUMULATIVE
            if i < len(OPS) and not ext:
                op = i  # every operation type at least once
            else:
                op = bisect.bisect_right(cumulative, rand() * cumulative[-1])
            spec = OPS[op]
            debit = rand() * 100 >= spec.credit
            amount = spec.lo + int(rand() * (spec.hi - spec.lo))
            u = rand()
            status = COMPLETED
            if not ext:
                if i == len(OPS) or (op in (0, 1, 11) and u < 0.06):
                    status = PENDING  # card authorisations, transfers in flight, holds
                elif i == len(OPS) + 1 or (op in (0, 1, 3) and u > 0.96):
                    status = DECLINED
            if status == PENDING:
                emitted = now - 1000 - int(rand() * 10 * DAY_MS)
            else:
                emitted = start + int(rand() * span)
            settled = NULL
            if status == COMPLETED:
                delay = 0
                if op == 0:
                    delay = int((1 + 2 * rand()) * DAY_MS)
                elif op == 5:
                    delay = int((2 + 5 * rand()) * DAY_MS)
                elif op in (1, 3, 9, 10):
                    delay = int(rand() * DAY_MS)
                settled = min(emitted + delay, now - 1000)
                updated = settled + int(rand() * 60_000)
                if rand() < 0.3:  # edited later: a receipt, a note, a label
                    updated += int(rand() * (now - updated))
                updated = min(updated, now)
            else:
                updated = min(emitted + int(rand() * 60_000), now)
            r = rand()
            chosen: tuple[str, ...] = ()
            if labels and r < 0.3:
                first = labels[int(rand() * len(labels))]
                second = labels[int(rand() * len(labels))]
                chosen = (first,) if r < 0.25 or second == first else (first, second)
            r = rand()
            files = 0
            if status != DECLINED and (r < (0.45 if debit else 0.1)):
                files = 2 if r < 0.03 else 1
            self.ids.append(uuid(rng))
            self.account.append(a)
            self.status.append(status)
            self.debit.append(debit)
            self.amount.append(amount)
            self.op.append(op)
            self.emitted.append(emitted)
            self.settled.append(settled)
            self.updated.append(updated)
            self.balance.append(None)
            self.label_ids.append(chosen)
            self.attachment_ids.append(tuple(uuid(rng) for _ in range(files)))
        self._chain(rng, now)

    def _chain(self, rng: random.Random, now: int) -> None:
        """Settled balances: per account, in ``(settled_at, id)`` order, from an opening
        balance large enough that the account never goes below zero."""
        per_account: list[list[int]] = [[] for _ in self.external]
        for i, status in enumerate(self.status):
            if status == COMPLETED:
                per_account[self.account[i]].append(i)
            elif status == PENDING:
                self.pending_sum[self.account[i]] += self.signed(i)
        settled, ids, emitted = self.settled, self.ids, self.emitted
        for a, chain in enumerate(per_account):
            chain.sort(key=lambda i: (settled[i], ids[i]))
            for j in range(1, len(chain)):  # ties: settled at the same instant as the previous
                i, before = chain[j], chain[j - 1]
                if rng.random() < 0.01 and emitted[i] <= settled[before] < settled[i]:
                    settled[i] = settled[before]
                    self.updated[i] = max(self.updated[i], settled[i])
            chain.sort(key=lambda i: (settled[i], ids[i]))
            lowest = running = 0
            for i in chain:
                running += self.signed(i)
                lowest = min(lowest, running)
            # enough that the balance never goes below a cushion of 1,000 to 10,000 EUR
            balance = self.opening[a] = -lowest + 100_000 * (1 + int(rng.random() * 9))
            for i in chain:
                balance += self.signed(i)
                self.balance[i] = balance
            self.booked[a] = balance
            self.tail[a] = (settled[chain[-1]], ids[chain[-1]]) if chain else None

    # -- rows added while the fake runs -----------------------------------------------------

    def append(
        self, rng: random.Random, *, account: int, op: int, debit: bool, amount: int, now: int
    ) -> int:
        """A new pending transaction emitted ``now`` (the caller settles it if it must)."""
        i = len(self.ids)
        tid = uuid(rng)
        self.ids.append(tid)
        self.index[tid] = i
        self.account.append(account)
        self.status.append(PENDING)
        self.debit.append(debit)
        self.amount.append(amount)
        self.op.append(op)
        self.emitted.append(now)
        self.settled.append(NULL)
        self.updated.append(now)
        self.balance.append(None)
        self.label_ids.append(())
        self.attachment_ids.append(())
        self.pending_sum[account] += self.signed(i)
        return i

    # -- JSON ------------------------------------------------------------------------------

    def record(
        self, i: int, account_id: str, org_slug: str, memberships: list[str]
    ) -> dict[str, Any]:
        """The transaction as ``GET /v2/transactions`` shows it, without ``includes[]``."""
        draws = Draws(self.salt, i)
        spec = OPS[self.op[i]]
        status, debit, cents = self.status[i], self.debit[i], self.amount[i]
        ext = self.external[self.account[i]]
        name = counterparty(draws, spec.name, debit)
        local_currency, local_cents = "EUR", cents
        if spec.name == "card" and draws.chance(10):
            local_currency, rate = draws.pick((("USD", 108), ("GBP", 85), ("CHF", 95)))
            local_cents = cents * rate // 100
        vat_rate: float | None = None
        vat_cents: int | None = None
        if debit and spec.name in ("card", "transfer", "direct_debit") and draws.chance(40):
            vat_rate = draws.pick((20.0, 20.0, 10.0, 5.5))
            vat_cents = round(cents * vat_rate / (100 + vat_rate))
        settled = self.settled[i]
        balance = self.balance[i]
        legacy, cashflow = category(draws, spec.name, debit)
        extra = self.overrides.get(i, {})
        note = (
            extra["note"] if "note" in extra else (draws.pick(NOTES) if draws.chance(25) else None)
        )
        record: dict[str, Any] = {
            "id": self.ids[i],
            "transaction_id": f"{org_slug}-transaction-{i + 1}",
            "amount": cents / 100,
            "amount_cents": cents,
            "settled_balance": None if balance is None else balance / 100,
            "settled_balance_cents": balance,
            "attachment_ids": list(self.attachment_ids[i]),
            "local_amount": local_cents / 100,
            "local_amount_cents": local_cents,
            "side": "debit" if debit else "credit",
            "operation_type": spec.name,
            "currency": "EUR",
            "local_currency": local_currency,
            "label": name,
            "clean_counterparty_name": name,
            "settled_at": None if status != COMPLETED else ts_ms(settled),
            "emitted_at": ts_ms(self.emitted[i]),
            "created_at": ts_ms(self.emitted[i]),
            "updated_at": ts_ms(self.updated[i]),
            "status": STATUSES[status],
            "note": note,
            "reference": f"REF-{draws.below(60_000):05d}"
            if spec.nested and spec.name != "check"
            else None,
            "vat_amount": None if vat_cents is None else vat_cents / 100,
            "vat_amount_cents": vat_cents,
            "vat_rate": vat_rate,
            "initiator_id": draws.pick(memberships)
            if memberships and debit and spec.name in ("card", "transfer")
            else None,
            "label_ids": list(self.label_ids[i]),
            "attachment_lost": extra.get("attachment_lost", False),
            "attachment_required": extra.get("attachment_required", debit and not ext),
            "card_last_digits": f"{draws.below(10_000):04d}" if spec.name == "card" else None,
            "category": legacy,
            "cashflow_category": cashflow,
            "cashflow_subcategory": None,
            "subject_type": spec.subject,
            "bank_account_id": account_id,
            "is_external_transaction": ext,
            "logo": logo(name),
        }
        if spec.nested is not None:
            record[spec.nested] = nested(draws, spec.nested)
        return record

    def vat_details(self, record: dict[str, Any]) -> dict[str, Any]:
        """``includes[]=vat_details``: every item field a string, as Qonto's spec types it."""
        cents, rate = record["vat_amount_cents"], record["vat_rate"]
        if cents is None:
            return {"items": []}
        base = record["amount_cents"] - cents
        return {
            "items": [
                {
                    "amount": f"{cents / 100:.2f}",
                    "amount_cents": str(cents),
                    "amount_excluding_vat": f"{base / 100:.2f}",
                    "amount_excluding_vat_cents": str(base),
                    "rate": f"{rate}",
                }
            ]
        }
