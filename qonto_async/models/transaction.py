"""Transactions: ``GET /v2/transactions``, ``GET /v2/transactions/{id}``, the ``data`` of a
``v1/transactions`` webhook, and a transaction's attachments
(``GET /v2/transactions/{id}/attachments``)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypeVar, cast, get_args

import msgspec

from ._dates import Timestamp
from ._lenient import lenient_decoder, lenient_page_decoder
from ._money import Money, insane_money
from .attachment import Attachment
from .common import Meta, QontoModel
from .label import Label

__all__ = [
    "TRANSACTION_INCLUDES",
    "TRANSACTION_SIDES",
    "TRANSACTION_SORT_FIELDS",
    "TRANSACTION_STATUSES",
    "CashflowCategory",
    "Cheque",
    "Counterparty",
    "DirectDebitHold",
    "FinancingInstallment",
    "Logo",
    "PagopaPayment",
    "Transaction",
    "TransactionAttachmentList",
    "TransactionBankAccount",
    "TransactionInclude",
    "TransactionList",
    "TransactionSide",
    "TransactionSort",
    "TransactionStatus",
    "VatDetails",
    "VatItem",
    "decode_transaction",
    "decode_transaction_attachment_page",
    "decode_transaction_page",
]

TransactionStatus = Literal["pending", "declined", "completed"]
"""A status ``GET /v2/transactions`` filters on (``status[]``). Qonto's own default is
``completed`` only; older sources also name ``reversed`` (UNCONFIRMED today): a decoded
``Transaction.status`` is any string."""

TRANSACTION_STATUSES: tuple[TransactionStatus, ...] = get_args(TransactionStatus)
"""The statuses Qonto documents for transactions, in lifecycle order."""

TransactionSide = Literal["credit", "debit"]
"""Money in (``credit``) or out (``debit``)."""

TRANSACTION_SIDES: tuple[TransactionSide, ...] = get_args(TransactionSide)

TransactionInclude = Literal["vat_details", "labels", "attachments"]
"""What ``includes[]`` embeds in each transaction."""

TRANSACTION_INCLUDES: tuple[TransactionInclude, ...] = get_args(TransactionInclude)

TransactionSort = Literal["updated_at", "settled_at", "emitted_at"]
"""The fields ``sort_by`` takes (``field:asc`` or ``field:desc``; default ``settled_at:desc``,
UNCONFIRMED)."""

TRANSACTION_SORT_FIELDS: tuple[TransactionSort, ...] = get_args(TransactionSort)

_HUNDRED = 2  # Qonto's *_cents are hundredths of the account's currency (EUR)
_N = TypeVar("_N", int, Decimal)


class Counterparty(QontoModel, frozen=True, kw_only=True):
    """The other side of a ``transfer``, ``income``, ``swift_income``, ``direct_debit`` or
    ``direct_debit_collection``. The formats are sent ``IBAN``/``SWIFT_BIC`` by the REST docs
    and ``iban``/``account_number``/``bic`` by the webhook docs (UNCONFIRMED which is live):
    compare them case-insensitively."""

    counterparty_account_number: str | None = None
    counterparty_account_number_format: str | None = None
    counterparty_bank_identifier: str | None = None
    counterparty_bank_identifier_format: str | None = None


class Cheque(QontoModel, frozen=True, kw_only=True):
    """A cheque: ``operation_type`` ``cheque``, under the key ``check``."""

    check_number: str | None = None
    check_key: str | None = None


class FinancingInstallment(QontoModel, frozen=True, kw_only=True):
    total_installments_number: int | None = None
    current_installment_number: int | None = None


class PagopaPayment(QontoModel, frozen=True, kw_only=True):
    """An Italian PagoPA payment."""

    notice_number: str | None = None
    creditor_fiscal_code: str | None = None
    iuv: str | None = None


class DirectDebitHold(QontoModel, frozen=True, kw_only=True):
    """``guarding_rate`` is a string in Qonto's spec: read as a number from a number or a
    numeric string (the tolerant reading)."""

    guarding_rate: Money | None = None


class Logo(QontoModel, frozen=True, kw_only=True):
    """Image links of the counterparty's logo."""

    small: str | None = None
    medium: str | None = None


class CashflowCategory(QontoModel, frozen=True, kw_only=True):
    """``{"name": "Others"}``; the newest docs add its ``id``."""

    id: str | None = None
    name: str | None = None


class VatItem(QontoModel, frozen=True, kw_only=True):
    """One VAT rate's share. Qonto's spec sends every field as a string, the ``_cents`` too:
    strings and numbers both decode."""

    amount: Money | None = None
    amount_cents: int | None = None
    amount_excluding_vat: Money | None = None
    amount_excluding_vat_cents: int | None = None
    rate: Money | None = None


class VatDetails(QontoModel, frozen=True, kw_only=True):
    items: list[VatItem] | None = None


class TransactionBankAccount(QontoModel, frozen=True, kw_only=True):
    """The account as one version of the webhook sends it, instead of ``bank_account_id``."""

    id: str | None = None
    iban: str | None = None
    bic: str | None = None
    name: str | None = None


if TYPE_CHECKING:
    _Cents = int
else:
    _Cents = int | None  # absent from webhooks: filled in by __post_init__

_ABSENT = cast(int, None)


class Transaction(QontoModel, frozen=True, kw_only=True):
    """One movement of one account.

    ``amount`` is always positive, the direction is in ``side``: :attr:`signed_amount` and
    :attr:`signed_amount_cents` carry the sign. Money is :data:`~decimal.Decimal`, exact,
    from a JSON number or a string (``"10,00"`` included); ``*_cents`` are integers, the
    surest for arithmetic. ``status`` (``pending``, ``declined``, ``completed``),
    ``operation_type`` (``card``, ``transfer``, ``income``, ``direct_debit``, ``cheque``,
    ``swift_income``, ``qonto_fee``, ``recall``...), ``category`` and ``subject_type`` pass
    through as sent: Qonto adds values, and spells ``subject_type`` ``transfer`` in REST
    answers but ``Transfer`` in webhooks (compare case-insensitively). ``subject_type`` says
    which one of ``transfer``, ``income``, ``swift_income``, ``direct_debit``,
    ``direct_debit_collection``, ``check``, ``financing_installment``, ``pagopa_payment``,
    ``direct_debit_hold`` is filled (a card payment has none: see ``card_last_digits``).

    ``settled_at``, ``settled_balance`` and ``settled_balance_cents`` are None while the
    transaction is pending. ``attachments``, ``labels`` and ``vat_details`` are None unless
    asked for with ``includes``.

    A ``v1/transactions`` webhook sends no ``*_cents``, and one version of it a
    ``bank_account`` object instead of ``bank_account_id``. So, when absent:
    ``amount_cents`` (always an int), ``settled_balance_cents`` and ``vat_amount_cents`` are
    computed from their decimal (times 100, rounded half-even: Qonto's cents are hundredths of
    the account's currency); ``local_amount_cents`` only when ``local_currency`` is the
    account's currency (another currency's minor unit may not be a hundredth), None
    otherwise; ``bank_account_id`` is ``bank_account.id``. A value sent is never replaced.

    An ``amount``, ``local_amount`` or ``settled_balance`` that is no amount of money (``NaN``,
    an infinity, 10^16 units or more: see :data:`~._money.SANE_EXPONENT`) fails decoding with a
    :class:`msgspec.ValidationError` naming the transaction and the field.
    """

    id: str
    transaction_id: str
    amount: Money
    amount_cents: _Cents = _ABSENT
    local_amount: Money
    local_amount_cents: int | None = None
    currency: str
    local_currency: str
    side: str
    operation_type: str
    status: str
    label: str
    subject_type: str
    emitted_at: Timestamp | None
    updated_at: Timestamp | None
    settled_at: Timestamp | None = None
    created_at: Timestamp | None = None
    settled_balance: Money | None = None
    settled_balance_cents: int | None = None
    clean_counterparty_name: str | None = None
    logo: Logo | None = None
    note: str | None = None
    reference: str | None = None
    vat_amount: Money | None = None
    vat_amount_cents: int | None = None
    vat_rate: Money | None = None
    initiator_id: str | None = None
    label_ids: list[str] | None = None
    attachment_ids: list[str] | None = None
    attachment_lost: bool | None = None
    attachment_required: bool | None = None
    card_last_digits: str | None = None
    category: str | None = None
    cashflow_category: CashflowCategory | None = None
    cashflow_subcategory: CashflowCategory | None = None
    bank_account_id: str | None = None
    bank_account: TransactionBankAccount | None = None
    is_external_transaction: bool | None = None
    attachments: list[Attachment] | None = None
    labels: list[Label] | None = None
    vat_details: VatDetails | None = None
    transfer: Counterparty | None = None
    income: Counterparty | None = None
    swift_income: Counterparty | None = None
    direct_debit: Counterparty | None = None
    direct_debit_collection: Counterparty | None = None
    check: Cheque | None = None
    financing_installment: FinancingInstallment | None = None
    pagopa_payment: PagopaPayment | None = None
    direct_debit_hold: DirectDebitHold | None = None

    def __post_init__(self) -> None:
        # msgspec decodes "NaN", "Infinity" and 1e400 into a Decimal: refused here, naming the
        # transaction and the field, not later by some arithmetic (see _money.insane_money).
        # Two C calls a value; 15 is SANE_EXPONENT written as a literal (a name costs 50 ns a
        # record more): ~0.2 us a record in all, 3% to 5% of its decode.
        amount, local, balance = self.amount, self.local_amount, self.settled_balance
        if not (
            amount.is_finite()
            and -15 <= amount.adjusted() <= 15
            and local.is_finite()
            and -15 <= local.adjusted() <= 15
            and (balance is None or (balance.is_finite() and -15 <= balance.adjusted() <= 15))
        ):
            _refuse_insane_money(self)
        # REST answers carry their *_cents: two comparisons, ~0.1 us (2% of a record's decode).
        if self.amount_cents is _ABSENT:  # None: absent, or null
            _fill_webhook_fields(self)
        elif self.bank_account_id is None and self.bank_account is not None:
            msgspec.structs.force_setattr(self, "bank_account_id", self.bank_account.id)

    @property
    def signed_amount(self) -> Decimal:
        """``amount`` negative for a ``debit``, positive for a ``credit``; ValueError naming
        the transaction for any other ``side`` (the sign of money is never guessed; an unknown
        ``side`` still decodes, like every enum-like field)."""
        return _signed(self, abs(self.amount))

    @property
    def signed_amount_cents(self) -> int:
        """``amount_cents`` negative for a ``debit``, positive for a ``credit``; ValueError
        naming the transaction for any other ``side``."""
        return _signed(self, abs(self.amount_cents))


def _signed(t: Transaction, magnitude: _N) -> _N:
    side = t.side
    direction = side if side in TRANSACTION_SIDES else side.lower()
    if direction == "debit":
        return -magnitude
    if direction == "credit":
        return magnitude
    raise ValueError(
        f"transaction {t.id!r} ({t.transaction_id!r}) has side {side!r}, neither 'credit' "
        "nor 'debit': its amount has no sign"
    )


def _refuse_insane_money(t: Transaction) -> None:
    """ValueError naming the transaction and its first money field that is no amount (a zero
    written with many decimals, such as ``0E-20``, is an amount: let through)."""
    for name in ("amount", "local_amount", "settled_balance"):
        problem = insane_money(getattr(t, name))
        if problem is not None:
            raise ValueError(f"transaction {t.id!r}: `{name}` {problem}")


def _cents(amount: Decimal) -> int:
    if not amount.is_finite():
        raise ValueError(f"amount {amount} is not a finite number")
    return int(amount.scaleb(_HUNDRED).to_integral_value())


def _fill_webhook_fields(t: Transaction) -> None:
    """The fields a webhook leaves out, from those it sends (see :class:`Transaction`)."""
    fill = msgspec.structs.force_setattr
    fill(t, "amount_cents", _cents(t.amount))
    if t.settled_balance_cents is None and t.settled_balance is not None:
        fill(t, "settled_balance_cents", _cents(t.settled_balance))
    if t.vat_amount_cents is None and t.vat_amount is not None:
        fill(t, "vat_amount_cents", _cents(t.vat_amount))
    if t.local_amount_cents is None and t.local_currency == t.currency:
        fill(t, "local_amount_cents", _cents(t.local_amount))
    if t.bank_account_id is None and t.bank_account is not None:
        fill(t, "bank_account_id", t.bank_account.id)


class TransactionList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/transactions`` (one account's)."""

    items: list[Transaction] = msgspec.field(name="transactions")
    meta: Meta | None = None


class TransactionAttachmentList(QontoModel, frozen=True, kw_only=True):
    """``GET /v2/transactions/{id}/attachments``: no ``meta`` (the list ends with a short
    page)."""

    items: list[Attachment] = msgspec.field(name="attachments")
    meta: Meta | None = None


class _TransactionEnvelope(QontoModel, frozen=True, kw_only=True):
    transaction: Transaction


_TRANSACTION = lenient_decoder(_TransactionEnvelope)
decode_transaction_page = lenient_page_decoder(TransactionList, Transaction)
"""``{"transactions": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""
decode_transaction_attachment_page = lenient_page_decoder(TransactionAttachmentList, Attachment)
"""``{"attachments": [...]}`` with each item's JSON as sent."""


def decode_transaction(data: bytes) -> Transaction:
    """Decode ``{"transaction": {...}}``."""
    return _TRANSACTION(data).transaction
