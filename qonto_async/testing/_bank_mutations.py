"""Changing the fake's transactions while it serves, as Qonto's own life changes them: card
authorisations settle or are declined, transfers settle, receipts are attached or removed,
labels and notes change. Churn draws its changes here too.

Every change moves the transaction's ``updated_at`` to the fake's clock, never backwards:
to ``max(now, the last change's updated_at, its own updated_at + 1 ms)``, so a transaction's
``updated_at`` strictly grows with each change and changes are stamped in order. A
settlement is appended at the tail of its account's balance chain: ``settled_at`` is
``max(now, the tail's settled_at + 1 ms)`` and ``settled_balance`` the tail's plus the
signed amount, so continuity holds whatever the clock says. Qonto never deletes a
transaction, and neither does the fake (``deletes`` in a :class:`Churn` means nothing for
``transactions``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from ._bank_data import BankData
from ._datagen import pdf, uuid4
from ._transactions_data import COMPLETED, DECLINED, NULL, OP_INDEX, OPS, PENDING, STATUSES
from ._transactions_data import TransactionColumns as _Columns

__all__ = ["BankMutations"]

Change = tuple[str, str, str]
_FIELDS = frozenset(
    ("bank_account_id", "status", "operation_type", "side", "amount_cents", "note", "label_ids")
)


class BankMutations:
    def __init__(
        self,
        bank: BankData,
        attachments: dict[str, tuple[str, int]],
        log: Callable[[Change], None],
    ) -> None:
        self._bank = bank
        self._cols: _Columns = bank.transactions
        self._attachments = attachments  # the dataset's attachment id -> (table, index)
        self._log = log
        self._last = 0
        self._pending = [i for i, s in enumerate(self._cols.status) if s == PENDING]

    def index_of(self, transaction_id: str) -> int:
        i = self._cols.index.get(transaction_id)
        if i is None:
            raise KeyError(f"no transaction {transaction_id!r}")
        return i

    # -- the one way data changes ------------------------------------------------------------

    def _change(
        self, i: int, now_ms: int, apply: Callable[[], None], action: str = "updated"
    ) -> None:
        cols, index = self._cols, self._bank.index
        index.remove(i)
        apply()
        stamp = max(now_ms, self._last, cols.updated[i] + 1)
        if cols.settled[i] != NULL:
            stamp = max(stamp, cols.settled[i])
        cols.updated[i] = self._last = stamp
        index.insert(i)
        self._bank.cache.pop(i, None)
        self._log((action, "transactions", cols.ids[i]))

    def _settle(self, i: int, now_ms: int) -> None:
        cols, a = self._cols, self._cols.account[i]
        tail = cols.tail[a]
        settled = max(now_ms, cols.emitted[i])
        if tail is not None:
            settled = max(settled, tail[0] + 1)
        signed = cols.signed(i)
        cols.pending_sum[a] -= signed
        cols.booked[a] += signed
        cols.status[i], cols.settled[i], cols.balance[i] = COMPLETED, settled, cols.booked[a]
        cols.tail[a] = (settled, cols.ids[i])
        self._touch_account(a, settled)

    def _decline(self, i: int, now_ms: int) -> None:
        a = self._cols.account[i]
        self._cols.pending_sum[a] -= self._cols.signed(i)
        self._cols.status[i] = DECLINED
        self._touch_account(a, now_ms)

    def _touch_account(self, a: int, ms: int) -> None:
        updated = self._bank.account_updated
        updated[a] = max(updated[a], ms)

    def _unpend(self, i: int) -> None:
        at = self._pending.index(i)
        self._pending[at] = self._pending[-1]
        self._pending.pop()

    # -- operations ------------------------------------------------------------------------

    def create(self, rng: random.Random, now_ms: int, fields: dict[str, Any]) -> str:
        """A new transaction emitted now: a pending card authorisation of the main account
        unless ``fields`` say otherwise (``bank_account_id``, ``status``, ``operation_type``,
        ``side``, ``amount_cents``, ``note``, ``label_ids``)."""
        unknown = set(fields) - _FIELDS
        if unknown:
            raise ValueError(
                f"a transaction is created with {sorted(_FIELDS)}, not {sorted(unknown)}"
            )
        bank = self._bank
        account = bank.account_index[fields.get("bank_account_id") or bank.accounts[0]["id"]]
        op = OP_INDEX.get(fields.get("operation_type", "card"))
        if op is None:
            raise ValueError(f"unknown operation_type {fields['operation_type']!r}")
        spec = OPS[op]
        side = fields.get("side") or ("credit" if spec.credit == 100 else "debit")
        amount = fields.get("amount_cents") or spec.lo + int(rng.random() * (spec.hi - spec.lo))
        status = fields.get("status", "pending")
        if side not in ("credit", "debit") or status not in STATUSES or amount <= 0:
            raise ValueError("side, status or amount_cents is not one Qonto has")
        extra: dict[str, Any] = {k: fields[k] for k in ("note", "label_ids") if k in fields}
        self._check(extra)
        cols = self._cols
        now_ms = max(now_ms, self._last)
        i = cols.append(
            rng, account=account, op=op, debit=side == "debit", amount=amount, now=now_ms
        )
        if status == "completed":
            self._settle(i, now_ms)
        elif status == "declined":
            self._decline(i, now_ms)
        else:
            self._pending.append(i)
            self._touch_account(account, now_ms)
        cols.updated[i] = self._last = max(now_ms, cols.settled[i] if status == "completed" else 0)
        self._set(i, extra)
        self._bank.index.insert(i)
        self._log(("created", "transactions", cols.ids[i]))
        return self._cols.ids[i]

    def update(self, i: int, now_ms: int, fields: dict[str, Any]) -> None:
        """``status`` (``completed`` or ``declined``, from ``pending`` only), ``note``,
        ``label_ids``, ``attachment_lost``, ``attachment_required``."""
        allowed = {"status", "note", "label_ids", "attachment_lost", "attachment_required"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"a transaction's {sorted(unknown)} cannot change")
        status = fields.get("status")
        current = self._cols.status[i]
        if (
            status is not None
            and status != STATUSES[current]
            and (current != PENDING or status not in ("completed", "declined"))
        ):
            raise ValueError("only a pending transaction changes status: to completed or declined")
        cols = self._cols
        self._check(fields)

        def apply() -> None:
            if status == "completed" and cols.status[i] == PENDING:
                self._unpend(i)
                self._settle(i, now_ms)
            elif status == "declined" and cols.status[i] == PENDING:
                self._unpend(i)
                self._decline(i, now_ms)
            self._set(i, {k: v for k, v in fields.items() if k != "status"})

        self._change(i, now_ms, apply)

    def _check(self, fields: dict[str, Any]) -> None:
        labels = fields.get("label_ids") or ()
        unknown = [x for x in labels if x not in self._bank.label_index]
        if unknown:
            raise ValueError(f"unknown labels {unknown}")

    def _set(self, i: int, fields: dict[str, Any]) -> None:
        fields = dict(fields)
        if "label_ids" in fields:
            self._cols.label_ids[i] = tuple(fields.pop("label_ids") or ())
        if fields:
            self._cols.overrides.setdefault(i, {}).update(fields)

    def add_attachment(
        self, i: int, now_ms: int, attachment_id: str, file: tuple[str, str, bytes]
    ) -> None:
        """A receipt whose processing finished: it joins ``attachment_ids`` and
        ``GET /v2/attachments/{id}`` answers for it."""
        name, content_type, content = file
        self._bank.files[attachment_id] = (name, content_type, content, max(now_ms, self._last))
        self._attachments[attachment_id] = ("transactions", i)
        cols = self._cols
        self._change(
            i,
            now_ms,
            lambda: cols.attachment_ids.__setitem__(i, (*cols.attachment_ids[i], attachment_id)),
        )

    def remove_attachments(self, i: int, now_ms: int, attachment_id: str | None = None) -> bool:
        """Remove one receipt (or all): False when there was nothing to remove."""
        cols = self._cols
        current = cols.attachment_ids[i]
        gone = current if attachment_id is None else tuple(a for a in current if a == attachment_id)
        if not gone:
            return False
        for aid in gone:
            self._attachments.pop(aid, None)
            self._bank.files.pop(aid, None)
        kept = tuple(a for a in current if a not in gone)
        self._change(i, now_ms, lambda: cols.attachment_ids.__setitem__(i, kept))
        return True

    def hide(self, i: int, hidden: bool) -> None:
        """Leave transaction ``i`` out of (or back in) every list answer; not a change."""
        bank = self._bank
        if hidden and i not in bank.hidden:
            bank.index.remove(i)
            bank.hidden.add(i)
        elif not hidden and i in bank.hidden:
            bank.hidden.discard(i)
            bank.index.insert(i)

    # -- churn -----------------------------------------------------------------------------

    def churn(self, action: str, rng: random.Random, now_ms: int) -> None:
        """One change drawn by churn: ``created`` is a new pending card authorisation (or,
        one time in four, a completed income or transfer); ``updated`` settles or declines a
        pending transaction, or adds a receipt, changes labels or the note of any."""
        bank, cols = self._bank, self._cols
        internal = [a for a, acc in enumerate(bank.accounts) if not acc["is_external_account"]]
        if action == "created":
            account_id = bank.accounts[internal[int(rng.random() * len(internal))]]["id"]
            fields: dict[str, Any] = {"bank_account_id": account_id}
            if rng.random() < 0.25:
                fields.update(status="completed", operation_type=rng.choice(("income", "transfer")))
            self.create(rng, now_ms, fields)
            return
        if action != "updated" or not len(cols):
            return  # transactions are never deleted
        u = rng.random()
        if self._pending and u < 0.45:
            i = self._pending[int(rng.random() * len(self._pending))]
            self.update(i, now_ms, {"status": "declined" if u < 0.1 else "completed"})
            return
        i = int(rng.random() * len(cols))
        if u < 0.65:
            n = len(cols.attachment_ids[i]) + 1
            name = f"receipt-{i + 1:06d}-{n}.pdf"
            aid = uuid4(rng)
            self.add_attachment(i, now_ms, aid, (name, "application/pdf", pdf(name, aid)))
        elif u < 0.8 and bank.label_index:
            children = [x["id"] for x in bank.labels if x["parent_id"] is not None]
            chosen = () if rng.random() < 0.2 else (children[int(rng.random() * len(children))],)
            self.update(i, now_ms, {"label_ids": chosen})
        else:
            self.update(i, now_ms, {"note": f"Churned note {rng.randrange(10_000)}"})
