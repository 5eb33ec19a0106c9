import datetime
import gc
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    Meta,
    SupplierInvoice,
    SupplierInvoiceList,
    decode_client_invoice_list,
)
from qonto_async.models.common import EnvelopeDecoder, QontoModel, blankable_date_keys

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


class _Leaf(msgspec.Struct):
    closed_on: str
    opened_on: datetime.date | None = None


class _Branch(msgspec.Struct):
    closed_on: datetime.date | None = None
    seen_at: datetime.datetime | None = None
    leaves: list[_Leaf] | None = None
    by_name: dict[str, "_Branch"] | None = None
    dates: list[datetime.date] | None = None


def test_blankable_date_keys_recurses_and_excludes_str_keys() -> None:
    # closed_on is a date on _Branch but a str on _Leaf: a "" there may be real text.
    assert blankable_date_keys(_Branch) == frozenset({"seen_at", "opened_on"})


def test_blankable_date_keys_of_the_real_envelopes() -> None:
    assert blankable_date_keys(SupplierInvoice) == {
        "created_at",
        "updated_at",
        "issue_date",
        "due_date",
        "payment_date",
        "scheduled_date",
        "analyzed_at",
        "timestamp",
        "accounting_recorded_at",
    }
    assert "declined_note" not in blankable_date_keys(SupplierInvoice)
    assert {"finalized_at", "paid_at", "canceled_at", "created_at"} <= blankable_date_keys(
        ClientInvoiceList
    )


def test_envelope_decoder_without_date_fields_has_no_fallback() -> None:
    decoder = EnvelopeDecoder(Amount)

    with pytest.raises(msgspec.ValidationError):
        decoder.decode(b'{"value": ""}')
    assert decoder.decode(b'{"currency": ""}') == Amount(currency="")


def test_envelope_decoder_rejects_blank_in_a_date_key_of_a_str_typed_field() -> None:
    decoder = EnvelopeDecoder(_Branch)

    # closed_on is excluded (it is str-typed on _Leaf), so its "" is not rescued on _Branch.
    with pytest.raises(msgspec.ValidationError, match=re.escape("$.closed_on")):
        decoder.decode(b'{"closed_on": ""}')
    assert decoder.decode(b'{"seen_at": "", "leaves": [{"closed_on": ""}]}') == _Branch(
        leaves=[_Leaf(closed_on="")]
    )


class _Spy:
    def __init__(self) -> None:
        self.calls = 0
        self.original = EnvelopeDecoder._null_blank_dates

    def __call__(self, decoder: EnvelopeDecoder[Any], data: bytes) -> bytes | None:
        self.calls += 1
        return self.original(decoder, data)


def spy_on_fallback(monkeypatch: pytest.MonkeyPatch) -> _Spy:
    spy = _Spy()
    monkeypatch.setattr(EnvelopeDecoder, "_null_blank_dates", lambda d, b: spy(d, b))
    return spy


class _CountingDecoder:
    """Stands in for an EnvelopeDecoder's msgspec decoder and counts the decodes."""

    def __init__(self, inner: msgspec.json.Decoder[Any]) -> None:
        self.inner = inner
        self.bodies: list[bytes] = []

    def decode(self, data: bytes) -> Any:
        self.bodies.append(data)
        return self.inner.decode(data)


def counting(decoder: EnvelopeDecoder[Any]) -> _CountingDecoder:
    spy = _CountingDecoder(decoder._decoder)
    decoder._decoder = spy  # type: ignore[assignment]
    return spy


def test_a_body_without_blank_strings_is_decoded_once_untouched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = spy_on_fallback(monkeypatch)
    decoder = EnvelopeDecoder(ClientInvoiceList)
    decodes = counting(decoder)
    body = b'{"client_invoices": [{"id": "x", "paid_at": null}]}'

    decoder.decode(body)

    assert spy.calls == 0  # decoded on the fast path: never scanned
    assert decodes.bodies == [body]


def test_blank_strings_outside_dates_cost_one_decode() -> None:
    decoder = EnvelopeDecoder(SupplierInvoiceList)
    decodes = counting(decoder)
    body = b'{"supplier_invoices": [{"id": "x", "declined_note": ""}]}'

    page = decoder.decode(body)

    assert page.items[0].declined_note == ""
    assert decodes.bodies == [body]


def _draft(i: int) -> bytes:
    return b'{"id": "d%d", "finalized_at": "", "due_date": "", "paid_at": ""}' % i


def _final(i: int) -> bytes:
    return b'{"id": "f%d", "finalized_at": "2025-01-02T03:04:05Z", "due_date": "2025-02-01"}' % i


@pytest.mark.parametrize(
    "drafts",
    [{0}, {99}, {0, 50, 99}, set(range(100))],
    ids=["first", "last", "scattered", "every"],
)
def test_a_page_with_drafts_anywhere_decodes_them_all(drafts: set[int]) -> None:
    decoder = EnvelopeDecoder(ClientInvoiceList)
    decodes = counting(decoder)
    items = b",".join(_draft(i) if i in drafts else _final(i) for i in range(100))
    body = b'{"client_invoices": [' + items + b"]}"

    page = decoder.decode(body)

    assert len(decodes.bodies) == 2  # the plain decode fails; the rewritten body decodes
    for i, invoice in enumerate(page.items):
        if i in drafts:
            assert (invoice.finalized_at, invoice.due_date, invoice.paid_at) == (None, None, None)
        else:
            assert invoice.finalized_at is not None
            assert invoice.due_date is not None


def test_fallback_finds_nothing_to_rewrite_without_blank_strings() -> None:
    decoder = EnvelopeDecoder(ClientInvoiceList)
    body = (
        b'{"client_invoices": [{"id": "x", "paid_at": "soon", "header": "", "footer": "\\"\\""}]}'
    )

    assert decoder._null_blank_dates(body) is None
    with pytest.raises(msgspec.ValidationError, match=re.escape("$.client_invoices[0].paid_at")):
        decoder.decode(body)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"paid_at": ""}', b'{"paid_at": null}'),
        (b'{"paid_at":""}', b'{"paid_at":null}'),
        (b'{"paid_at" :\n\t ""}', b'{"paid_at" :\n\t null}'),
        (b'{"a": "", "paid_at": "", "b": ""}', b'{"a": "", "paid_at": null, "b": ""}'),
        (b'{"x_paid_at": ""}', None),
        (b'{"paid_at_x": ""}', None),
        (b'{"note": "\\"paid_at\\": \\"\\""}', None),
        # Whitespace is only looked for within a bounded window before the "".
        (b'{"paid_at":' + b" " * 32 + b'""}', b'{"paid_at":' + b" " * 32 + b"null}"),
        (b'{"paid_at":' + b" " * 80 + b'""}', None),
    ],
)
def test_blank_date_rewrite(body: bytes, expected: bytes | None) -> None:
    decoder = EnvelopeDecoder(ClientInvoiceList)

    assert decoder._null_blank_dates(body) == expected


def test_fallback_runs_once_for_a_page_with_drafts(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = spy_on_fallback(monkeypatch)

    page = decode_client_invoice_list(fixture_bytes("client_invoices_page.json"))

    assert spy.calls == 1
    assert page.items[2].finalized_at is None
