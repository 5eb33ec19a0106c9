"""Static checks of the banking models' public types (run by ``mypy --strict``; never executed)."""

import datetime
from decimal import Decimal
from typing import assert_type

import qonto_async
from qonto_async.models import (
    STATEMENT_SORT_FIELDS,
    TRANSACTION_INCLUDES,
    TRANSACTION_SIDES,
    TRANSACTION_SORT_FIELDS,
    TRANSACTION_STATUSES,
    Attachment,
    BankAccount,
    CashflowCategory,
    Counterparty,
    Label,
    Membership,
    Organization,
    Statement,
    StatementFile,
    StatementSort,
    Transaction,
    TransactionInclude,
    TransactionSide,
    TransactionSort,
    TransactionStatus,
    VatDetails,
    VatItem,
    decode_bank_account,
    decode_bank_account_page,
    decode_label,
    decode_label_page,
    decode_membership,
    decode_membership_page,
    decode_organization,
    decode_statement,
    decode_statement_page,
    decode_transaction,
    decode_transaction_attachment_page,
    decode_transaction_page,
)
from qonto_async.models.common import DecodedPage
from qonto_async.webhooks import TransactionCreated, TransactionUpdated, WebhookEvent


def check_decoders(body: bytes) -> None:
    assert_type(decode_organization(body), Organization)
    assert_type(decode_bank_account(body), BankAccount)
    assert_type(decode_bank_account_page(body), DecodedPage[BankAccount])
    assert_type(decode_transaction(body), Transaction)
    assert_type(decode_transaction_page(body), DecodedPage[Transaction])
    assert_type(decode_transaction_attachment_page(body), DecodedPage[Attachment])
    assert_type(decode_label(body), Label)
    assert_type(decode_label_page(body), DecodedPage[Label])
    assert_type(decode_membership(body), Membership)
    assert_type(decode_membership_page(body), DecodedPage[Membership])
    assert_type(decode_statement(body), Statement)
    assert_type(decode_statement_page(body), DecodedPage[Statement])


def check_constants() -> None:
    assert_type(TRANSACTION_STATUSES, tuple[TransactionStatus, ...])
    assert_type(TRANSACTION_SIDES, tuple[TransactionSide, ...])
    assert_type(TRANSACTION_INCLUDES, tuple[TransactionInclude, ...])
    assert_type(TRANSACTION_SORT_FIELDS, tuple[TransactionSort, ...])
    assert_type(STATEMENT_SORT_FIELDS, tuple[StatementSort, ...])
    status: TransactionStatus = "pending"
    include: TransactionInclude = "labels"
    side: TransactionSide = "debit"
    del status, include, side


def check_transaction(t: Transaction) -> None:
    assert_type(t.id, str)
    assert_type(t.amount, Decimal)
    assert_type(t.amount_cents, int)
    assert_type(t.signed_amount, Decimal)
    assert_type(t.signed_amount_cents, int)
    assert_type(t.local_amount_cents, int | None)
    assert_type(t.settled_balance, Decimal | None)
    assert_type(t.settled_balance_cents, int | None)
    assert_type(t.side, str)
    assert_type(t.status, str)
    assert_type(t.subject_type, str)
    assert_type(t.emitted_at, datetime.datetime | None)
    assert_type(t.settled_at, datetime.datetime | None)
    assert_type(t.bank_account_id, str | None)
    assert_type(t.attachments, list[Attachment] | None)
    assert_type(t.labels, list[Label] | None)
    assert_type(t.transfer, Counterparty | None)
    assert_type(t.cashflow_category, CashflowCategory | None)
    assert_type(t.vat_details, VatDetails | None)
    if t.vat_details is not None and t.vat_details.items:
        assert_type(t.vat_details.items[0], VatItem)
        assert_type(t.vat_details.items[0].amount_cents, int | None)


def check_others(org: Organization, account: BankAccount, statement: Statement) -> None:
    assert_type(org.contract_signed_at, datetime.datetime | None)
    assert_type(org.legal_share_capital, Decimal | None)
    assert_type(org.legal_registration_date, datetime.date | None)
    assert_type(org.bank_accounts, list[BankAccount] | None)
    assert_type(account.account_number, str | None)
    assert_type(account.balance, Decimal | None)
    assert_type(account.balance_cents, int | None)
    assert_type(statement.file, StatementFile | None)
    if statement.file is not None:
        assert_type(statement.file.file_size, int | None)


def check_events(event: WebhookEvent) -> None:
    if isinstance(event, TransactionCreated | TransactionUpdated):
        assert_type(event.data, Transaction)
        assert_type(event.data.signed_amount, Decimal)


def check_root_exports() -> None:
    assert_type(qonto_async.Transaction, type[Transaction])
    assert_type(qonto_async.BankAccount, type[BankAccount])
