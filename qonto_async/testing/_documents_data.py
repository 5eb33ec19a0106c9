"""The fake organisation's quotes and credit notes: the rest of its invoicing flow.

A credit note refers to a finalized invoice and carries its items with negated quantities
(Qonto negates what it is given); a quote belongs to a client and has an expiry date.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

import msgspec

from ._client_invoices_data import ITEM_POOL, ClientInvoiceRecords
from ._clients_data import ClientRecords
from ._datagen import DAY, SPAN, Draws, Table, amount, day_str, salt, ts_offset, uuid4

__all__ = ["QUOTE_STATUSES", "CreditNoteRecords", "QuoteRecords"]

QUOTE_STATUSES = ("pending_approval", "approved", "canceled")


def _timeline(
    seed: int, name: str, start: int, now_epoch: int, n: int
) -> tuple[list[str], list[int], list[int]]:
    rng = random.Random(f"{seed}:{name}")
    ids = [uuid4(rng) for _ in range(n)]
    step = SPAN / max(n, 1)
    created = [start + int((i + rng.random() * 0.9) * step) for i in range(n)]
    updated = [min(c + int(rng.random() * 20 * DAY), now_epoch) for c in created]
    return ids, created, updated


class _DocumentRecords:
    """What quotes and credit notes share: their timeline, and the clients and invoices
    they draw lines and parties from. A subclass names its table."""

    name: ClassVar[str]
    singular: ClassVar[str]

    def __init__(
        self,
        seed: int,
        start: int,
        now_epoch: int,
        n: int,
        *,
        clients: ClientRecords,
        invoices: ClientInvoiceRecords,
    ) -> None:
        self._salt = salt(seed, self.singular)
        self._clients = clients
        self._invoices = invoices
        self._columns(random.Random(f"{seed}:{self.singular}-columns"), n)
        ids, created, updated = _timeline(seed, self.name, start, now_epoch, n)
        self.table = Table(self.name, self.singular, ids, created, updated, self.build)

    def _columns(self, rng: random.Random, n: int) -> None:
        """Columns filters read, beyond the table's own (none by default)."""

    def build(self, i: int) -> dict[str, Any]:
        raise NotImplementedError


class QuoteRecords(_DocumentRecords):
    name = "quotes"
    singular = "quote"

    def _columns(self, rng: random.Random, n: int) -> None:
        clients = self._clients
        self.statuses = [rng.choice(QUOTE_STATUSES) for _ in range(n)]
        self.client_of = (
            [rng.randrange(len(clients.table)) for _ in range(n)] if len(clients.table) else [0] * n
        )

    def append_row(self, rng: random.Random, fields: dict[str, Any]) -> None:
        self.statuses.append(fields.get("status", "pending_approval"))
        self.client_of.append(0)

    def apply(self, i: int, fields: dict[str, Any]) -> None:
        if "status" in fields:
            self.statuses[i] = fields["status"]

    def build(self, i: int) -> dict[str, Any]:
        draws = Draws(self._salt, i)
        created = self.table.created[i]
        items, total, vat = self._invoices.item_lines(draws.below(ITEM_POOL), "EUR")
        issue_day = created // DAY
        return {
            "id": self.table.ids[i],
            "organization_id": self._invoices.organization_id,
            "number": f"QUO-{day_str(issue_day)[:4]}-{i + 1:05d}",
            "status": self.statuses[i],
            "currency": "EUR",
            "total_amount": amount(total, "EUR"),
            "total_amount_cents": total,
            "vat_amount": amount(vat, "EUR"),
            "vat_amount_cents": vat,
            "issue_date": day_str(issue_day),
            "expiry_date": day_str(issue_day + 30),
            "created_at": ts_offset(created),
            "updated_at": ts_offset(self.table.updated[i]),
            "terms_and_conditions": None,
            "header": None,
            "footer": None,
            "discount": None,
            "items": items,
            "client": self._clients.embed(self.client_of[i]) if len(self._clients.table) else None,
            "attachment_id": draws.uuid(),
            "invoice_ids": [],
            "quote_url": f"https://pay.qonto.com/quotes/{self.table.ids[i]}",
        }


class CreditNoteRecords(_DocumentRecords):
    name = "credit_notes"
    singular = "credit_note"

    def append_row(self, rng: random.Random, fields: dict[str, Any]) -> None:
        """Columns for a record created through the mutation API: none beyond the table's."""

    def apply(self, i: int, fields: dict[str, Any]) -> None:
        """No column of credit notes is filtered on."""

    def build(self, i: int) -> dict[str, Any]:
        draws = Draws(self._salt, i)
        created = self.table.created[i]
        items, total, vat = self._invoices.item_lines(draws.below(ITEM_POOL), "EUR")
        negated = [
            {**line, "quantity": f"-{line['quantity']}"} for line in msgspec.json.decode(items)
        ]
        issue_day = created // DAY
        invoices = self._invoices.table
        invoice = draws.below(len(invoices)) if len(invoices) else None
        return {
            "id": self.table.ids[i],
            "invoice_id": None if invoice is None else invoices.ids[invoice],
            "attachment_id": draws.uuid(),
            "issue_date": day_str(issue_day),
            "invoice_issue_date": day_str(issue_day - 1 - draws.below(60)),
            "number": f"CN-{day_str(issue_day)[:4]}-{i + 1:05d}",
            "reason": draws.pick(("Returned goods", "Billing error", "Commercial gesture")),
            "currency": "EUR",
            "total_amount": amount(-total, "EUR"),
            "total_amount_cents": -total,
            "vat_amount": amount(-vat, "EUR"),
            "vat_amount_cents": -vat,
            "created_at": ts_offset(created),
            "updated_at": ts_offset(self.table.updated[i]),
            "einvoicing_status": None,
            "items": negated,
            "client": self._clients.embed(self._invoices.client_of[invoice])
            if invoice is not None
            else None,
        }
