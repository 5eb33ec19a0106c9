"""``POST /v2/quotes``: a quote for a client, answered 201 with ``{"quote": {...}}``.

``number`` is required: Qonto documents it as required while the organisation numbers its
documents by hand, which is the default.
"""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from ._client_writes import Store
from ._datagen import amount
from ._invoice_writes import invoice_line
from ._responses import SERVED, encode, json_response
from ._validation import Problems, read_body

__all__ = ["QuoteWrites"]

OPTIONAL = ("terms_and_conditions", "header", "footer", "discount", "upload_id", "settings")
LIMITS = {"number": 40, "terms_and_conditions": 3000, "header": 1000, "footer": 1000}


class QuoteWrites:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def create(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request, wrapper="quote")
        data = self._store.dataset
        p = Problems()
        client_id = p.text(body, "client_id", required=True)
        if client_id is not None and client_id not in data.clients.index:
            p.add("client_id", "not_found", "client not found")
        issue = p.day(body, "issue_date", required=True)
        expiry = p.day(body, "expiry_date", required=True)
        if issue and expiry and expiry < issue:
            p.add("expiry_date", "invalid", "expiry_date must be on or after issue_date")
        currency = body.get("currency", "EUR")
        if currency != "EUR":
            p.add("currency", "invalid", "only EUR is accepted")
        p.text(body, "number", required=True, limit=LIMITS["number"])
        for key in ("terms_and_conditions", "header", "footer"):
            p.text(body, key, limit=LIMITS[key])
        items = body.get("items")
        lines: list[dict[str, Any]] = []
        if not isinstance(items, list) or not items:
            p.add("items", "blank", "items can't be blank")
        else:
            lines = [invoice_line(p, item, f"items/{n}", "EUR") for n, item in enumerate(items)]
        p.check()
        assert client_id is not None
        assert issue is not None
        assert expiry is not None
        total = sum(line["total_amount_cents"] for line in lines)
        vat = sum(line["total_vat_cents"] for line in lines)
        embed = data.client_records.embed(data.clients.index[client_id])
        fields: dict[str, Any] = dict.fromkeys(OPTIONAL)
        fields.update({k: body[k] for k in OPTIONAL if k in body})
        fields.update(
            number=body["number"],
            status="pending_approval",
            currency="EUR",
            issue_date=issue.isoformat(),
            expiry_date=expiry.isoformat(),
            items=lines,
            total_amount=amount(total, "EUR"),
            total_amount_cents=total,
            vat_amount=amount(vat, "EUR"),
            vat_amount_cents=vat,
            client=msgspec.json.decode(embed),
            invoice_ids=[],
        )
        fields.pop("settings", None)
        fields.pop("upload_id", None)
        quote_id = self._store.create("quotes", **fields)
        request[SERVED] = ("quotes", (quote_id,))
        return json_response(encode({"quote": self._store.record("quotes", quote_id)}), 201)
