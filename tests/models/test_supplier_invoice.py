import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from qonto_async.models import (
    Amount,
    SupplierInvoice,
    SupplierInvoiceList,
    decode_supplier_invoice,
    decode_supplier_invoice_list,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UTC = datetime.UTC
PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
SEED_ID = "4d5418bb-bd0d-4df4-865c-c07afab8bb48"
OTHER_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def seed_invoice() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes("supplier_invoice.json"))["supplier_invoice"]
    return data


def envelope(invoice: dict[str, Any]) -> bytes:
    return json.dumps({"supplier_invoice": invoice}).encode()


def test_seed_scalars() -> None:
    inv = decode_supplier_invoice(fixture_bytes("supplier_invoice.json"))

    assert type(inv) is SupplierInvoice
    assert inv.id == SEED_ID
    assert inv.is_einvoice is False
    assert inv.has_discrepancies is False
    assert inv.organization_id == SEED_ID
    assert inv.file_name == "my-invoice.pdf"
    assert inv.status == "to_review"
    assert inv.source_type == "email"
    assert inv.attachment_id == OTHER_ID
    assert inv.display_attachment_id == OTHER_ID
    assert inv.declined_note == ""
    assert inv.e_invoice_type == "zugferd"
    assert inv.has_duplicates is False
    assert inv.invoice_number == "QONTO-JAN-2022"
    assert inv.supplier_name == "McDonald's"
    assert inv.vat_number == "IT12345678901"
    assert inv.tin == "1234567890"
    assert inv.description == "This is an invoice for Ronald!"
    assert inv.iban == "FR1420041010050500013M02606"
    assert inv.initiator_id == OTHER_ID
    assert inv.source == "email_forward"
    assert inv.is_attachment_invoice is True
    assert inv.attachment_category == "INVOICE"
    assert inv.is_attachment_non_financial is True
    assert inv.is_credit_note is False
    assert inv.has_suggested_credit_notes is False
    assert inv.matched_transactions == [SEED_ID]
    assert inv.transfer_ids == [SEED_ID]


def test_seed_amounts_dates_and_timestamps() -> None:
    inv = decode_supplier_invoice(fixture_bytes("supplier_invoice.json"))

    eur = Amount(value=Decimal("22.10"), currency="EUR")
    assert inv.total_amount == eur
    assert inv.payable_amount == eur
    assert inv.total_amount_credit_notes == eur
    assert inv.total_amount is not None
    assert isinstance(inv.total_amount.value, Decimal)

    day = datetime.date(2022, 3, 1)
    assert (inv.issue_date, inv.due_date, inv.payment_date, inv.scheduled_date) == (day,) * 4
    stamp = datetime.datetime(2022, 3, 4, 17, 58, 30, tzinfo=PLUS_2)
    assert (inv.created_at, inv.updated_at, inv.analyzed_at) == (stamp,) * 3


def test_seed_nested_objects() -> None:
    inv = decode_supplier_invoice(fixture_bytes("supplier_invoice.json"))

    assert inv.request_transfer is not None
    assert inv.request_transfer.id == SEED_ID
    assert inv.request_transfer.initiator_id == SEED_ID

    assert inv.einvoicing_lifecycle_events is not None
    (event,) = inv.einvoicing_lifecycle_events
    assert event.status_code == 200
    assert event.reason == "DOUBLE FACTURE"
    assert event.timestamp == datetime.datetime(2024, 12, 4, 11, 5, 16, 449700, tzinfo=UTC)

    assert inv.meta is not None
    assert inv.meta.integration_type == "amazon"
    assert inv.meta.connector == "grover"
    assert inv.meta.accounting_recorded_at == datetime.datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)
    assert inv.meta.accounting_recorded_source == "regate"

    actions = inv.available_actions
    assert actions is not None
    assert (actions.delete, actions.archive, actions.unarchive, actions.pay) == (True,) * 4
    assert actions.reasons is not None
    assert actions.reasons.pay == ["is_credit_note"]
    assert actions.reasons.delete == ["invalid_status"]
    assert actions.reasons.archive == ["invalid_status"]
    assert actions.reasons.unarchive == ["invalid_status"]

    workflow = inv.approval_workflow
    assert workflow is not None
    assert workflow.approver_ids == [OTHER_ID]
    assert workflow.supplier_invoice_request_id == OTHER_ID
    assert workflow.verified_by == OTHER_ID
    assert workflow.last_approved_by == OTHER_ID

    assert inv.related_invoices is not None
    (related,) = inv.related_invoices
    assert related.id == SEED_ID
    assert related.invoice_number == "QONTO-JAN-2022"
    assert related.total_amount == Amount(value=Decimal("22.10"), currency="EUR")
    assert related.attachment_id == OTHER_ID
    assert related.file_name == "my-invoice.pdf"

    assert inv.suggested_transactions is not None
    (suggestion,) = inv.suggested_transactions
    assert suggestion.id == SEED_ID
    assert suggestion.score == Decimal("0.8")
    assert isinstance(suggestion.score, Decimal)


def test_list_page() -> None:
    raw = seed_invoice()
    body = json.dumps(
        {
            "supplier_invoices": [raw, {**raw, "id": "second", "status": "paid"}],
            "meta": {"current_page": 2, "next_page": 3, "prev_page": 1, "total_pages": 3},
        }
    ).encode()

    page = decode_supplier_invoice_list(body)

    assert type(page) is SupplierInvoiceList
    assert [(inv.id, inv.status) for inv in page.items] == [
        (SEED_ID, "to_review"),
        ("second", "paid"),
    ]
    assert page.meta is not None
    assert (page.meta.current_page, page.meta.next_page, page.meta.prev_page) == (2, 3, 1)
    assert page.meta.total_count is None
    # The pagination meta and the invoice's own meta are different types.
    assert page.items[0].meta is not None
    assert page.items[0].meta.connector == "grover"


def test_open_status_set_and_unknown_fields() -> None:
    raw = seed_invoice()
    raw["status"] = "some_future_status"
    raw["attachment_category"] = "HOLOGRAM"
    raw["available_actions"]["reasons"]["pay"] = ["is_credit_note", "moon_phase"]
    raw["available_actions"]["reasons"]["teleport"] = ["nope"]
    raw["available_actions"]["teleport"] = False
    raw["meta"]["new_key"] = {"a": 1}
    raw["suggested_transactions"][0]["reason"] = "amount match"
    raw["brand_new"] = [1, "two"]

    inv = decode_supplier_invoice(envelope(raw))

    assert inv.status == "some_future_status"
    assert inv.attachment_category == "HOLOGRAM"
    assert inv.available_actions is not None
    assert inv.available_actions.reasons is not None
    assert inv.available_actions.reasons.pay == ["is_credit_note", "moon_phase"]


def test_minimal_and_all_null() -> None:
    assert decode_supplier_invoice(b'{"supplier_invoice": {"id": "x"}}') == SupplierInvoice(id="x")

    raw: dict[str, Any] = dict.fromkeys(SupplierInvoice.__struct_fields__)
    raw["id"] = "x"
    assert decode_supplier_invoice(envelope(raw)) == SupplierInvoice(id="x")


def test_empty_string_dates_become_none_but_declined_note_stays() -> None:
    raw = seed_invoice()
    for key in ("issue_date", "due_date", "payment_date", "scheduled_date", "analyzed_at"):
        raw[key] = ""
    raw["meta"]["accounting_recorded_at"] = ""
    raw["einvoicing_lifecycle_events"][0]["timestamp"] = ""
    raw["supplier_name"] = ""

    inv = decode_supplier_invoice(envelope(raw))

    assert (inv.issue_date, inv.due_date, inv.payment_date, inv.scheduled_date) == (None,) * 4
    assert inv.analyzed_at is None
    assert inv.meta is not None
    assert inv.meta.accounting_recorded_at is None
    assert inv.einvoicing_lifecycle_events is not None
    assert inv.einvoicing_lifecycle_events[0].timestamp is None
    assert inv.declined_note == ""
    assert inv.supplier_name == ""
    assert inv.created_at == datetime.datetime(2022, 3, 4, 17, 58, 30, tzinfo=PLUS_2)


@pytest.mark.parametrize("body", [b"{}", b'{"supplier_invoice": null}', b"not json"])
def test_bad_bodies_raise_decode_errors(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_supplier_invoice(body)


def test_invalid_date_raises_with_path() -> None:
    raw = seed_invoice()
    raw["scheduled_date"] = "2022-02-30"

    with pytest.raises(msgspec.ValidationError, match=r"\$\.supplier_invoice\.scheduled_date"):
        decode_supplier_invoice(envelope(raw))


def test_encode_round_trips() -> None:
    inv = decode_supplier_invoice(fixture_bytes("supplier_invoice.json"))

    assert decode_supplier_invoice(msgspec.json.encode({"supplier_invoice": inv})) == inv
