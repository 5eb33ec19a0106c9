"""Memberships: ``GET /v2/memberships`` and the authenticated one, ``GET /v2/membership``."""

from __future__ import annotations

import msgspec

from ._dates import Day
from ._lenient import lenient_decoder, lenient_page_decoder
from .common import Meta, QontoModel

__all__ = ["Membership", "MembershipList", "decode_membership", "decode_membership_page"]


class Membership(QontoModel, frozen=True, kw_only=True):
    """A member of the organization. ``role`` (``owner``, ``admin``, ``manager``,
    ``reporting``, ``employee``, ``accountant``...) and ``status`` (``active``, ``invitable``
    for an invitation not yet accepted...) pass through as sent. ``email``, ``phone_number``,
    ``position``, ``locale`` and ``kyc_status`` come with ``GET /v2/membership`` only (the list
    omits them); an invited member has no ``role`` or ``team_id`` yet (UNCONFIRMED)."""

    id: str
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None
    status: str | None = None
    team_id: str | None = None
    residence_country: str | None = None
    nationality: str | None = None
    birth_country: str | None = None
    birthdate: Day | None = None
    ubo: bool | None = None
    email: str | None = None
    phone_number: str | None = None
    position: str | None = None
    locale: str | None = None
    kyc_status: str | None = None


class MembershipList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/memberships``."""

    items: list[Membership] = msgspec.field(name="memberships")
    meta: Meta | None = None


class _MembershipEnvelope(QontoModel, frozen=True, kw_only=True):
    membership: Membership


_MEMBERSHIP = lenient_decoder(_MembershipEnvelope)
decode_membership_page = lenient_page_decoder(MembershipList, Membership)
"""``{"memberships": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


def decode_membership(data: bytes) -> Membership:
    """Decode ``{"membership": {...}}`` (``GET /v2/membership``)."""
    return _MEMBERSHIP(data).membership
