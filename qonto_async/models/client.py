"""Clients: ``GET /v2/clients/{id}`` and ``GET /v2/clients``."""

from __future__ import annotations

import msgspec

from ._dates import Timestamp
from .common import Address, Meta, Phone, QontoModel, model_decoder, page_decoder

__all__ = ["CLIENT_SORT_FIELDS", "Client", "ClientList", "decode_client", "decode_client_list"]

CLIENT_SORT_FIELDS = ("created_at", "updated_at", "name")
"""What ``GET /v2/clients`` sorts on (``sort_by=<field>:asc|desc``; default ``name:asc``)."""


class Client(QontoModel, frozen=True, kw_only=True):
    """A client, company or individual (also the snapshot embedded in a client invoice).

    ``kind``/``type`` are ``company``, ``individual`` or ``freelancer``; companies carry
    ``name``, individuals and freelancers ``first_name``/``last_name``.
    """

    id: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone_number: str | None = None
    phone: Phone | None = None
    kind: str | None = None
    type: str | None = None
    email: str | None = None
    extra_emails: list[str] | None = None
    currency: str | None = None
    e_invoicing_address: str | None = None
    e_invoicing_reachable: bool | None = None
    vat_number: str | None = None
    tax_identification_number: str | None = None
    address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    province_code: str | None = None
    country_code: str | None = None
    billing_address: Address | None = None
    delivery_address: Address | None = None
    recipient_code: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    locale: str | None = None

    @property
    def display_name(self) -> str:
        """``name`` if set, else ``"first_name last_name"`` (``""`` when nothing is known)."""
        if self.name:
            return self.name
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class ClientList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/clients``."""

    items: list[Client] = msgspec.field(name="clients")
    meta: Meta | None = None


class _ClientEnvelope(QontoModel, frozen=True, kw_only=True):
    client: Client


_CLIENT = model_decoder(_ClientEnvelope)
_CLIENT_LIST = model_decoder(ClientList)
decode_client_page = page_decoder(ClientList, Client)
"""``{"clients": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


def decode_client(data: bytes) -> Client:
    """Decode ``{"client": {...}}``."""
    return _CLIENT.decode(data).client


def decode_client_list(data: bytes) -> ClientList:
    """Decode ``{"clients": [...], "meta": {...}}``."""
    return _CLIENT_LIST.decode(data)
