"""Supplier invoices: bulk upload, mark as paid, unmark.

Bulk upload answers 200 with what it created and a per-file ``errors`` list (``required``
without an idempotency key or a file, ``invalid`` for a type or size Qonto refuses,
``limit_reached`` past 20 files); only a request over 15 MB is refused whole (400). A file
whose idempotency key was seen before gets the invoice it made then. Marking as paid is
bookkeeping: allowed from every status but ``scheduled`` and the closed ones (400 otherwise),
a no-op when already paid; unmarking goes from ``paid`` back to ``to_review``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from ._client_writes import Store
from ._files import not_found, upload_content_type
from ._responses import SERVED, encode, json_response
from ._validation import Problems, multipart_parts, read_body, refusal

__all__ = ["SupplierWrites"]

MAX_FILES = 20
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_REQUEST_BYTES = 15 * 1024 * 1024
PAYABLE = ("to_review", "to_approve", "pending", "awaiting_payment", "to_pay", "paid", "archived")
FILE_FIELD = "supplier_invoices[][file]"
KEY_FIELD = "supplier_invoices[][idempotency_key]"
# Until Qonto's analysis reads the document, a new invoice knows nothing but its file.
UNREAD = (
    "supplier_name", "invoice_number", "total_amount", "issue_date", "due_date", "payment_date",
    "scheduled_date", "description", "vat_number", "tin", "iban", "analyzed_at", "payable_amount",
)  # fmt: skip


class SupplierWrites:
    def __init__(self, store: Store, now: Any) -> None:
        self._store = store
        self._now = now
        self._by_key: dict[str, str] = {}

    async def bulk(self, request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
            raise refusal("request_too_large", "The request is over 15 MB", status=400)
        if not request.content_type.startswith("multipart/"):
            raise refusal("invalid_body", "Send the files as multipart/form-data", status=400)
        entries: list[dict[str, Any]] = []
        options: dict[str, str] = {}
        total = 0
        # Read from the body bytes (the idempotency layer has read the stream already).
        for name, filename, declared, content in multipart_parts(request, await request.read()):
            value: Any
            if name == FILE_FIELD:
                total += len(content)
                value, field = (filename or "upload", declared, content), "file"
            elif name == KEY_FIELD:
                value, field = content.decode("utf-8", "replace"), "key"
            else:
                options[name] = content.decode("utf-8", "replace")
                continue
            if entries and field not in entries[-1]:
                entries[-1][field] = value
            else:
                entries.append({field: value})
        if total > MAX_REQUEST_BYTES:
            raise refusal("request_too_large", "The request is over 15 MB", status=400)
        created: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for position, entry in enumerate(entries):
            problem = self._problem(position, entry)
            if problem is not None:
                code, detail, field = problem
                errors.append(
                    {
                        "code": code,
                        "detail": detail,
                        "source": {"pointer": f"/supplier_invoices/{position}/{field}"},
                    }
                )
                continue
            created.append(self._create(entry, options.get("source")))
        ids = tuple(record["id"] for record in created)
        request[SERVED] = ("supplier_invoices", ids)
        return json_response(encode({"supplier_invoices": created, "errors": errors}))

    def _problem(self, position: int, entry: dict[str, Any]) -> tuple[str, str, str] | None:
        if position >= MAX_FILES:
            return "limit_reached", f"At most {MAX_FILES} invoices per request", "file"
        if "file" not in entry:
            return "required", "file is required", "file"
        if not entry.get("key"):
            return "required", "idempotency_key is required", "idempotency_key"
        _, declared, content = entry["file"]
        if len(content) > MAX_FILE_BYTES:
            return "invalid", "The file is over 10 MB", "file"
        # The declared type must be one Qonto takes, and the bytes must be of that type.
        if upload_content_type(declared, content) is None or upload_content_type(
            None, content
        ) != upload_content_type(declared, content):
            return "invalid", "The file must be a PDF, JPEG or PNG", "file"
        return None

    def _create(self, entry: dict[str, Any], source: str | None) -> dict[str, Any]:
        key = entry["key"]
        known = self._by_key.get(key)
        if known is not None and known in self._store.dataset.supplier_invoices.index:
            return self._store.record("supplier_invoices", known)
        name, _, content = entry["file"]
        fields: dict[str, Any] = dict.fromkeys(UNREAD)
        fields.update(
            status="to_review",
            file_name=name,
            source=source or "supplier_invoices",
            source_type="direct_upload",
            matched_transactions=[],
            transfer_ids=[],
        )
        invoice_id = self._store.create("supplier_invoices", **fields)
        record = self._store.record("supplier_invoices", invoice_id)
        self._store.dataset.uploaded_files[record["attachment_id"]] = (name, content)
        self._by_key[key] = invoice_id
        return record

    async def mark_as_paid(self, request: web.Request) -> web.StreamResponse:
        invoice_id = request.match_info["id"]
        current = self._current(invoice_id)
        if current is None:
            return not_found(request)
        body = await read_body(request)
        inner = body.get("supplier_invoice")
        if not isinstance(inner, dict):
            raise refusal("invalid_body", "Wrap the fields in supplier_invoice", status=400)
        p = Problems()
        today = dt.datetime.fromtimestamp(self._now(), dt.UTC).date()
        day = p.day(inner, "payment_date") or today
        p.check()
        status = current["status"]
        if status not in PAYABLE:
            raise refusal("invalid_status", f"Cannot mark as paid an invoice {status}", status=400)
        if status != "paid":
            self._store.update(
                "supplier_invoices", invoice_id, status="paid", payment_date=day.isoformat()
            )
        return self._answer(request, invoice_id)

    async def unmark_as_paid(self, request: web.Request) -> web.StreamResponse:
        invoice_id = request.match_info["id"]
        current = self._current(invoice_id)
        if current is None:
            return not_found(request)
        if current["status"] != "paid":
            raise refusal("invalid_status", "Only a paid invoice can be unmarked", status=400)
        self._store.update("supplier_invoices", invoice_id, status="to_review", payment_date=None)
        return self._answer(request, invoice_id)

    def _current(self, invoice_id: str) -> dict[str, Any] | None:
        if invoice_id not in self._store.dataset.supplier_invoices.index:
            return None
        return self._store.record("supplier_invoices", invoice_id)

    def _answer(self, request: web.Request, invoice_id: str) -> web.Response:
        request[SERVED] = ("supplier_invoices", (invoice_id,))
        # Qonto's example answers the bare object here (no ``supplier_invoice`` envelope).
        return json_response(encode(self._store.record("supplier_invoices", invoice_id)))
