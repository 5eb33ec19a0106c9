import datetime
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest

from qonto_async.models import (
    Amount,
    ClientInvoice,
    ClientInvoiceList,
    decode_client_invoice,
    decode_client_invoice_list,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UTC = datetime.UTC
PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def envelope(invoice: dict[str, Any]) -> bytes:
    return json.dumps({"client_invoice": invoice}).encode()


def seed_invoice() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fixture_bytes("client_invoice.json"))["client_invoice"]
    return data


def test_seed_invoice_top_level_fields() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    assert type(inv) is ClientInvoice
    assert inv.id == "4d5418bb-bd0d-4df4-865c-c07afab8bb48"
    assert inv.organization_id == "4d5418bb-bd0d-4df4-865c-c07afab8bb48"
    assert inv.number == "INV001"
    assert inv.purchase_order == "<string>"
    assert inv.status == "paid"
    assert inv.invoice_url == "https://pay.qonto.com/invoices/00000000-0000-0000-0000-000000000000"
    assert inv.terms_and_conditions == "This is an example."
    assert inv.discount_conditions == "Pas d’escompte accordé pour paiement anticipé."
    assert inv.late_payment_penalties is not None
    assert inv.late_payment_penalties.startswith("En cas de non-paiement")
    assert inv.legal_fixed_compensation is not None
    assert inv.legal_fixed_compensation.endswith("de 40€.")
    assert inv.header == "This is an example."
    assert inv.footer == "This is an example."
    assert inv.currency == "EUR"
    assert inv.invoice_type == "standard"
    assert inv.attachment_id == "4d5418bb-bd0d-4df4-865c-c07afab8bb48"
    assert inv.einvoicing_status == "pending"
    assert inv.credit_notes_ids == ["3c90c3cc-0d44-4b50-8888-8dd25736052a"]
    # Not in the seed: optional, absent -> None.
    assert inv.updated_at is None
    assert inv.canceled_at is None


def test_seed_invoice_money() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    assert inv.total_amount == Amount(value=Decimal("12.52"), currency="EUR")
    assert inv.total_amount is not None
    assert isinstance(inv.total_amount.value, Decimal)
    assert inv.total_amount_cents == 1252
    assert isinstance(inv.total_amount_cents, int)
    assert inv.vat_amount == Amount(value=Decimal("0.51"), currency="EUR")
    assert inv.vat_amount_cents == 51
    assert inv.stamp_duty_amount == Decimal("1.00")
    assert isinstance(inv.stamp_duty_amount, Decimal)


def test_seed_invoice_dates_and_timestamps() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    assert inv.issue_date == datetime.date(2022, 3, 1)
    assert type(inv.issue_date) is datetime.date
    assert inv.due_date == datetime.date(2022, 3, 1)
    assert inv.performance_date == datetime.date(2022, 3, 1)
    assert inv.performance_start_date == datetime.date(2022, 3, 1)
    assert inv.performance_end_date == datetime.date(2022, 3, 31)
    expected = datetime.datetime(2022, 3, 4, 17, 58, 30, tzinfo=PLUS_2)
    assert inv.created_at == expected
    assert inv.finalized_at == expected
    assert inv.paid_at == expected
    assert inv.created_at is not None
    assert inv.created_at.utcoffset() == datetime.timedelta(hours=2)


def test_seed_invoice_items() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    assert inv.items is not None
    assert len(inv.items) == 1
    item = inv.items[0]
    assert item.title == "Plastic tables"
    assert item.description == "Plastic tables for McDonald’s restaurants"
    assert item.quantity == Decimal("1.5")
    assert item.unit == "meter"
    assert item.unit_price == Amount(value=Decimal("10.0"), currency="EUR")
    assert item.unit_price_cents == 1000
    assert item.vat_rate == Decimal("0.1")
    assert isinstance(item.vat_rate, Decimal)
    assert item.vat_exemption_reason == "N1"
    assert item.discount is not None
    assert item.discount.type == "percentage"
    assert item.discount.value == Decimal("0.1")
    assert item.discount.amount == Amount(value=Decimal("120"), currency="EUR")
    assert item.total_vat == Amount(value=Decimal("120"), currency="EUR")
    assert item.total_vat_cents == 12000
    assert item.total_amount == Amount(value=Decimal("300.50"), currency="EUR")
    assert item.total_amount_cents == 30050
    assert item.subtotal == Amount(value=Decimal("120"), currency="EUR")
    assert item.subtotal_cents == 12000


def test_seed_invoice_client_snapshot() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    client = inv.client
    assert client is not None
    assert client.id == "33v418bb-bd0d-4df4-865c-c07afab8bb48"  # not a valid UUID: ids are str
    assert client.name == "McDonald's"
    assert client.first_name == "Jane"
    assert client.last_name == "Doe"
    assert client.type == "individual"
    assert client.vat_number == "FR32123456789"
    assert client.tax_identification_number == "123456789"
    assert client.address == "1 place de l’Opéra"
    assert client.city == "Paris"
    assert client.zip_code == "75009"
    assert client.country_code == "fr"
    assert client.locale == "fr"
    assert client.billing_address is not None
    assert client.billing_address.street_address == "123 Main Street"
    assert client.billing_address.city == "Paris"
    assert client.billing_address.zip_code == "75009"
    assert client.billing_address.country_code == "FR"
    assert client.delivery_address == client.billing_address


def test_seed_invoice_payment_methods_and_organization() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    assert inv.payment_methods is not None
    (method,) = inv.payment_methods
    assert method.beneficiary_name == "John Doe"
    assert method.bic == "ABCDEFG1XXX"
    assert method.iban == "FR1420041010050500013M02606"
    assert method.type == "transfer"

    org = inv.organization
    assert org is not None
    assert org.id == "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    assert org.legal_name == "<string>"
    assert org.company_leadership == "Jan Mueller"
    assert org.district_court == "Munich"
    assert org.commercial_register_number == "HRB12345B"
    assert org.vat_number == "FR123456789"
    assert org.tax_number == "123/123/1234"
    assert org.legal_capital_share == Amount(value=Decimal("10000.00"), currency="EUR")
    assert org.transaction_type == "goods"
    assert org.vat_payment_condition == "on_receipts"


def test_seed_invoice_discount_taxes_and_einvoicing() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    assert inv.discount is not None
    assert inv.discount.type == "percentage"
    assert inv.discount.value == Decimal("0.1")
    assert inv.discount.amount == Amount(value=Decimal("10.00"), currency="EUR")

    assert inv.welfare_fund is not None
    assert inv.welfare_fund.type == "TC01"
    assert inv.welfare_fund.rate == Decimal("0.0001")

    tax = inv.withholding_tax
    assert tax is not None
    assert tax.reason == "RF01"
    assert tax.rate == Decimal("0.01")
    assert tax.payment_reason == "L1"
    assert tax.amount == Decimal("1.00")
    assert isinstance(tax.amount, Decimal)

    assert inv.payment_reporting is not None
    assert inv.payment_reporting.conditions == "TP01"
    assert inv.payment_reporting.method == "MP01"

    assert inv.einvoicing_lifecycle_events is not None
    (event,) = inv.einvoicing_lifecycle_events
    assert event.status_code == 200
    assert event.reason == "DOUBLE FACTURE"
    assert event.reason_message == "I already received this invoice"
    assert event.timestamp == datetime.datetime(2024, 12, 4, 11, 5, 16, 449700, tzinfo=UTC)
    assert event.timestamp is not None
    assert event.timestamp.microsecond == 449700
    assert event.timestamp.utcoffset() == datetime.timedelta(0)


def test_page_decodes_items_and_meta_including_draft() -> None:
    page = decode_client_invoice_list(fixture_bytes("client_invoices_page.json"))

    assert type(page) is ClientInvoiceList
    assert [inv.status for inv in page.items] == ["paid", "unpaid", "draft"]
    assert page.meta is not None
    assert page.meta.current_page == 1
    assert page.meta.next_page is None
    assert page.meta.prev_page is None
    assert page.meta.total_pages == 1
    assert page.meta.total_count == 3
    assert page.meta.per_page == 100

    paid, unpaid, draft = page.items
    assert paid.updated_at == datetime.datetime(2022, 3, 4, 17, 58, 30, tzinfo=PLUS_2)
    assert paid.created_at == datetime.datetime(2022, 3, 1, 9, 12, 44, 981000, tzinfo=UTC)
    assert paid.credit_notes_ids == []
    assert paid.client is not None
    assert paid.client.display_name == "Acme Restauration SAS"
    assert unpaid.paid_at is None
    assert unpaid.items == []
    assert unpaid.updated_at == datetime.datetime(2024, 12, 4, 11, 5, 16, 449700, tzinfo=UTC)
    assert unpaid.client is not None
    assert unpaid.client.display_name == "Jane Doe"

    # The draft's "" dates and timestamps are None, at top level and in the client snapshot.
    assert draft.number is None
    assert draft.issue_date == datetime.date(2025, 1, 10)
    assert draft.due_date is None
    assert draft.performance_date is None
    assert draft.finalized_at is None
    assert draft.paid_at is None
    assert draft.client is not None
    assert draft.client.created_at is None
    # ...while a real empty string in a text field stays "".
    assert draft.header == ""


def test_page_without_meta_and_empty_page() -> None:
    page = decode_client_invoice_list(b'{"client_invoices": []}')
    assert page.items == []
    assert page.meta is None


@pytest.mark.parametrize(
    "body",
    [b"{}", b'{"client_invoice": null}', b'{"client_invoices": []}', b"[]", b"null"],
)
def test_missing_envelope_is_a_validation_error(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_client_invoice(body)


@pytest.mark.parametrize("body", [b"{}", b'{"client_invoices": null}', b'{"meta": {}}'])
def test_list_without_items_is_a_validation_error(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError, match="client_invoices"):
        decode_client_invoice_list(body)


def test_missing_id_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError, match="`id`"):
        decode_client_invoice(b'{"client_invoice": {"status": "paid"}}')


def test_unknown_fields_are_ignored_at_every_level() -> None:
    raw = seed_invoice()
    raw["brand_new_field"] = {"nested": [1, 2, 3]}
    raw["total_amount"]["precision"] = 2
    raw["items"][0]["sku"] = "TBL-01"
    raw["items"][0]["discount"]["amount"]["fx"] = None
    raw["client"]["billing_address"]["floor"] = "3"
    raw["organization"]["legal_capital_share"]["note"] = "x"
    raw["einvoicing_lifecycle_events"][0]["platform"] = "chorus"

    inv = decode_client_invoice(json.dumps({"client_invoice": raw, "extra": 1}).encode())

    assert inv == decode_client_invoice(fixture_bytes("client_invoice.json"))


def test_unknown_enum_values_pass_through() -> None:
    raw = seed_invoice()
    raw["status"] = "some_future_status"
    raw["invoice_type"] = "proforma"
    raw["einvoicing_status"] = "teleported"
    raw["items"][0]["discount"]["type"] = "bogof"
    raw["payment_methods"][0]["type"] = "carrier_pigeon"
    raw["client"]["type"] = "robot"
    raw["einvoicing_lifecycle_events"][0]["status_code"] = 999

    inv = decode_client_invoice(envelope(raw))

    assert inv.status == "some_future_status"
    assert inv.invoice_type == "proforma"
    assert inv.einvoicing_status == "teleported"
    assert inv.items is not None
    assert inv.items[0].discount is not None
    assert inv.items[0].discount.type == "bogof"
    assert inv.payment_methods is not None
    assert inv.payment_methods[0].type == "carrier_pigeon"
    assert inv.client is not None
    assert inv.client.type == "robot"
    assert inv.einvoicing_lifecycle_events is not None
    assert inv.einvoicing_lifecycle_events[0].status_code == 999


def test_minimal_invoice_only_id() -> None:
    inv = decode_client_invoice(b'{"client_invoice": {"id": "x"}}')

    assert inv == ClientInvoice(id="x")
    for name in ClientInvoice.__struct_fields__:
        if name != "id":
            assert getattr(inv, name) is None, name


def test_every_optional_field_null() -> None:
    raw = dict.fromkeys(ClientInvoice.__struct_fields__)
    raw["id"] = "x"

    inv = decode_client_invoice(envelope(raw))

    assert inv == ClientInvoice(id="x")


def test_every_nested_optional_field_null() -> None:
    raw = seed_invoice()
    item = raw["items"][0]
    raw["items"] = [dict.fromkeys(item), {**item, "discount": dict.fromkeys(item["discount"])}]
    raw["client"] = {**dict.fromkeys(raw["client"]), "id": "c"}
    raw["organization"] = dict.fromkeys(raw["organization"])
    for key in ("total_amount", "welfare_fund", "withholding_tax", "payment_reporting"):
        raw[key] = dict.fromkeys(raw[key])
    raw["einvoicing_lifecycle_events"] = [dict.fromkeys(raw["einvoicing_lifecycle_events"][0])]

    inv = decode_client_invoice(envelope(raw))

    assert inv.items is not None
    assert inv.items[0].title is None
    assert inv.items[0].quantity is None
    assert inv.items[1].discount is not None
    assert inv.items[1].discount.value is None
    assert inv.client is not None
    assert inv.client.billing_address is None
    assert inv.organization is not None
    assert inv.organization.legal_capital_share is None
    assert inv.total_amount == Amount()
    assert inv.withholding_tax is not None
    assert inv.withholding_tax.amount is None
    assert inv.einvoicing_lifecycle_events is not None
    assert inv.einvoicing_lifecycle_events[0].timestamp is None


def test_empty_string_dates_and_timestamps_become_none() -> None:
    raw = seed_invoice()
    for key in (
        "issue_date",
        "due_date",
        "performance_date",
        "performance_start_date",
        "performance_end_date",
        "created_at",
        "finalized_at",
        "paid_at",
    ):
        raw[key] = ""
    raw["updated_at"] = ""
    raw["canceled_at"] = ""
    raw["client"]["created_at"] = ""
    raw["einvoicing_lifecycle_events"][0]["timestamp"] = ""
    # Whitespace around the colon, as a pretty-printing proxy might send it.
    body = envelope(raw).replace(b'"paid_at": ""', b'"paid_at" :\n\t""')
    assert b'"paid_at" :\n\t""' in body

    inv = decode_client_invoice(body)

    assert inv.issue_date is None
    assert inv.due_date is None
    assert inv.performance_date is None
    assert inv.performance_start_date is None
    assert inv.performance_end_date is None
    assert inv.created_at is None
    assert inv.finalized_at is None
    assert inv.paid_at is None
    assert inv.updated_at is None
    assert inv.canceled_at is None
    assert inv.client is not None
    assert inv.client.created_at is None
    assert inv.einvoicing_lifecycle_events is not None
    assert inv.einvoicing_lifecycle_events[0].timestamp is None
    # Everything else is untouched.
    assert inv.total_amount == Amount(value=Decimal("12.52"), currency="EUR")


def test_real_empty_strings_stay_empty() -> None:
    raw = seed_invoice()
    raw["finalized_at"] = ""  # forces the fallback path
    raw["purchase_order"] = ""
    raw["header"] = ""
    raw["items"][0]["description"] = ""
    raw["client"]["name"] = ""
    # A text value that merely looks like an empty date key must survive too.
    raw["footer"] = '"paid_at": ""'

    inv = decode_client_invoice(envelope(raw))

    assert inv.finalized_at is None
    assert inv.purchase_order == ""
    assert inv.header == ""
    assert inv.footer == '"paid_at": ""'
    assert inv.items is not None
    assert inv.items[0].description == ""
    assert inv.client is not None
    assert inv.client.name == ""
    assert inv.client.display_name == "Jane Doe"
    assert inv.paid_at == datetime.datetime(2022, 3, 4, 17, 58, 30, tzinfo=PLUS_2)


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("issue_date", "2022-13-45", "$.client_invoice.issue_date"),
        ("created_at", "yesterday", "$.client_invoice.created_at"),
        ("due_date", "01/03/2022", "$.client_invoice.due_date"),
    ],
)
def test_invalid_dates_raise_with_path(key: str, value: str, path: str) -> None:
    raw = seed_invoice()
    raw[key] = value

    with pytest.raises(msgspec.ValidationError, match=re.escape(f"at `{path}`")):
        decode_client_invoice(envelope(raw))


def test_a_blank_date_before_a_malformed_one_is_not_the_error() -> None:
    raw = seed_invoice()
    raw["finalized_at"] = ""  # a blank: None
    raw["paid_at"] = "not-a-date"  # the error, though it comes later
    body = envelope(raw)
    assert body.index(b'"finalized_at"') < body.index(b'"paid_at"')

    with pytest.raises(msgspec.ValidationError) as excinfo:
        decode_client_invoice(body)

    assert str(excinfo.value) == "Invalid timestamp 'not-a-date' - at `$.client_invoice.paid_at`"


def test_empty_string_in_non_date_typed_field_still_raises() -> None:
    raw = seed_invoice()
    raw["total_amount_cents"] = ""

    with pytest.raises(msgspec.ValidationError, match=r"\$\.client_invoice\.total_amount_cents"):
        decode_client_invoice(envelope(raw))


@pytest.mark.parametrize("body", [b"", b"not json", b'{"client_invoice": {"id": "x"', b"\xff"])
def test_non_json_raises_decode_error(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_client_invoice(body)
    with pytest.raises(msgspec.DecodeError):
        decode_client_invoice_list(body)


def test_json_numbers_are_accepted_for_decimal_fields_without_float_rounding() -> None:
    # msgspec decodes a JSON number into Decimal from its text, so 0.1 is exactly Decimal("0.1").
    body = (
        b'{"client_invoice": {"id": "x", "total_amount": {"value": 12.52, "currency": "EUR"},'
        b' "stamp_duty_amount": 1, "items": [{"quantity": 0.1, "vat_rate": 0.2}]}}'
    )

    inv = decode_client_invoice(body)

    assert inv.total_amount is not None
    assert inv.total_amount.value == Decimal("12.52")
    assert isinstance(inv.total_amount.value, Decimal)
    assert inv.stamp_duty_amount == Decimal("1")
    assert isinstance(inv.stamp_duty_amount, Decimal)
    assert inv.items is not None
    assert inv.items[0].quantity == Decimal("0.1")
    assert inv.items[0].vat_rate == Decimal("0.2")


def test_cents_reject_decimal_strings() -> None:
    with pytest.raises(msgspec.ValidationError, match="total_amount_cents"):
        decode_client_invoice(b'{"client_invoice": {"id": "x", "total_amount_cents": "12.52"}}')


def test_frozen_and_keyword_only() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    with pytest.raises(AttributeError):
        inv.status = "canceled"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ClientInvoice("x")  # type: ignore[call-arg]
    assert "ClientInvoice(" in repr(inv)


def test_encode_round_trips() -> None:
    inv = decode_client_invoice(fixture_bytes("client_invoice.json"))

    encoded = msgspec.json.encode({"client_invoice": inv})

    assert decode_client_invoice(encoded) == inv
    page = decode_client_invoice_list(fixture_bytes("client_invoices_page.json"))
    assert decode_client_invoice_list(msgspec.json.encode(page)) == page
    assert b'"client_invoices":' in msgspec.json.encode(page)
