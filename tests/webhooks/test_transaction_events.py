"""``v1/transactions`` webhooks: Qonto's example (``tests/fixtures/transaction_webhook.json``,
verbatim from ``qonto-api-banking.md`` §5.3) and the variants its docs versions show, verified
and decoded into ``TransactionCreated`` / ``TransactionUpdated``."""

from __future__ import annotations

import copy
import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from qonto_async import Transaction
from qonto_async.webhooks import (
    EVENT_TYPES,
    SignatureMismatchError,
    TransactionCreated,
    TransactionUpdated,
    UnknownEvent,
    WebhookPayloadError,
    decode_event,
    event_body,
    sign,
    verify,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "transaction_webhook.json"
SECRET = "whsec_0123456789abcdef0123456789abcdef"
NOW = 1_767_225_600
UTC = datetime.UTC


def delivery(data: dict[str, Any] | None = None, **envelope: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(FIXTURE.read_bytes())
    if data is not None:
        event["data"].update(data)
    event.update(envelope)
    return event


def encoded(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def test_the_documented_example() -> None:
    body = FIXTURE.read_bytes()

    event = verify(body, sign(body, SECRET, NOW), SECRET, now=NOW)

    assert isinstance(event, TransactionCreated)
    assert (event.type, event.topic, event.action) == (
        "v1/transactions/created",
        "v1/transactions",
        "created",
    )
    assert event.id == "123e4567-e89b-12d3-a456-426614174000"
    assert event.created_at == datetime.datetime(2025, 1, 24, 10, 55, tzinfo=UTC)
    t = event.data
    assert type(t) is Transaction
    assert (t.id, t.transaction_id) == (
        "123e4567-e89b-12d3-a456-426614174000",
        "super-transaction-6576",
    )
    assert (t.amount, t.currency, t.side) == (Decimal("50.01"), "EUR", "debit")
    assert (t.local_amount, t.local_currency) == (Decimal("45.01"), "USD")
    # no *_cents in the webhook: computed in the account's currency, not in another one
    assert (t.amount_cents, t.signed_amount_cents, t.signed_amount) == (
        5001,
        -5001,
        Decimal("-50.01"),
    )
    assert t.local_amount_cents is None
    assert (t.settled_balance, t.settled_balance_cents) == (Decimal("100.02"), 10002)
    assert (t.operation_type, t.status, t.subject_type) == ("transfer", "completed", "Transfer")
    assert (t.label, t.clean_counterparty_name) == ("ACME Corp", "ACME Corp")
    assert (t.note, t.reference) == ("Business lunch", "INV-1234")
    assert t.settled_at == t.emitted_at == datetime.datetime(2025, 1, 24, 10, 54, tzinfo=UTC)
    assert t.updated_at == datetime.datetime(2025, 1, 24, 10, 55, tzinfo=UTC)
    assert t.attachment_ids == ["attachment-1", "attachment-2"]
    assert t.bank_account_id == "123e4567-e89b-12d3-a456-426614174000"
    assert t.transfer is not None
    assert t.transfer.counterparty_account_number_format == "account_number"
    assert t.transfer.counterparty_bank_identifier_format == "bic"
    assert (t.label_ids, t.attachment_lost, t.category) == (None, None, None)  # not sent
    assert event_body(event) == body


def test_a_forged_transaction_event_is_refused() -> None:
    body = FIXTURE.read_bytes()
    header = sign(body, SECRET, NOW)

    with pytest.raises(SignatureMismatchError):
        verify(body.replace(b"50.01", b"5000.01"), header, SECRET, now=NOW)


def test_updated_and_both_spellings() -> None:
    updated = decode_event(encoded(delivery({"event": "updated", "status": "declined"})))
    spelled = delivery(type="v1/transactions/updated")
    del spelled["data"]["event"]
    slashed = decode_event(encoded(spelled))
    both = decode_event(encoded(delivery(type="v1/transactions/created")))

    assert isinstance(updated, TransactionUpdated)
    assert (updated.type, updated.action, updated.data.status) == (
        "v1/transactions/updated",
        "updated",
        "declined",
    )
    assert isinstance(slashed, TransactionUpdated)
    assert isinstance(both, TransactionCreated)
    assert slashed.data == both.data == msgspec.structs.replace(updated.data, status="completed")


@pytest.mark.parametrize(
    ("raw", "amount", "cents"),
    [
        (b"50.01", "50.01", 5001),
        (b'"50.00"', "50.00", 5000),
        (b"50", "50", 5000),
        (b'"50,00"', "50.00", 5000),
        (b"0.1000000000000000055511151231257827", "0.1000000000000000055511151231257827", 10),
    ],
)
@pytest.mark.parametrize("kind", ["v1/transactions", "v1/transactions/created"])
def test_amount_as_number_or_string(raw: bytes, amount: str, cents: int, kind: str) -> None:
    body = encoded(delivery(type=kind)).replace(b'"amount":50.01', b'"amount":' + raw, 1)
    assert raw in body

    event = verify(body, sign(body, SECRET, NOW), SECRET, now=NOW)

    assert isinstance(event, TransactionCreated)
    assert str(event.data.amount) == amount  # exact: never through a float
    assert event.data.amount_cents == cents
    assert event_body(event) == body  # the delivery as sent, not the respelled one


def test_the_bank_account_object_version() -> None:
    data = delivery(
        {
            "bank_account": {
                "id": "acc-1",
                "iban": "FR7616798000010000005663951",
                "bic": "QNTOFRP1XXX",
                "name": "Main account",
            },
            "created_at": "2025-01-24T10:54:00Z",
            "card_last_digits": "4242",
            "subject_type": "Card",
            "operation_type": "card",
            "income": {
                "counterparty_account_number": "FR76",
                "counterparty_account_number_format": "iban",
                "counterparty_bank_identifier": "BNPAFRPP",
                "counterparty_bank_identifier_format": "bic",
            },
            "swift_income": None,
            "direct_debit": None,
        }
    )
    del data["data"]["bank_account_id"]

    event = decode_event(encoded(data))

    assert isinstance(event, TransactionCreated)
    t = event.data
    assert t.bank_account_id == "acc-1"
    assert t.bank_account is not None
    assert t.bank_account.iban == "FR7616798000010000005663951"
    assert (t.subject_type, t.operation_type, t.card_last_digits) == ("Card", "card", "4242")
    assert t.created_at == datetime.datetime(2025, 1, 24, 10, 54, tzinfo=UTC)
    assert t.income is not None
    assert t.income.counterparty_bank_identifier == "BNPAFRPP"
    assert (t.swift_income, t.direct_debit) == (None, None)


def test_unknown_subject_type_and_fields() -> None:
    data = delivery(
        {
            "subject_type": "InstantCryptoThing",
            "operation_type": "something_new",
            "status": "reversed",
            "x_new_field": {"a": [1, 2, 3]},
            "instant_crypto_thing": {"wallet": "0x0"},
            "attachments": [{"id": "att-1", "file_size": "666", "unknown": True}],
            "vat_details": {"items": [{"amount": "1,00", "amount_cents": "100"}]},
        },
        x_envelope_field="ignored",
    )

    event = decode_event(encoded(data))

    assert isinstance(event, TransactionCreated)
    t = event.data
    assert (t.subject_type, t.operation_type, t.status) == (
        "InstantCryptoThing",
        "something_new",
        "reversed",
    )
    assert t.attachments is not None
    assert t.attachments[0].file_size == 666
    assert t.vat_details is not None
    assert t.vat_details.items is not None
    assert (t.vat_details.items[0].amount, t.vat_details.items[0].amount_cents) == (
        Decimal("1.00"),
        100,
    )


def test_an_unknown_action_stays_an_unknown_event() -> None:
    event = decode_event(encoded(delivery({"event": "deleted"})))

    assert isinstance(event, UnknownEvent)
    assert (event.type, event.action) == ("v1/transactions", "deleted")
    assert event.data["amount"] == 50.01


@pytest.mark.parametrize(
    "data",
    [{"amount": None}, {"amount": "fifty"}, {"label": 5}, {"emitted_at": "soon"}],
)
def test_a_malformed_transaction_is_a_payload_error(data: dict[str, Any]) -> None:
    for kind in ("v1/transactions", "v1/transactions/created"):
        body = encoded(delivery(data, type=kind))
        with pytest.raises(WebhookPayloadError, match=r"\$\.data\."):
            verify(body, sign(body, SECRET, NOW), SECRET, now=NOW)


def test_a_transaction_without_its_required_fields_is_a_payload_error() -> None:
    event = delivery()
    event["data"] = copy.deepcopy({"event": "created", "id": "t1"})

    with pytest.raises(WebhookPayloadError, match="missing required field"):
        decode_event(encoded(event))


def test_the_event_types_list_the_transaction_events() -> None:
    assert {"v1/transactions/created", "v1/transactions/updated"} <= set(EVENT_TYPES)
