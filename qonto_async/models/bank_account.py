"""Bank (business) accounts: ``GET /v2/bank_accounts`` and ``GET /v2/bank_accounts/{id}``;
also listed in ``GET /v2/organization``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from ._dates import Timestamp
from ._lenient import lenient_decoder, lenient_page_decoder
from ._money import Money, insane_money
from .common import Meta, QontoModel

__all__ = [
    "BankAccount",
    "BankAccountList",
    "decode_bank_account",
    "decode_bank_account_page",
]

if TYPE_CHECKING:
    _AccountNumber = str
else:
    # The docs example sends a JSON number (1234567890), the spec and a live-tested client a
    # string (UNCONFIRMED which): both decode, and __post_init__ makes the number a string.
    _AccountNumber = str | int


class BankAccount(QontoModel, frozen=True, kw_only=True):
    """One account, internal or (``is_external_account``) connected from another bank.

    Every field may be missing: Qonto hides all but ``id``, ``name``, ``status``, ``main`` and
    ``organization_id`` from a member without the right to see balances, ``slug`` comes only
    with ``GET /v2/organization`` and ``organization_id`` only with ``/v2/bank_accounts``, and
    the docs' organization example even lists an account without its ``id``. ``status`` is
    ``active`` or ``closed`` (others pass through). Balances are :data:`Money` (Qonto sends
    them as numbers, or as strings by some accounts); ``balance`` is booked,
    ``authorized_balance`` also counts pending card authorisations. ``account_number`` is a
    string, whether Qonto sends a string or a number.
    """

    id: str | None = None
    slug: str | None = None
    organization_id: str | None = None
    name: str | None = None
    status: str | None = None
    main: bool | None = None
    iban: str | None = None
    bic: str | None = None
    currency: str | None = None
    balance: Money | None = None
    balance_cents: int | None = None
    authorized_balance: Money | None = None
    authorized_balance_cents: int | None = None
    updated_at: Timestamp | None = None
    is_external_account: bool | None = None
    account_number: _AccountNumber | None = None

    def __post_init__(self) -> None:
        number: object = self.account_number
        if type(number) is int:
            msgspec.structs.force_setattr(self, "account_number", str(number))
        # "NaN", "Infinity", 1e400: refused here, not by the first sum (see insane_money).
        for name in ("balance", "authorized_balance"):
            problem = insane_money(getattr(self, name))
            if problem is not None:
                raise ValueError(f"bank account {self.id!r}: `{name}` {problem}")


class BankAccountList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/bank_accounts``: Qonto sends no ``meta`` here (the list ends
    with a short page)."""

    items: list[BankAccount] = msgspec.field(name="bank_accounts")
    meta: Meta | None = None


class _BankAccountEnvelope(QontoModel, frozen=True, kw_only=True):
    bank_account: BankAccount


_BANK_ACCOUNT = lenient_decoder(_BankAccountEnvelope)
decode_bank_account_page = lenient_page_decoder(BankAccountList, BankAccount)
"""``{"bank_accounts": [...]}`` (``meta`` optional) with each item's JSON as sent."""


def decode_bank_account(data: bytes) -> BankAccount:
    """Decode ``{"bank_account": {...}}``."""
    return _BANK_ACCOUNT(data).bank_account
