"""The client-invoice lifecycle: create, update and delete drafts, finalize, send, mark as
paid, unmark, cancel.

States: ``draft -> unpaid -> paid / canceled`` (``paid -> unpaid`` by unmarking). Only
drafts are edited or deleted; finalizing numbers the invoice. Amounts are computed from the
items, half up to the cent per line. An action the state forbids is a 422 pointing at
``status`` (Qonto's status for it is UNCONFIRMED; the SDK reads 400, 409 and 422 alike).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from aiohttp import web

from ._client_writes import Store
from ._datagen import DAY, amount, ts_offset
from ._files import not_found
from ._responses import SERVED, encode, json_response
from ._validation import Problems, read_body, refusal

__all__ = ["InvoiceWrites", "invoice_line"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CENT = Decimal("0.01")
EDITABLE = (
    "client_id", "issue_date", "due_date", "currency", "payment_methods", "items", "number",
    "purchase_order", "terms_and_conditions", "header", "footer", "performance_start_date",
    "performance_end_date", "upload_id", "quote_id", "discount", "settings", "report_einvoicing",
)  # fmt: skip
# What a new invoice has only if the caller gave it (the generated rows fill them in).
UNSET_ON_CREATE = (
    "purchase_order", "header", "footer", "performance_date", "performance_start_date",
    "performance_end_date", "discount", "stamp_duty_amount", "welfare_fund", "withholding_tax",
    "payment_reporting", "upload_id", "quote_id",
)  # fmt: skip
AMOUNTS = ("total_amount", "total_amount_cents", "vat_amount", "vat_amount_cents")
# action -> (states it starts from, state it leads to; None: unchanged)
ACTIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "finalize": (("draft",), "unpaid"),
    "send": (("unpaid", "paid"), None),
    "mark_as_paid": (("unpaid", "paid"), "paid"),
    "unmark_as_paid": (("paid",), "unpaid"),
    "mark_as_canceled": (("unpaid",), "canceled"),
}


def _cents(value: Decimal) -> int:
    return int((value.quantize(CENT, ROUND_HALF_UP) * 100).to_integral_value())


class InvoiceWrites:
    def __init__(self, store: Store, now: Callable[[], float], iban: str) -> None:
        self._store = store
        self._now = now
        self._iban = iban
        self.emails_sent: list[dict[str, Any]] = []

    # -- handlers ------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request, wrapper="client_invoice")
        status = body.get("status", "draft")
        fields = self._validate(body)
        if status not in ("draft", "unpaid"):
            raise refusal("invalid", "status must be draft or unpaid", "/data/attributes/status")
        record = {
            **dict.fromkeys(UNSET_ON_CREATE),
            "number": None,
            "status": "draft",
            "finalized_at": "",
            "paid_at": "",
            "credit_notes_ids": [],
            "einvoicing_status": None,
            "einvoicing_lifecycle_events": [],
            "amount_paid": amount(0, str(fields["currency"])),
            "deposit_amount": None,
            **fields,
        }
        invoice_id = self._store.create("client_invoices", **record)
        if status == "unpaid":
            self._finalize(invoice_id, record)
        return self._answer(request, invoice_id, 201)  # as POST /v2/quotes; UNCONFIRMED here

    async def update(self, request: web.Request) -> web.StreamResponse:
        invoice_id = request.match_info["id"]
        current = self._current(invoice_id)
        if current is None:
            return not_found(request)
        body = await read_body(request, wrapper="client_invoice")
        self._require(current, "update", ("draft",))
        fields = self._validate({**self._editable(current), **body})
        # What was given, and what follows from it: the amounts, the client's snapshot.
        derived = AMOUNTS if "items" in body else ()
        if "client_id" in body:
            derived = (*derived, "client")
        changes = {k: v for k, v in fields.items() if k in body or k in derived}
        self._store.update("client_invoices", invoice_id, **changes)
        return self._answer(request, invoice_id, 200)

    async def delete(self, request: web.Request) -> web.StreamResponse:
        invoice_id = request.match_info["id"]
        current = self._current(invoice_id)
        if current is None:
            return not_found(request)
        self._require(current, "delete", ("draft",))
        self._store.delete("client_invoices", invoice_id)
        return web.Response(status=204)

    def action(self, name: str) -> Handler:
        starts, leads_to = ACTIONS[name]

        async def handler(request: web.Request) -> web.StreamResponse:
            invoice_id = request.match_info["id"]
            current = self._current(invoice_id)
            if current is None:
                return not_found(request)
            body = await read_body(request)
            self._require(current, name, starts)
            changes: dict[str, Any] = {}
            if name == "finalize":
                self._finalize(invoice_id, current)
            elif name == "send":
                self._check_send(body)
                self.emails_sent.append({"invoice_id": invoice_id, **body})
            elif name == "mark_as_paid":
                changes = {"paid_at": self._paid_at(body), "amount_paid": current["total_amount"]}
            elif name == "unmark_as_paid":
                changes = {"paid_at": None, "amount_paid": amount(0, str(current["currency"]))}
            if leads_to is not None and name != "finalize":
                changes["status"] = leads_to
            if changes:
                self._store.update("client_invoices", invoice_id, **changes)
            return self._answer(request, invoice_id, 200)

        return handler

    # -- rules ---------------------------------------------------------------------------

    def _current(self, invoice_id: str) -> dict[str, Any] | None:
        if invoice_id not in self._store.dataset.client_invoices.index:
            return None
        return self._store.record("client_invoices", invoice_id)

    @staticmethod
    def _require(current: dict[str, Any], action: str, starts: tuple[str, ...]) -> None:
        status = current["status"]
        if status not in starts:
            raise refusal(
                "invalid_status",
                f"Cannot {action.replace('_', ' ')} a client invoice with status {status}",
                "/data/attributes/status",
            )

    def _finalize(self, invoice_id: str, record: dict[str, Any]) -> None:
        i = self._store.dataset.client_invoices.index[invoice_id]
        year = str(record.get("issue_date") or "")[:4] or "0000"
        self._store.update(
            "client_invoices",
            invoice_id,
            status="unpaid",
            number=record.get("number") or f"INV-{year}-{i + 1:06d}",
            finalized_at=ts_offset(int(self._now())),
            paid_at=None,
        )

    def _paid_at(self, body: dict[str, Any]) -> str:
        today = dt.datetime.fromtimestamp(self._now(), dt.UTC).date()
        p = Problems()
        day = p.day(body, "paid_at") or today
        if day > today:
            p.add("paid_at", "invalid", "paid_at cannot be in the future")
        p.check()
        return ts_offset((day - dt.date(1970, 1, 1)).days * DAY)

    @staticmethod
    def _check_send(body: dict[str, Any]) -> None:
        p = Problems()
        send_to = body.get("send_to")
        if not isinstance(send_to, list) or not send_to:
            p.add("send_to", "blank", "send_to can't be blank")
        else:
            for n, address in enumerate(send_to):
                p.address(address, f"send_to/{n}")
        p.text(body, "email_title", required=True)
        p.text(body, "email_body")
        p.check()

    @staticmethod
    def _editable(current: dict[str, Any]) -> dict[str, Any]:
        out = {k: current.get(k) for k in EDITABLE if current.get(k) not in (None, "")}
        out["client_id"] = (current.get("client") or {}).get("id")
        methods = current.get("payment_methods") or [{}]
        out["payment_methods"] = {"iban": methods[0].get("iban")}
        return out

    def _validate(self, body: dict[str, Any]) -> dict[str, Any]:
        p = Problems()
        data = self._store.dataset
        client_id = p.text(body, "client_id", required=True)
        client: dict[str, Any] | None = None
        if client_id is not None:
            if client_id in data.clients.index:
                client = self._store.record("clients", client_id)
            else:
                p.add("client_id", "not_found", "client not found")
        issue = p.day(body, "issue_date", required=True)
        due = p.day(body, "due_date", required=True)
        if issue and due and due < issue:
            p.add("due_date", "invalid", "due_date must be on or after issue_date")
        currency = body.get("currency") or (client or {}).get("currency")
        if currency is None:
            p.add("currency", "blank", "currency can't be blank (the client has none)")
        elif currency != "EUR":
            p.add("currency", "invalid", "only EUR is accepted")
        if client is not None:
            for key in ("locale", "address"):
                if not client.get(key):
                    p.add("client_id", "invalid", f"the client has no {key}: update it first")
        methods = body.get("payment_methods")
        iban = methods.get("iban") if isinstance(methods, dict) else None
        if not iban:
            p.add("payment_methods/iban", "invalid_iban", "IBAN is empty")
        elif iban != self._iban:
            p.add("payment_methods/iban", "invalid_iban", "IBAN is not an account of yours")
        items = body.get("items")
        lines: list[dict[str, Any]] = []
        if not isinstance(items, list) or not items:
            p.add("items", "blank", "items can't be blank")
        else:
            lines = [
                invoice_line(p, item, f"items/{n}", currency or "EUR")
                for n, item in enumerate(items)
            ]
        for key in (
            "number",
            "purchase_order",
            "terms_and_conditions",
            "header",
            "footer",
            "upload_id",
            "quote_id",
        ):
            p.text(body, key)
        p.day(body, "performance_start_date")
        p.day(body, "performance_end_date")
        p.check()
        assert client is not None
        assert issue is not None
        assert due is not None
        total = sum(line["total_amount_cents"] for line in lines)
        vat = sum(line["total_vat_cents"] for line in lines)
        fields = {
            k: body[k]
            for k in EDITABLE
            if k in body and k not in ("client_id", "items", "payment_methods")
        }
        currency = str(currency)
        fields.update(
            currency=currency,
            issue_date=issue.isoformat(),
            due_date=due.isoformat(),
            items=lines,
            total_amount=amount(total, currency),
            total_amount_cents=total,
            vat_amount=amount(vat, currency),
            vat_amount_cents=vat,
            client=msgspec.json.decode(data.client_records.embed(data.clients.index[client["id"]])),
            payment_methods=[
                {**(msgspec.json.decode(data.organization.payment_methods)[0]), "iban": iban}
            ],
        )
        return fields

    def _answer(self, request: web.Request, invoice_id: str, status: int) -> web.Response:
        request[SERVED] = ("client_invoices", (invoice_id,))
        record = self._store.record("client_invoices", invoice_id)
        return json_response(encode({"client_invoice": record}), status)


def invoice_line(p: Problems, item: Any, at: str, currency: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        p.add(at, "invalid", "an item must be an object")
        return {"total_amount_cents": 0, "total_vat_cents": 0}
    p.text(item, "title", required=True, prefix=f"{at}/")
    quantity = p.decimal(item.get("quantity"), f"{at}/quantity", low=Decimal("0"))
    price = item.get("unit_price")
    value = p.decimal(
        price.get("value") if isinstance(price, dict) else None, f"{at}/unit_price/value"
    )
    rate = p.decimal(item.get("vat_rate"), f"{at}/vat_rate", low=Decimal(0), high=Decimal(1))
    if quantity is None or value is None or rate is None:
        return {"total_amount_cents": 0, "total_vat_cents": 0}
    gross = quantity * value
    discount = item.get("discount")
    off = Decimal(0)
    if isinstance(discount, dict):
        dvalue = p.decimal(discount.get("value"), f"{at}/discount/value", low=Decimal(0))
        if dvalue is not None:
            off = gross * dvalue if discount.get("type") == "percentage" else min(gross, dvalue)
    subtotal = _cents(gross) - _cents(off)
    vat = _cents(Decimal(subtotal) * rate / 100)
    line = {k: item.get(k) for k in ("title", "description", "unit", "vat_exemption_reason")}
    line.update(
        quantity=item["quantity"],
        unit_price=amount(_cents(value), currency),
        unit_price_cents=_cents(value),
        vat_rate=item["vat_rate"],
        discount={**discount, "amount": amount(_cents(off), currency)}
        if isinstance(discount, dict)
        else None,
        total_vat=amount(vat, currency),
        total_vat_cents=vat,
        total_amount=amount(subtotal + vat, currency),
        total_amount_cents=subtotal + vat,
        subtotal=amount(subtotal, currency),
        subtotal_cents=subtotal,
    )
    return line
