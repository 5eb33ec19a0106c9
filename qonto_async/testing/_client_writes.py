"""``POST /v2/clients``, ``PATCH`` and ``DELETE /v2/clients/{id}``."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from ._data import Dataset
from ._files import not_found
from ._responses import SERVED, encode, json_response
from ._validation import Problems, read_body

__all__ = ["ClientWrites", "Store"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
KINDS = ("company", "individual", "freelancer")
ADDRESS_KEYS = ("street_address", "city", "zip_code", "province_code", "country_code")
FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "extra_emails",
    "phone",
    "e_invoicing_address",
    "vat_number",
    "tax_identification_number",
    "address",
    "city",
    "zip_code",
    "province_code",
    "country_code",
    "billing_address",
    "delivery_address",
    "recipient_code",
    "currency",
    "locale",
)
_FR_VAT = re.compile(r"FR[0-9A-Z]{2}\d{9}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class Store(Protocol):
    """What write handlers use of :class:`FakeQonto`: its public record controls."""

    dataset: Dataset

    def create(self, resource: str, **fields: Any) -> str: ...

    def update(self, resource: str, record_id: str, **fields: Any) -> None: ...

    def delete(self, resource: str, record_id: str) -> None: ...

    def record(self, resource: str, record_id: str) -> dict[str, Any]: ...


class ClientWrites:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def create(self, request: web.Request) -> web.StreamResponse:
        body = await read_body(request, wrapper="client")
        kind = body.get("kind") or body.get("type")
        fields = self._validate(body, kind)
        record: dict[str, Any] = dict.fromkeys(FIELDS)
        record.update(fields)
        record.update(kind=kind, type=kind, e_invoicing_reachable=False, phone_number=None)
        self._mirror_address(record, body)
        phone = record.get("phone")
        if isinstance(phone, dict):
            record["phone_number"] = f"{phone.get('country_code', '')}{phone.get('number', '')}"
        client_id = self._store.create("clients", **record)
        return self._answer(request, client_id, 200)  # 200 on Qonto's documented page

    async def update(self, request: web.Request) -> web.StreamResponse:
        client_id = request.match_info["id"]
        if client_id not in self._store.dataset.clients.index:
            return not_found(request)
        body = await read_body(request, wrapper="client")
        current = self._store.record("clients", client_id)
        kind = body.get("kind") or body.get("type") or current["kind"]
        fields = self._validate({**current, **body}, kind, given=body)
        changes = {k: v for k, v in fields.items() if k in body}
        if kind != current["kind"]:
            changes.update(kind=kind, type=kind)
            if kind == "individual":  # Qonto clears what an individual cannot have
                changes.update(vat_number=None, name=None)
        merged = {**current, **changes}
        self._mirror_address(merged, body)
        changes.update({k: merged[k] for k in ("address", "city", "zip_code", "country_code")})
        self._store.update("clients", client_id, **changes)
        return self._answer(request, client_id, 200)

    async def delete(self, request: web.Request) -> web.StreamResponse:
        client_id = request.match_info["id"]
        if client_id not in self._store.dataset.clients.index:
            return not_found(request)
        self._store.delete("clients", client_id)
        return web.Response(status=204)

    def _validate(
        self,
        body: dict[str, Any],
        kind: Any,
        *,
        given: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        p = Problems()
        if kind not in KINDS:
            p.add("kind", "invalid" if kind else "blank", f"kind must be one of {', '.join(KINDS)}")
        if kind == "company":
            p.text(body, "name", required=True, limit=250)
        elif kind in ("individual", "freelancer"):
            p.text(body, "first_name", required=True, limit=60)
            p.text(body, "last_name", required=True, limit=60)
        p.email(body, "email")
        vat = p.text(body, "vat_number", limit=20)
        if vat and vat.startswith("FR") and not _FR_VAT.fullmatch(vat):
            p.add("vat_number", "invalid", "a French VAT number is FR, a 2-character key, 9 digits")
        p.text(body, "tax_identification_number", limit=30)
        p.text(body, "city", limit=50)
        for key in (
            "e_invoicing_address",
            "address",
            "zip_code",
            "province_code",
            "country_code",
            "recipient_code",
            "locale",
            "first_name",
            "last_name",
            "name",
        ):
            p.text(body, key)
        currency = p.text(body, "currency")
        if currency is not None and not _CURRENCY.fullmatch(currency):
            p.add("currency", "invalid", "currency must be an ISO 4217 code")
        extra = body.get("extra_emails")
        if extra is not None and (
            not isinstance(extra, list)
            or len(extra) > 100
            or not all(isinstance(e, str) for e in extra)
        ):
            p.add("extra_emails", "invalid", "extra_emails must be at most 100 email addresses")
        for key in ("billing_address", "delivery_address"):
            value = body.get(key)
            if value is not None and (
                not isinstance(value, dict) or any(k not in ADDRESS_KEYS for k in value)
            ):
                p.add(key, "invalid", f"{key} takes {', '.join(ADDRESS_KEYS)}")
        phone = body.get("phone")
        if phone is not None and not (
            isinstance(phone, dict) and set(phone) <= {"country_code", "number"}
        ):
            p.add("phone", "invalid", "phone takes country_code and number")
        p.check()
        source = given if given is not None else body
        out = {k: source[k] for k in FIELDS if k in source}
        for key in ("billing_address", "delivery_address"):
            if isinstance(out.get(key), dict):
                out[key] = {k: out[key].get(k) for k in ADDRESS_KEYS}
        return out

    @staticmethod
    def _mirror_address(record: dict[str, Any], body: dict[str, Any]) -> None:
        """The deprecated root address and ``billing_address`` show the same place."""
        billing = record.get("billing_address")
        if isinstance(billing, dict) and "billing_address" in body:
            record["address"] = billing.get("street_address")
            for key in ("city", "zip_code", "province_code", "country_code"):
                record[key] = billing.get(key)
        elif any(k in body for k in ("address", "city", "zip_code", "country_code")):
            record["billing_address"] = {
                "street_address": record.get("address"),
                **{k: record.get(k) for k in ("city", "zip_code", "province_code", "country_code")},
            }

    def _answer(self, request: web.Request, client_id: str, status: int) -> web.Response:
        request[SERVED] = ("clients", (client_id,))
        record = self._store.record("clients", client_id)
        return json_response(encode({"client": record}), status)
