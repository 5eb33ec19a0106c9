"""The fake organisation's client invoices, in every status, with consistent amounts."""

from __future__ import annotations

import random
from typing import Any

import msgspec

from ..models.client_invoice import CLIENT_INVOICE_STATUSES
from ._clients_data import ClientRecords
from ._datagen import (
    CLIENT_INVOICE_WEIGHTS,
    CURRENCIES,
    DAY,
    INVOICE_TYPES,
    LEGAL,
    PRODUCTS,
    QUANTITIES,
    SPAN,
    VAT_RATES,
    Draws,
    Organization,
    Table,
    amount,
    day_str,
    encode,
    money,
    salt,
    ts_offset,
    ts_zulu,
    uuid4,
)

__all__ = ["ClientInvoiceRecords"]

ITEM_POOL = 512


class ClientInvoiceRecords:
    """Every client invoice as a :class:`Table`; ``statuses``, ``client_of`` and
    ``attachment_ids`` are the columns filters and attachments read."""

    def __init__(
        self,
        seed: int,
        start: int,
        now_epoch: int,
        n: int,
        *,
        clients: ClientRecords,
        organization: Organization,
    ) -> None:
        self._salt = salt(seed, "client_invoice")
        self._items_salt = salt(seed, "items")
        self._item_pool: dict[tuple[int, str], tuple[msgspec.Raw, int, int]] = {}
        self._now_epoch = now_epoch
        self._clients = clients
        self._org = organization
        self.table = self._make_table(seed, start, n)

    def _make_table(self, seed: int, start: int, n: int) -> Table:
        rng = random.Random(f"{seed}:client_invoices")
        ids = [uuid4(rng) for _ in range(n)]
        self.attachment_ids: list[str] = [uuid4(rng) for _ in range(n)]
        self.statuses = rng.choices(CLIENT_INVOICE_STATUSES, CLIENT_INVOICE_WEIGHTS, k=n)
        n_clients = len(self._clients.table)
        self.client_of = [rng.randrange(n_clients) for _ in range(n)] if n else []
        step = SPAN / max(n, 1)
        # strictly increasing with the index: created_at order == index order
        created = [start + int((i + rng.random() * 0.9) * step) for i in range(n)]
        updated = [
            min(c + int(rng.random() * 90 * DAY), self._now_epoch) if rng.random() < 0.7 else c
            for c in created
        ]
        return Table("client_invoices", "client_invoice", ids, created, updated, self.build)

    def append_row(self, rng: random.Random, fields: dict[str, Any]) -> None:
        """Columns for a record created through the mutation API (the table has it already)."""
        self.attachment_ids.append(uuid4(rng))
        self.statuses.append(fields.get("status", "draft"))
        self.client_of.append(rng.randrange(len(self._clients.table)))

    def apply(self, i: int, fields: dict[str, Any]) -> None:
        """Keep the columns filters read in step with fields set through the mutation API."""
        if "status" in fields:
            self.statuses[i] = fields["status"]

    @property
    def organization_id(self) -> str:
        return self._org.id

    def status(self, i: int) -> str:
        return self.statuses[i]

    def item_lines(self, variant: int, currency: str) -> tuple[msgspec.Raw, int, int]:
        """Pre-encoded item list ``variant`` in ``currency``, with its total and VAT cents.

        Invoices draw their lines from a pool of variants: building and encoding lines per
        invoice was most of the generation time, and line variety across 512 variants is
        plenty for tests and benchmarks.
        """
        key = (variant, currency)
        cached = self._item_pool.get(key)
        if cached is not None:
            return cached
        draws = Draws(self._items_salt, variant)
        items = []
        total = vat_total = 0
        for _ in range(1 + draws.below(4)):
            title, description, unit = draws.pick(PRODUCTS)
            q100, quantity = draws.pick(QUANTITIES)
            unit_cents = 500 + 5 * draws.below(50_000)
            gross = (q100 * unit_cents + 50) // 100
            discount = None
            discount_cents = 0
            if draws.chance(20):
                if draws.chance(50):
                    pct = draws.pick((500, 1000, 1500))  # ten-thousandths
                    discount_cents = (gross * pct + 5000) // 10_000
                    discount = {"type": "percentage", "value": f"{pct / 10_000:g}"}
                else:
                    discount_cents = min(gross, draws.pick((500, 1000, 2500)))
                    discount = {"type": "absolute", "value": money(discount_cents)}
                discount["amount"] = amount(discount_cents, currency)  # type: ignore[assignment]
            subtotal = gross - discount_cents
            rate, rate_str = draws.pick(VAT_RATES)
            vat = (subtotal * rate + 500) // 1000
            line_total = subtotal + vat
            total += line_total
            vat_total += vat
            items.append(
                {
                    "title": title,
                    "description": description,
                    "quantity": quantity,
                    "unit": unit,
                    "unit_price": amount(unit_cents, currency),
                    "unit_price_cents": unit_cents,
                    "vat_rate": rate_str,
                    "vat_exemption_reason": "S261" if rate == 0 else None,
                    "discount": discount,
                    "total_vat": amount(vat, currency),
                    "total_vat_cents": vat,
                    "total_amount": amount(line_total, currency),
                    "total_amount_cents": line_total,
                    "subtotal": amount(subtotal, currency),
                    "subtotal_cents": subtotal,
                }
            )
        entry = self._item_pool[key] = (msgspec.Raw(encode(items)), total, vat_total)
        return entry

    def build(self, i: int) -> dict[str, Any]:
        draws = Draws(self._salt, i)
        status = self.statuses[i]
        created = self.table.created[i]
        draft = status == "draft"
        currency = draws.pick(CURRENCIES)
        items, total, vat_total = self.item_lines(draws.below(ITEM_POOL), currency)
        invoice_id = self.table.ids[i]
        issue_day = (created + 3600 * draws.below(48)) // DAY
        due_day = issue_day + draws.pick((0, 15, 30, 30, 45, 60))
        finalized = min(created + 60 + draws.below(3 * 1440) * 60, self._now_epoch)
        paid = min(finalized + DAY * (1 + draws.below(60)) + draws.below(DAY), self._now_epoch)
        blank_dates = draft and draws.chance(50)
        einvoiced = not draft and draws.chance(25)
        if draft:
            paid_at: str | None = ""
        else:
            paid_at = ts_offset(paid) if status == "paid" else None
        return {
            "id": invoice_id,
            "organization_id": self._org.id,
            "number": f"INV-{day_str(issue_day)[:4]}-{i + 1:06d}",
            "purchase_order": f"PO-{100_000 + draws.below(900_000)}" if draws.chance(30) else None,
            "status": status,
            "invoice_url": f"https://pay.qonto.com/invoices/{invoice_id}",
            "contact_email": self._org.contact_email,
            **LEGAL,
            "header": None,
            "footer": "Merci pour votre confiance." if draws.chance(30) else None,
            "currency": currency,
            "total_amount": amount(total, currency),
            "total_amount_cents": total,
            "vat_amount": amount(vat_total, currency),
            "vat_amount_cents": vat_total,
            "issue_date": day_str(issue_day),
            "due_date": "" if blank_dates else day_str(due_day),
            "performance_date": "" if blank_dates else None,
            "performance_start_date": "" if blank_dates else day_str(issue_day - 30),
            "performance_end_date": "" if blank_dates else day_str(issue_day),
            "created_at": ts_offset(created),
            "finalized_at": "" if draft else ts_offset(finalized),
            "paid_at": paid_at,
            "stamp_duty_amount": None,
            "items": items,
            "client": self._clients.embed(self.client_of[i]),
            "payment_methods": self._org.payment_methods,
            "credit_notes_ids": [draws.uuid()] if status == "canceled" else [],
            "organization": self._org.snapshot,
            "invoice_type": draws.pick(INVOICE_TYPES),
            "attachment_id": self.attachment_ids[i],
            "discount": None,
            "einvoicing_status": draws.pick(("submitted", "approved", "pending"))
            if einvoiced
            else None,
            "welfare_fund": None,
            "withholding_tax": None,
            "payment_reporting": None,
            "einvoicing_lifecycle_events": [
                {
                    "status_code": 200,
                    "reason": None,
                    "reason_message": None,
                    "timestamp": ts_zulu(finalized + 60, 1 + draws.below(999_999)),
                }
            ]
            if einvoiced
            else [],
        }
