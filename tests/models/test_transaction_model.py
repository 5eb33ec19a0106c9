"""``Transaction``: Qonto's documentation examples (``tests/fixtures/transaction_*.json``,
verbatim from ``qonto-api-banking.md`` §2.6 and §2.7), every nested object, unknown values,
lenient timestamps, and what must fail (with its path). Money: ``test_transaction_money``."""

import datetime
import json
from decimal import Decimal

import msgspec
import pytest
from msgspec import inspect as mi

from qonto_async.models import (
    TRANSACTION_INCLUDES,
    TRANSACTION_SIDES,
    TRANSACTION_SORT_FIELDS,
    TRANSACTION_STATUSES,
    Attachment,
    CashflowCategory,
    Cheque,
    Counterparty,
    DirectDebitHold,
    FinancingInstallment,
    Label,
    Logo,
    PagopaPayment,
    Transaction,
    TransactionList,
    VatDetails,
    VatItem,
    decode_transaction,
    decode_transaction_page,
)

from .test_common import unmodelled_keys
from .transaction_records import FIXTURES, base, fixture_json, one

UTC = datetime.UTC


def test_constants() -> None:
    assert TRANSACTION_STATUSES == ("pending", "declined", "completed")
    assert TRANSACTION_SIDES == ("credit", "debit")
    assert TRANSACTION_INCLUDES == ("vat_details", "labels", "attachments")
    assert TRANSACTION_SORT_FIELDS == ("updated_at", "settled_at", "emitted_at")


@pytest.mark.parametrize(
    ("name", "key", "model"),
    [
        ("transaction_list.json", None, TransactionList),
        ("transaction_with_includes.json", "transaction", Transaction),
    ],
)
def test_every_documented_key_is_modelled(name: str, key: str | None, model: type) -> None:
    raw = fixture_json(name)
    if key is not None:
        raw = raw[key]

    assert unmodelled_keys(raw, mi.type_info(model)) == []


def test_list_example() -> None:
    body = (FIXTURES / "transaction_list.json").read_bytes()

    page = decode_transaction_page(body)

    [t] = page.items
    assert type(t) is Transaction
    assert (t.id, t.transaction_id) == (
        "df346899-3595-421a-8b26-f9d9616ce496",
        "super-transaction-7468",
    )
    assert (t.amount, t.amount_cents) == (Decimal("0.43"), 43)
    assert (t.local_amount, t.local_amount_cents) == (Decimal("0.43"), 43)
    assert (t.settled_balance, t.settled_balance_cents) == (Decimal("111.1"), 11110)
    assert (t.currency, t.local_currency, t.side) == ("EUR", "EUR", "debit")
    assert (t.signed_amount, t.signed_amount_cents) == (Decimal("-0.43"), -43)
    assert (t.operation_type, t.status, t.subject_type) == ("transfer", "completed", "transfer")
    assert t.label == "Ferry-Purdy"
    assert t.settled_at == datetime.datetime(2021, 3, 3, 16, 6, 38, tzinfo=UTC)
    assert t.emitted_at == datetime.datetime(2021, 2, 25, 16, 22, 37, tzinfo=UTC)
    assert t.updated_at == datetime.datetime(2020, 12, 12, 19, 52, 10, tzinfo=UTC)
    assert t.created_at is None
    assert (t.note, t.reference) == ("Rhea Ernser", None)
    assert (t.vat_amount, t.vat_amount_cents, t.vat_rate) == (None, None, None)
    assert t.initiator_id == "ccdcef78-1aa1-4d44-b991-b10005a4ad1a"
    assert t.label_ids == ["6450e541-0a6f-4153-a46e-34d98848e280"]
    assert t.attachment_ids == []
    assert (t.attachment_lost, t.attachment_required) == (False, True)
    assert (t.card_last_digits, t.category) == ("1234", "gas_station")
    assert t.cashflow_category == CashflowCategory(name="Others")
    assert t.cashflow_subcategory == CashflowCategory(name="Tips")
    assert t.transfer == Counterparty(
        counterparty_account_number="NL93RABO3730976796",
        counterparty_account_number_format="IBAN",
        counterparty_bank_identifier="RABO",
        counterparty_bank_identifier_format="SWIFT_BIC",
    )
    assert t.bank_account_id is None  # absent from the older docs example
    assert (t.attachments, t.labels, t.vat_details) == (None, None, None)
    assert page.meta is not None
    assert (page.meta.total_count, page.meta.per_page, page.meta.next_page) == (1, 100, None)
    assert json.loads(bytes(page.raws[0])) == json.loads(body)["transactions"][0]


def test_single_transaction_with_includes() -> None:
    body = (FIXTURES / "transaction_with_includes.json").read_bytes()

    t = decode_transaction(body)

    assert (t.amount, t.amount_cents, t.signed_amount_cents) == (Decimal("52.4"), 5240, -5240)
    [attachment] = t.attachments or []
    assert type(attachment) is Attachment
    assert attachment.id == "ea54f563-eaee-4dcb-b08e-688dc9937d23"
    assert attachment.file_size == 666  # "666"
    assert attachment.url is not None
    assert "X-Amz-Expires=1800" in attachment.url
    assert attachment.probative_attachment is not None
    assert attachment.probative_attachment.status == "unavailable"
    assert t.labels == [Label(id="211e69c1-f27f-4b45-a623-bec44a715ee7", name="Durable Silk Table")]


def test_newest_docs_shape_with_comma_amounts() -> None:
    t = one(
        amount="10,00",
        local_amount="10,87",
        local_currency="USD",
        amount_cents=1000,
        local_amount_cents=1087,
        created_at="2021-03-06T12:33:13.000Z",
        bank_account_id="018f71db-c635-78b5-b90a-ea05de98c2bf",
        is_external_transaction=False,
        clean_counterparty_name="Ferry Purdy",
        logo={"small": "https://s", "medium": "https://m"},
        cashflow_category={"id": "38f3c1d2", "name": "Others"},
        cashflow_subcategory={"id": "7a1b2c3d", "name": "Tips"},
    )

    assert (t.amount, t.local_amount) == (Decimal("10.00"), Decimal("10.87"))
    assert str(t.amount) == "10.00"  # the precision as sent
    assert (t.amount_cents, t.local_amount_cents) == (1000, 1087)
    assert t.created_at == datetime.datetime(2021, 3, 6, 12, 33, 13, tzinfo=UTC)
    assert t.bank_account_id == "018f71db-c635-78b5-b90a-ea05de98c2bf"
    assert t.is_external_transaction is False
    assert t.clean_counterparty_name == "Ferry Purdy"
    assert t.logo == Logo(small="https://s", medium="https://m")
    assert t.cashflow_category == CashflowCategory(id="38f3c1d2", name="Others")
    assert t.cashflow_subcategory == CashflowCategory(id="7a1b2c3d", name="Tips")


def test_unknown_values_and_fields_pass() -> None:
    t = one(
        status="reversed",
        operation_type="pagopa_payment",
        subject_type="PagopaPayment",
        category="a_new_category",
        brand_new_field={"nested": [1, {"x": None}]},
        transfer={"counterparty_account_number": "1", "counterparty_new": True},
        pagopa_payment={"notice_number": "n", "creditor_fiscal_code": "c", "iuv": "i", "z": 1},
    )

    assert (t.status, t.operation_type, t.subject_type) == (
        "reversed",
        "pagopa_payment",
        "PagopaPayment",
    )
    assert t.category == "a_new_category"
    assert t.transfer == Counterparty(counterparty_account_number="1")
    assert t.pagopa_payment == PagopaPayment(notice_number="n", creditor_fiscal_code="c", iuv="i")


def test_every_nested_object() -> None:
    counterparty = {
        "counterparty_account_number": "FR76...",
        "counterparty_account_number_format": "iban",
        "counterparty_bank_identifier": "TRZOFR21XXX",
        "counterparty_bank_identifier_format": "bic",
    }
    t = one(
        income=counterparty,
        swift_income=counterparty,
        direct_debit=counterparty,
        direct_debit_collection=counterparty,
        check={"check_number": "0000123", "check_key": "45"},
        financing_installment={"total_installments_number": 3, "current_installment_number": 1},
        direct_debit_hold={"guarding_rate": "0.5"},
    )

    expected = Counterparty(**counterparty)
    assert t.income == t.swift_income == t.direct_debit == t.direct_debit_collection == expected
    assert t.check == Cheque(check_number="0000123", check_key="45")
    assert t.financing_installment == FinancingInstallment(
        total_installments_number=3, current_installment_number=1
    )
    assert t.direct_debit_hold == DirectDebitHold(guarding_rate=Decimal("0.5"))
    assert one(direct_debit_hold={"guarding_rate": 2}).direct_debit_hold == DirectDebitHold(
        guarding_rate=Decimal(2)
    )


def test_vat_details_items_as_strings_or_numbers() -> None:
    t = one(
        vat_details={
            "items": [
                {
                    "amount": "20.00",
                    "amount_cents": "2000",
                    "amount_excluding_vat": "100,00",
                    "amount_excluding_vat_cents": "10000",
                    "rate": "20.0",
                },
                {"amount": 5.5, "amount_cents": 550, "rate": 5.5, "new": "x"},
            ]
        },
        vat_amount="25,50",
        vat_amount_cents=2550,
        vat_rate=None,
    )

    assert t.vat_details == VatDetails(
        items=[
            VatItem(
                amount=Decimal("20.00"),
                amount_cents=2000,
                amount_excluding_vat=Decimal("100.00"),
                amount_excluding_vat_cents=10000,
                rate=Decimal("20.0"),
            ),
            VatItem(amount=Decimal("5.5"), amount_cents=550, rate=Decimal("5.5")),
        ]
    )
    assert (t.vat_amount, t.vat_amount_cents) == (Decimal("25.50"), 2550)


def test_a_pending_transaction() -> None:
    t = one(status="pending", settled_at=None, settled_balance=None, settled_balance_cents=None)

    assert (t.settled_at, t.settled_balance, t.settled_balance_cents) == (None, None, None)
    assert t.signed_amount == Decimal("-0.43")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        (None, None),
        ("2021-03-03T16:06:38Z", datetime.datetime(2021, 3, 3, 16, 6, 38, tzinfo=UTC)),
        ("2021-03-03T16:06:38.805Z", datetime.datetime(2021, 3, 3, 16, 6, 38, 805000, tzinfo=UTC)),
        ("2021-03-03T16:06:38+00:00", datetime.datetime(2021, 3, 3, 16, 6, 38, tzinfo=UTC)),
        ("2021-03-03t16:06:38z", datetime.datetime(2021, 3, 3, 16, 6, 38, tzinfo=UTC)),
        # No zone: read as UTC (Qonto's timestamps are UTC), never left naive.
        ("2021-03-03T16:06:38", datetime.datetime(2021, 3, 3, 16, 6, 38, tzinfo=UTC)),
        ("2021-03-03 16:06:38.123", datetime.datetime(2021, 3, 3, 16, 6, 38, 123000, tzinfo=UTC)),
    ],
)
def test_timestamps_lenient_and_blank(raw: str | None, expected: datetime.datetime | None) -> None:
    t = one(settled_at=raw, emitted_at=raw, updated_at=raw, created_at=raw)

    assert t.settled_at == t.emitted_at == t.updated_at == t.created_at == expected
    stamps = (t.settled_at, t.emitted_at, t.updated_at, t.created_at)
    assert all(s is None or s.tzinfo is not None for s in stamps)


def test_zoneless_timestamps_compare_with_zoned_ones() -> None:
    # The listing engine orders and subtracts these: a naive one raised TypeError there.
    items = [base(id="a"), base(id="b", updated_at="2020-12-12 19:52:11")]
    assert items[0]["updated_at"] == "2020-12-12T19:52:10.000Z"
    page = decode_transaction_page(json.dumps({"transactions": items}).encode())

    first, second = (t.updated_at for t in page.items)
    assert first is not None
    assert second is not None
    assert second - first == datetime.timedelta(seconds=1)


def test_round_trip_and_frozen() -> None:
    t = decode_transaction((FIXTURES / "transaction_with_includes.json").read_bytes())

    assert decode_transaction(msgspec.json.encode({"transaction": t})) == t
    with pytest.raises(AttributeError):
        t.amount = Decimal(1)  # type: ignore[misc]


def test_a_large_page_decodes_each_record_once() -> None:
    items = [base(id=f"t{i}", amount=f"{i},{i % 100:02d}", amount_cents=i) for i in range(250)]
    body = json.dumps({"transactions": items, "meta": {"total_count": 250}}).encode()

    page = decode_transaction_page(body)

    assert [t.id for t in page.items] == [f"t{i}" for i in range(250)]
    assert page.items[123].amount == Decimal("123.23")
    assert len(page.raws) == 250
