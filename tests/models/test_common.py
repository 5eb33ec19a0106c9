import datetime
import gc
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, assert_type

import msgspec
import pytest
from msgspec import inspect as mi

import qonto_async.models as models
from qonto_async.models import (
    Amount,
    Attachment,
    Client,
    ClientInvoice,
    ClientInvoiceList,
    ClientInvoiceUpload,
    InvoiceItem,
    Meta,
    SupplierInvoice,
    decode_attachment,
    decode_client_invoice_list,
    decode_supplier_invoice_list,
)
from qonto_async.models.common import QontoModel, model_decoder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

PUBLIC_MODELS = [
    obj
    for name in models.__all__
    if isinstance(obj := getattr(models, name), type) and issubclass(obj, msgspec.Struct)
]


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_all_lists_every_public_name_once() -> None:
    assert len(models.__all__) == len(set(models.__all__))
    for name in models.__all__:
        assert getattr(models, name) is not None
    exported = {
        name
        for name, obj in vars(models).items()
        if not name.startswith("_") and (isinstance(obj, type | tuple) or callable(obj))
    }
    assert exported == set(models.__all__)
    assert len(PUBLIC_MODELS) >= 25


@pytest.mark.parametrize("cls", PUBLIC_MODELS, ids=lambda c: c.__name__)
def test_every_model_is_frozen_keyword_only_and_untracked(cls: type[msgspec.Struct]) -> None:
    assert issubclass(cls, QontoModel)
    config = cls.__struct_config__
    assert config.frozen is True
    assert config.gc is False
    assert config.forbid_unknown_fields is False
    with pytest.raises(TypeError):
        cls(*[None] * len(cls.__struct_fields__))


def test_gc_false_instances_are_not_tracked() -> None:
    page = decode_client_invoice_list(fixture_bytes("client_invoices_page.json"))

    assert not gc.is_tracked(page.items[0])
    assert not gc.is_tracked(page.items[0].client)


def test_amount() -> None:
    amount = msgspec.json.decode(b'{"value": "12.52", "currency": "EUR"}', type=Amount)

    assert amount == Amount(value=Decimal("12.52"), currency="EUR")
    assert isinstance(amount.value, Decimal)
    assert msgspec.json.decode(b'{"value": null, "currency": null}', type=Amount) == Amount()
    assert msgspec.json.encode(amount) == b'{"value":"12.52","currency":"EUR"}'
    assert hash(amount) == hash(Amount(value=Decimal("12.52"), currency="EUR"))
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'{"value": "twelve"}', type=Amount)


def test_meta() -> None:
    meta = msgspec.json.decode(
        b'{"current_page": 1, "next_page": 2, "prev_page": null, "total_pages": 10,'
        b' "total_count": 950, "per_page": 100, "cursor": "new"}',
        type=Meta,
    )

    assert meta == Meta(current_page=1, next_page=2, total_pages=10, total_count=950, per_page=100)


def unmodelled_keys(value: Any, t: mi.Type, path: str = "$") -> list[str]:
    """Keys of ``value`` that no field of the matching struct type would keep."""
    if isinstance(t, mi.UnionType):
        return [key for member in t.types for key in unmodelled_keys(value, member, path)]
    if isinstance(t, mi.StructType) and isinstance(value, dict):
        fields = {f.encode_name: f for f in t.fields}
        missing = [f"{path}.{key}" for key in value if key not in fields]
        for key, item in value.items():
            if key in fields:
                missing += unmodelled_keys(item, fields[key].type, f"{path}.{key}")
        return missing
    if isinstance(t, mi.ListType) and isinstance(value, list):
        return [key for i, v in enumerate(value) for key in unmodelled_keys(v, t.item_type, path)]
    return []


@pytest.mark.parametrize(
    ("name", "key", "model"),
    [
        ("client_invoice.json", "client_invoice", ClientInvoice),
        ("supplier_invoice.json", "supplier_invoice", SupplierInvoice),
        ("client_company.json", "client", Client),
        ("client_individual.json", "client", Client),
        ("attachment.json", "attachment", Attachment),
        ("client_invoice_upload_legacy.json", "client_invoice_upload", ClientInvoiceUpload),
        ("client_invoices_page.json", None, ClientInvoiceList),
    ],
)
def test_every_documented_key_is_modelled(name: str, key: str | None, model: type) -> None:
    raw = json.loads(fixture_bytes(name))
    if key is not None:
        raw = raw[key]

    assert unmodelled_keys(raw, mi.type_info(model)) == []


def test_unmodelled_keys_helper_detects_a_missing_field() -> None:
    raw = {"id": "x", "items": [{"title": "t", "colour": "red"}], "nope": 1}

    assert unmodelled_keys(raw, mi.type_info(ClientInvoice)) == ["$.nope", "$.items.colour"]


def test_every_date_field_reads_a_blank_as_none() -> None:
    """No model field is a bare ``date``/``datetime``: msgspec would reject Qonto's ``""``."""
    bare: list[str] = []
    seen: set[type] = set()

    def visit(t: mi.Type, path: str) -> None:
        if isinstance(t, mi.DateType | mi.DateTimeType):
            bare.append(path)
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                visit(member, path)
        elif isinstance(t, mi.ListType):
            visit(t.item_type, path + "[]")
        elif isinstance(t, mi.StructType) and t.cls not in seen:
            seen.add(t.cls)
            for field in t.fields:
                visit(field.type, f"{t.cls.__name__}.{field.name}")

    for model in PUBLIC_MODELS:
        if model is not InvoiceItem:  # a request body, only ever encoded
            visit(mi.type_info(model), model.__name__)
    assert bare == []
    assert len(seen) >= 25


def test_date_fields_are_dates_to_the_type_checker() -> None:
    invoice = decode_client_invoice_list(fixture_bytes("client_invoices_page.json")).items[0]

    assert_type(invoice.finalized_at, datetime.datetime | None)
    assert_type(invoice.issue_date, datetime.date | None)
    assert type(invoice.finalized_at) is datetime.datetime
    assert type(invoice.issue_date) is datetime.date


def _draft(i: int) -> bytes:
    return b'{"id": "d%d", "finalized_at": "", "due_date": "", "paid_at": ""}' % i


def _final(i: int) -> bytes:
    return b'{"id": "f%d", "finalized_at": "2025-01-02T03:04:05Z", "due_date": "2025-02-01"}' % i


class _CountingHook:
    def __init__(self) -> None:
        self.values: list[object] = []

    def __call__(self, type_: type, value: object) -> object:
        self.values.append(value)
        return models.dec_hook(type_, value)


@pytest.mark.parametrize(
    "drafts",
    [{0}, {99}, {0, 50, 99}, set(range(100))],
    ids=["first", "last", "scattered", "every"],
)
def test_a_page_with_drafts_anywhere_decodes_in_one_pass(drafts: set[int]) -> None:
    items = b",".join(_draft(i) if i in drafts else _final(i) for i in range(100))
    body = b'{"client_invoices": [' + items + b"]}"
    hook = _CountingHook()

    page = decode_client_invoice_list(body)
    once = msgspec.json.decode(body, type=ClientInvoiceList, dec_hook=hook)

    assert page == once
    # One decode: each date on the page reached the hook exactly once, blanks included.
    assert len(hook.values) == 3 * len(drafts) + 2 * (100 - len(drafts))
    for i, invoice in enumerate(page.items):
        if i in drafts:
            assert (invoice.finalized_at, invoice.due_date, invoice.paid_at) == (None, None, None)
        else:
            assert invoice.finalized_at == datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
            assert invoice.due_date == datetime.date(2025, 2, 1)


def test_the_page_decoder_is_one_msgspec_decoder_with_the_hook() -> None:
    decoder = model_decoder(ClientInvoiceList)

    assert type(decoder) is msgspec.json.Decoder
    assert decoder.dec_hook is models.dec_hook


def test_a_blank_string_field_stays_blank() -> None:
    body = b'{"supplier_invoices": [{"id": "x", "declined_note": "", "due_date": ""}]}'

    invoice = decode_supplier_invoice_list(body).items[0]

    assert (invoice.declined_note, invoice.due_date) == ("", None)


UTC = datetime.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-02T03:04:05Z", datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2025-01-02t03:04:05z", datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2025-01-02T03:04:05.120Z", datetime.datetime(2025, 1, 2, 3, 4, 5, 120000, tzinfo=UTC)),
        (
            "2025-01-02T03:04:05+02:00",
            datetime.datetime(
                2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
        ),
        # No zone: UTC, Qonto's zone (never a naive datetime, which would not compare).
        ("2025-01-02T03:04:05", datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2025-01-02 03:04:05.123", datetime.datetime(2025, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)),
        ("2025-01-02t03:04:05", datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        # A day only, as an answer to mark_as_paid may carry it: midnight UTC.
        ("2025-01-02", datetime.datetime(2025, 1, 2, tzinfo=UTC)),
        ("", None),
    ],
)
def test_timestamps(text: str, expected: datetime.datetime | None) -> None:
    body = msgspec.json.encode({"client_invoices": [{"id": "x", "paid_at": text}]})

    paid_at = decode_client_invoice_list(body).items[0].paid_at

    assert paid_at == expected  # an aware and a naive datetime are never equal
    if expected is not None:
        assert paid_at is not None
        assert paid_at.utcoffset() == expected.utcoffset()


def test_every_timestamp_handed_out_is_aware() -> None:
    # Another model, and msgspec.convert of a naive datetime: the same one rule.
    body = b'{"attachment": {"id": "a", "created_at": "2025-01-02 03:04:05"}}'
    naive = datetime.datetime(2025, 1, 2, 3, 4, 5)

    decoded = decode_attachment(body).created_at
    converted = msgspec.convert(
        {"id": "x", "paid_at": naive}, ClientInvoice, dec_hook=models.dec_hook
    ).paid_at

    assert decoded == converted == naive.replace(tzinfo=UTC)
    assert decoded is not None
    assert decoded.tzinfo is UTC
    assert converted is not None
    assert converted.tzinfo is UTC


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"paid_at": "soon"}', "Invalid timestamp 'soon' - at `$.client_invoices[0].paid_at`"),
        (b'{"paid_at": "2025-13-01"}', "Invalid timestamp '2025-13-01'"),
        (b'{"due_date": "2025-02-30"}', "Invalid date '2025-02-30' - at `$.client_invoices[0]."),
        (b'{"paid_at": 1735787045}', "Expected `datetime`, got `int` - at `$.client_invoices[0]."),
        (b'{"due_date": false}', "Expected `date`, got `bool`"),
        (b'{"paid_at": "' + b"9" * 500 + b'"}', "Invalid timestamp '" + "9" * 40 + "' - at"),
    ],
)
def test_a_malformed_date_says_where_and_what(body: bytes, message: str) -> None:
    page = b'{"client_invoices": [{"id": "x", ' + body[1:] + b"]}"

    with pytest.raises(msgspec.ValidationError, match=re.escape(message)):
        decode_client_invoice_list(page)


def test_dec_hook_round_trips_through_msgspec_convert() -> None:
    page = decode_client_invoice_list(fixture_bytes("client_invoices_page.json"))

    for invoice in page.items:
        plain = msgspec.to_builtins(invoice)
        assert msgspec.convert(plain, ClientInvoice, dec_hook=models.dec_hook) == invoice
        typed = {"id": invoice.id, "paid_at": invoice.paid_at, "issue_date": invoice.issue_date}
        again = msgspec.convert(typed, ClientInvoice, dec_hook=models.dec_hook)
        assert (again.paid_at, again.issue_date) == (invoice.paid_at, invoice.issue_date)


class _Colour:
    pass


def test_dec_hook_refuses_other_types_as_msgspec_would() -> None:
    class Painted(msgspec.Struct):
        colour: _Colour

    with pytest.raises(msgspec.ValidationError, match=re.escape("Expected `_Colour`, got `str`")):
        msgspec.json.decode(b'{"colour": "red"}', type=Painted, dec_hook=models.dec_hook)


def test_a_blank_date_in_the_lax_attachment_decoder() -> None:
    body = b'{"attachment": {"id": "a", "file_size": "12", "created_at": ""}}'

    attachment = decode_attachment(body)

    assert (attachment.file_size, attachment.created_at) == (12, None)
