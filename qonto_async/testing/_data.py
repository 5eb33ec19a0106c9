"""FakeQonto's record store: one organisation's clients, client and supplier invoices,
uploads and attachments, derived from a seed.

Each resource's records are built in its own module; this one puts them together, holds the
organisation they share, and answers the questions the handlers ask across resources (which
file is behind an attachment id, how a table sorts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ..models.client_invoice import CLIENT_INVOICE_STATUSES
from ..models.supplier_invoice import SUPPLIER_INVOICE_STATUSES
from ._bank_data import BankData
from ._client_invoices_data import ClientInvoiceRecords
from ._clients_data import ClientRecords
from ._datagen import (
    CITIES,
    COMPANY_HEADS,
    COMPANY_TAILS,
    DEFAULT_NOW,
    FIRST_NAMES,
    LAST_NAMES,
    SPAN,
    STREETS,
    Organization,
    Table,
    Upload,
    amount,
    digits,
    encode,
    pdf,
    ts_offset,
    uuid4,
)
from ._documents_data import CreditNoteRecords, QuoteRecords
from ._supplier_invoices_data import SupplierInvoiceRecords

__all__ = [
    "CLIENT_INVOICE_STATUSES",
    "DEFAULT_NOW",
    "SUPPLIER_INVOICE_STATUSES",
    "Dataset",
    "Table",
    "Upload",
    "ts_offset",
    "uuid4",
]


class Dataset:
    """All records of one fake organisation, derived from ``seed``.

    ``clients``, ``client_invoices``, ``supplier_invoices`` and ``transactions`` are record
    counts; ``uploads`` is the number of client-invoice uploads present from the start;
    ``bank_accounts`` the number of bank accounts (the last one external when there are two
    or more), the bank side living in ``bank`` (:class:`._bank_data.BankData`).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clients: int = 20,
        client_invoices: int = 200,
        supplier_invoices: int = 200,
        uploads: int = 3,
        quotes: int = 20,
        credit_notes: int = 20,
        transactions: int = 300,
        bank_accounts: int = 3,
        now: dt.datetime = DEFAULT_NOW,
    ) -> None:
        if min(clients, client_invoices, supplier_invoices, uploads, quotes, credit_notes) < 0:
            raise ValueError("record counts must be >= 0")
        if client_invoices and not clients:
            raise ValueError("client invoices need at least one client")
        self.seed = seed
        self.now = now
        self.now_epoch = int(now.timestamp())
        self.today = now.date()
        self.today_day = (self.today - dt.date(1970, 1, 1)).days
        start = self.now_epoch - SPAN
        org_rng = random.Random(f"{seed}:organization")
        self.organization_id = uuid4(org_rng)
        self.membership_id = uuid4(random.Random(f"{seed}:membership"))
        legal_name = f"{org_rng.choice(COMPANY_HEADS)} {org_rng.choice(COMPANY_TAILS)}"
        iban = "FR76" + digits(org_rng, 23)
        self._signing_key = hashlib.sha256(f"{seed}:signing".encode()).digest()
        organization = Organization(
            id=self.organization_id,
            contact_email=f"billing@{self.organization_id[:8]}.example.com",
            snapshot=_raw(self._organization_block(org_rng, legal_name)),
            payment_methods=_raw(
                [
                    {
                        "beneficiary_name": legal_name,
                        "bic": "QNTOFRP1XXX",
                        "iban": iban,
                        "type": "transfer",
                    }
                ]
            ),
        )
        self.organization = organization
        self.iban = iban
        """The organisation's Qonto account: the ``payment_methods.iban`` invoices take."""
        self.legal_name = legal_name
        self.bank = BankData(
            seed=seed,
            now_epoch=self.now_epoch,
            organization_id=self.organization_id,
            legal_name=legal_name,
            main_iban=iban,
            bank_accounts=bank_accounts,
            transactions=transactions,
        )
        self.client_records = ClientRecords(seed, start, self.now_epoch, clients)
        self.client_invoice_records = ClientInvoiceRecords(
            seed,
            start,
            self.now_epoch,
            client_invoices,
            clients=self.client_records,
            organization=organization,
        )
        self.supplier_invoice_records = SupplierInvoiceRecords(
            seed,
            start,
            self.now_epoch,
            self.today_day,
            supplier_invoices,
            organization_id=self.organization_id,
        )
        clients_, invoices_ = self.client_records, self.client_invoice_records
        self.quote_records = QuoteRecords(
            seed, start, self.now_epoch, quotes, clients=clients_, invoices=invoices_
        )
        self.credit_note_records = CreditNoteRecords(
            seed, start, self.now_epoch, credit_notes, clients=clients_, invoices=invoices_
        )
        self.clients = self.client_records.table
        self.client_invoices = self.client_invoice_records.table
        self.supplier_invoices = self.supplier_invoice_records.table
        self.tables: dict[str, Table] = {
            t.name: t
            for t in (
                self.clients,
                self.client_invoices,
                self.supplier_invoices,
                self.quote_records.table,
                self.credit_note_records.table,
            )
        }
        # attachment id -> (table name, record index)
        self.attachments: dict[str, tuple[str, int]] = {}
        for i, aid in enumerate(self.client_invoice_records.attachment_ids):
            self.attachments[aid] = ("client_invoices", i)
        for i, aid in enumerate(self.supplier_invoice_records.attachment_ids):
            self.attachments[aid] = ("supplier_invoices", i)
        for i, aids in enumerate(self.bank.transactions.attachment_ids):
            for aid in aids:
                self.attachments[aid] = ("transactions", i)
        # attachment id -> (file name, content) of files uploaded while the fake runs
        self.uploaded_files: dict[str, tuple[str, bytes]] = {}
        self.uploads: dict[str, Upload] = {}
        up_rng = random.Random(f"{seed}:uploads")
        for n in range(uploads):
            epoch = start + int(up_rng.random() * SPAN)
            uid = uuid4(up_rng)
            stamp = ts_offset(epoch)
            name = f"invoice_document_{n + 1}.pdf"
            self.uploads[uid] = Upload(
                id=uid,
                filename=name,
                content_type="application/pdf",
                content=pdf(name, f"upload {uid}"),
                created_at=stamp,
                updated_at=stamp,
            )

    def _organization_block(self, rng: random.Random, legal_name: str) -> dict[str, Any]:
        city, zip_code = rng.choice(CITIES)
        return {
            "id": self.organization_id,
            "legal_name": legal_name,
            "legal_number": digits(rng, 9),
            "legal_country": "FR",
            "address_line_1": f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
            "address_line_2": None,
            "address_zipcode": zip_code,
            "address_city": city,
            "address_country": "FR",
            "company_leadership": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "district_court": None,
            "commercial_register_number": None,
            "vat_number": "FR" + digits(rng, 11),
            "tax_number": None,
            "legal_capital_share": amount(rng.choice((100_000, 500_000, 1_000_000)), "EUR"),
            "transaction_type": rng.choice(("goods", "services", "goods_and_services")),
            "vat_payment_condition": rng.choice(("on_receipts", "compensated_for_sales")),
        }

    # -- questions across resources -----------------------------------------------------------

    def client_display_name(self, i: int) -> str:
        return self.client_records.display_name(i)

    def client_filter_fields(self, i: int) -> dict[str, Any]:
        return self.client_records.filter_fields(i)

    def client_invoice_status(self, i: int) -> str:
        return self.client_invoice_records.status(i)

    def supplier_columns(self) -> dict[str, Sequence[Any]]:
        return self.supplier_invoice_records.columns()

    def attachment_file(self, attachment_id: str) -> tuple[str, bytes, int]:
        """``(file_name, content, created_epoch)`` of a known attachment."""
        table_name, i = self.attachments[attachment_id]
        if table_name == "transactions":
            name, _, data, created_ms = self.bank.attachment_file(attachment_id, i)
            return name, data, created_ms // 1000
        table = self.tables[table_name]
        if attachment_id in self.uploaded_files:
            name, content = self.uploaded_files[attachment_id]
            return name, content, table.created[i]
        name = (
            self.supplier_invoice_records.file_names[i]
            if table is self.supplier_invoices
            else f"invoice-{i + 1:06d}.pdf"
        )
        content = pdf(name, f"{table.singular} {table.ids[i]}")
        return name, content, table.created[i]

    def attachment_content_type(self, attachment_id: str) -> str:
        """A transaction's receipt may be a JPEG or a PNG; every other file is a PDF."""
        table_name, i = self.attachments[attachment_id]
        if table_name == "transactions":
            return self.bank.attachment_file(attachment_id, i)[1]
        return "application/pdf"

    def sign(self, message: str) -> str:
        """HMAC of ``message`` with this dataset's key (signed download URLs)."""
        return hmac.new(self._signing_key, message.encode(), "sha256").hexdigest()

    # -- selection --------------------------------------------------------------------------

    def order(self, table: Table, key: str, descending: bool) -> list[int]:
        """Every live index of ``table`` sorted by ``key``, ties by index ascending; cached
        until the table changes.

        Nulls sort last ascending and first descending, as in Postgres.
        """
        return self.sorted_with_keys(table, key, descending)[0]

    def sorted_with_keys(
        self, table: Table, key: str, descending: bool
    ) -> tuple[list[int], list[Any] | None]:
        """:meth:`order`, plus for ``created_at`` its keys in ascending order (negated when
        descending), for ranges found by bisection."""
        cached = table.orders.get((key, descending))
        if cached is not None:
            return cached
        alive = table.alive()
        keys: list[Any] | None = None
        if key == "created_at":
            created = table.created_us
            if table.monotonic:  # created_at grows with the index
                perm = alive[::-1] if descending else alive
            elif descending:
                perm = sorted(alive, key=lambda i: (-created(i), i))
            else:
                perm = sorted(alive, key=lambda i: (created(i), i))
            keys = [-created(i) for i in perm] if descending else [created(i) for i in perm]
        else:
            sort_key = self._sort_key(table, key)
            if descending:
                perm = sorted(alive, key=lambda i: (sort_key(i), -i), reverse=True)
            else:
                perm = sorted(alive, key=lambda i: (sort_key(i), i))
        entry = table.orders[(key, descending)] = (perm, keys)
        return entry

    def _sort_key(self, table: Table, key: str) -> Callable[[int], Any]:
        if key == "updated_at":
            return table.updated_us
        if table is self.clients and key == "name":
            return lambda i: self.client_display_name(i).casefold()
        if table is self.supplier_invoices:
            column = self.supplier_invoice_records.sort_columns()[key]
            return lambda i: (
                (True, 0)
                if column[i] is None
                else (False, column[i].casefold() if isinstance(column[i], str) else column[i])
            )
        raise KeyError(key)


def _raw(value: Any) -> msgspec.Raw:
    return msgspec.Raw(encode(value))
