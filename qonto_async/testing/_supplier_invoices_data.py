"""The fake organisation's supplier invoices, in every status Qonto documents."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, ClassVar

from ..models.supplier_invoice import SUPPLIER_INVOICE_STATUSES
from ._datagen import (
    DAY,
    SPAN,
    SUPPLIER_INVOICE_WEIGHTS,
    SUPPLIERS,
    Draws,
    Table,
    amount,
    day_str,
    salt,
    ts_offset,
    ts_zulu,
    uuid4,
)

__all__ = ["SupplierInvoiceRecords"]


class SupplierInvoiceRecords:
    """Every supplier invoice as a :class:`Table`, plus the columns that filters and sorts
    read without building whole records."""

    def __init__(
        self, seed: int, start: int, now_epoch: int, today_day: int, n: int, *, organization_id: str
    ) -> None:
        self._salt = salt(seed, "supplier_invoice")
        self._frac_salt = salt(seed, "supplier_invoice_created_us")
        self._now_epoch = now_epoch
        self._today_day = today_day
        self._org_id = organization_id
        self.table = self._make_table(seed, start, n)

    def _make_table(self, seed: int, start: int, n: int) -> Table:
        rng = random.Random(f"{seed}:supplier_invoices")
        ids = [uuid4(rng) for _ in range(n)]
        self.attachment_ids: list[str] = [uuid4(rng) for _ in range(n)]
        self.statuses: list[str] = rng.choices(
            SUPPLIER_INVOICE_STATUSES, SUPPLIER_INVOICE_WEIGHTS, k=n
        )
        step = SPAN / max(n, 1)
        created = [start + int((i + rng.random() * 0.9) * step) for i in range(n)]
        updated = [
            min(c + int(rng.random() * 60 * DAY), self._now_epoch) if rng.random() < 0.8 else c
            for c in created
        ]
        # Sortable / filterable columns.
        self.suppliers: list[str | None] = []
        self.numbers: list[str | None] = []
        self.file_names: list[str] = []
        self.totals: list[int] = []
        self.issue_days: list[int] = []
        self.due_days: list[int | None] = []
        self.payment_days: list[int | None] = []
        self.scheduled_days: list[int | None] = []
        self.credit_notes: list[bool] = []
        self.matched: list[bool] = []
        for i in range(n):
            self._add_row(rng, i, created[i])
        created_frac = [1 + Draws(self._frac_salt, i).below(999_999) for i in range(n)]
        return Table(
            "supplier_invoices",
            "supplier_invoice",
            ids,
            created,
            updated,
            self.build,
            created_frac=created_frac,
        )

    def _add_row(self, rng: random.Random, i: int, created: int) -> None:
        status = self.statuses[i]
        missing = status == "to_review" and rng.random() < 0.5
        supplier = rng.choice(SUPPLIERS)
        self.suppliers.append(None if missing and rng.random() < 0.5 else supplier)
        self.numbers.append(None if missing else f"{supplier[:3].upper()}-{i + 1:06d}")
        self.file_names.append(f"{supplier.split()[0].lower()}-invoice-{i + 1}.pdf")
        self.totals.append(rng.randrange(100, 500_000))
        issue_day = created // DAY - rng.randint(0, 10)
        self.issue_days.append(issue_day)
        due = None if missing or rng.random() < 0.05 else issue_day + rng.choice((0, 30, 60))
        self.due_days.append(due)
        paid = status == "paid"
        self.payment_days.append(
            min(created // DAY + rng.randint(1, 40), self._today_day) if paid else None
        )
        self.scheduled_days.append(
            self._today_day + rng.randint(1, 30) if status == "scheduled" else None
        )
        self.credit_notes.append(rng.random() < 0.05)
        self.matched.append(paid and rng.random() < 0.9)

    def append_row(self, rng: random.Random, fields: dict[str, Any]) -> None:
        """Columns for a record created through the mutation API (the table has it already)."""
        i = len(self.statuses)
        self.attachment_ids.append(uuid4(rng))
        self.statuses.append(fields.get("status", "to_review"))
        self._add_row(rng, i, self.table.created[i])

    _COLUMNS: ClassVar[dict[str, str]] = {
        "status": "statuses",
        "supplier_name": "suppliers",
        "invoice_number": "numbers",
        "file_name": "file_names",
    }

    def apply(self, i: int, fields: dict[str, Any]) -> None:
        """Keep the columns filters read in step with fields set through the mutation API."""
        for key, column in self._COLUMNS.items():
            if key in fields:
                getattr(self, column)[i] = fields[key]

    def build(self, i: int) -> dict[str, Any]:
        draws = Draws(self._salt, i)
        status = self.statuses[i]
        created = self.table.created[i]
        currency = "EUR" if draws.chance(90) else "USD"
        total = amount(self.totals[i], currency)
        credit_note = self.credit_notes[i]
        einvoice = draws.chance(5)
        attachment = self.attachment_ids[i]
        due, payment, scheduled = self.due_days[i], self.payment_days[i], self.scheduled_days[i]
        matched = [draws.uuid()] if self.matched[i] else []
        payable = status in ("to_pay", "awaiting_payment", "scheduled")
        return {
            "id": self.table.ids[i],
            "is_einvoice": einvoice,
            "has_discrepancies": draws.chance(3),
            "organization_id": self._org_id,
            "file_name": self.file_names[i],
            "status": status,
            "source_type": "e_invoicing" if einvoice else draws.pick(("email", "direct_upload")),
            "created_at": ts_zulu(created, self.table.created_frac[i]),
            "updated_at": ts_zulu(self.table.updated[i], self.table.updated_frac[i]),
            "attachment_id": attachment,
            "display_attachment_id": attachment,
            "declined_note": "Duplicate of an earlier invoice" if status == "rejected" else "",
            "e_invoice_type": draws.pick(("zugferd", "xrechnung")) if einvoice else None,
            "has_duplicates": draws.chance(2),
            "invoice_number": self.numbers[i],
            "supplier_name": self.suppliers[i],
            "vat_number": f"FR{draws.below(10**5):05d}{draws.below(10**6):06d}",
            "tin": f"{draws.below(10**5):05d}{draws.below(10**5):05d}",
            "description": draws.pick((None, "Monthly subscription", "Office supplies")),
            "total_amount": total,
            "issue_date": day_str(self.issue_days[i]),
            "due_date": None if due is None else day_str(due),
            "payment_date": None if payment is None else day_str(payment),
            "scheduled_date": None if scheduled is None else day_str(scheduled),
            "iban": f"FR76{draws.below(10**5):05d}{draws.below(10**5):05d}0000{i:013d}",
            "initiator_id": draws.uuid(),
            "source": draws.pick(("email_forward", "supplier_invoices", "integration")),
            "is_attachment_invoice": True,
            "attachment_category": "CREDIT_NOTE" if credit_note else "INVOICE",
            "is_attachment_non_financial": False,
            "analyzed_at": ts_offset(created + 5 + draws.below(600)),
            "matched_transactions": matched,
            "transfer_ids": list(matched),
            "request_transfer": None,
            "einvoicing_lifecycle_events": [],
            "meta": {
                "integration_type": None,
                "connector": None,
                "accounting_recorded_at": None,
                "accounting_recorded_source": None,
            },
            "available_actions": {
                "delete": status in ("to_review", "archived", "rejected", "discarded"),
                "archive": status not in ("archived", "paid"),
                "unarchive": status == "archived",
                "pay": payable and not credit_note,
                "reasons": {
                    "pay": ["is_credit_note"] if credit_note else [],
                    "delete": [],
                    "archive": [],
                    "unarchive": [] if status == "archived" else ["invalid_status"],
                },
            },
            "approval_workflow": {
                "approver_ids": [draws.uuid()],
                "supplier_invoice_request_id": draws.uuid(),
                "verified_by": None,
                "last_approved_by": None,
            }
            if status == "to_approve"
            else None,
            "payable_amount": amount(0 if credit_note else self.totals[i], currency),
            "total_amount_credit_notes": amount(0, currency),
            "is_credit_note": credit_note,
            "has_suggested_credit_notes": False,
            "related_invoices": [],
            "suggested_transactions": [],
        }

    def columns(self) -> dict[str, Sequence[Any]]:
        """The columns filters read, by the names ``_query`` uses."""
        return {
            "status": self.statuses,
            "supplier_name": self.suppliers,
            "invoice_number": self.numbers,
            "file_name": self.file_names,
            "due": self.due_days,
            "credit_note": self.credit_notes,
            "matched": self.matched,
            "attachment": self.attachment_ids,
        }

    def sort_columns(self) -> dict[str, Sequence[Any]]:
        """The columns ``sort_by`` orders on, by their ``sort_by`` names."""
        return {
            "file_name": self.file_names,
            "supplier_name": self.suppliers,
            "payment_date": self.payment_days,
            "due_date": self.due_days,
            "scheduled_date": self.scheduled_days,
            "total_amount": self.totals,
        }
