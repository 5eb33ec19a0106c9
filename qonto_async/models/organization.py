"""The authenticated organization and its accounts: ``GET /v2/organization``."""

from __future__ import annotations

from typing import Any

from ._dates import Day, Timestamp
from ._lenient import lenient_decoder
from ._money import Money
from .bank_account import BankAccount
from .common import QontoModel

__all__ = ["Organization", "decode_organization"]


class Organization(QontoModel, frozen=True, kw_only=True):
    """The organization the credentials belong to, with its ``bank_accounts`` (the external
    ones too with ``include_external_accounts=True``).

    ``contract_signed_at`` is an aware datetime in UTC. Qonto writes it
    ``"2022-12-01 08:57:00.123047"``: a space, microseconds and no zone, unlike its other
    timestamps. Like every zoneless timestamp (the one rule of :func:`~._dates.dec_hook`) it
    is read as UTC, the zone of every other Qonto timestamp (UNCONFIRMED: the docs say
    nothing of it), so it compares with them; a value with a zone keeps it.
    ``address`` is undocumented (one client reports an environment-specific object): kept as
    the plain JSON values sent.
    """

    id: str | None = None
    name: str | None = None
    slug: str | None = None
    legal_name: str | None = None
    legal_number: str | None = None
    legal_sector: str | None = None
    legal_form: str | None = None
    legal_country: str | None = None
    legal_address: str | None = None
    legal_registration_date: Day | None = None
    legal_share_capital: Money | None = None
    locale: str | None = None
    contract_signed_at: Timestamp | None = None
    bank_accounts: list[BankAccount] | None = None
    address: Any = None


class _OrganizationEnvelope(QontoModel, frozen=True, kw_only=True):
    organization: Organization


_ORGANIZATION = lenient_decoder(_OrganizationEnvelope)


def decode_organization(data: bytes) -> Organization:
    """Decode ``{"organization": {...}}``."""
    return _ORGANIZATION(data).organization
