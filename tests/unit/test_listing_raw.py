"""``Page.raw`` and ``Records.raw``: each listed record's JSON exactly as the server sent it,
fields the models do not know included, through the paginator's filtering (ids handed out
before, bounds, limit), its fallback to page numbers, and ``changes().pages()``."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
import pytest
from aioresponses import CallbackResult
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL
from listing_model import answer

from qonto_async import (
    APIResponseValidationError,
    ClientInvoice,
    Meta,
    Page,
    Paginator,
    QontoClient,
    Records,
)
from qonto_async._listing.page import decoded_page, derived_page
from qonto_async._listing.spec import ListingSpec
from qonto_async.models import (
    Client,
    ClientInvoiceList,
    ClientList,
    CreditNote,
    CreditNoteList,
    Quote,
    QuoteList,
    SupplierInvoice,
    SupplierInvoiceList,
    WebhookSubscription,
    WebhookSubscriptionList,
    dec_hook,
)
from qonto_async.models.client import decode_client_page
from qonto_async.models.client_invoice import decode_client_invoice_page
from qonto_async.models.common import DecodedPage, model_decoder, page_decoder
from qonto_async.models.quote import decode_credit_note_page, decode_quote_page
from qonto_async.models.supplier_invoice import decode_supplier_invoice_page
from qonto_async.models.webhook_subscription import decode_webhook_subscription_page

LIST_URL = f"{BASE_URL}/v2/client_invoices"
LIST_PATTERN = re.compile(re.escape(LIST_URL) + r"(\?.*)?$")

# What Qonto sends and our models do not know (credit notes' and quotes' real extra fields,
# among others), written the way no encoder of ours would write it back: spaces, escapes,
# a number with a trailing zero, nesting.
UNKNOWN = (
    b' ,  "contact_email" : "j\\u00e9r\\u00f4me@example.test", "finalized_at":"",'
    b' "approved_at" : null, "deleted_at" : "2025-01-02T03:04:05.120+01:00",'
    b' "x_future" : {"amount": 2.50, "flags": [true, null, 1e3], "note": "a \\"quoted\\" \\/"}'
)


def odd(item: Mapping[str, Any]) -> bytes:
    """``item`` as JSON bytes with the fields above appended, formatted oddly."""
    known = json.dumps(item, separators=(" , ", " : "), ensure_ascii=True)
    return b"{ " + known[1:-1].encode() + UNKNOWN + b" }"


def body_of(key: str, texts: list[bytes], meta: Mapping[str, Any] | None) -> bytes:
    tail = b"" if meta is None else b' , "meta" :' + json.dumps(meta).encode()
    return b'{"' + key.encode() + b'" :  [\n ' + b" ,\n ".join(texts) + b"\n ]" + tail + b"}"


def same_record(raw: msgspec.Raw, item: Any) -> bool:
    """``raw`` decodes to ``item``: the raw is that record's, not another occurrence's."""
    return bool(msgspec.json.decode(raw, type=type(item), dec_hook=dec_hook) == item)


class Served:
    """An aioresponses callback answering client-invoice list queries as
    :func:`listing_model.answer` does, each record written by :func:`odd`, each answer
    passed through ``doctor`` first; ``texts[id]`` is every text sent for that id."""

    def __init__(
        self,
        total: int,
        doctor: Callable[[dict[str, str], dict[str, Any]], dict[str, Any]] | None = None,
        **options: Any,
    ) -> None:
        self.total = total
        self.doctor = doctor
        self.options = options
        self.texts: dict[str, set[bytes]] = {}

    def __call__(self, url: Any, **kwargs: Any) -> CallbackResult:
        query = dict(kwargs.get("params") or [])
        query.setdefault("page", "1")
        query.setdefault("per_page", "100")
        body = answer(self.total, query, **self.options)
        if self.doctor is not None:
            body = self.doctor(query, body)
        texts = [odd(item) for item in body["client_invoices"]]
        for item, text in zip(body["client_invoices"], texts, strict=True):
            self.texts.setdefault(item["id"], set()).add(text)
        now = email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
        return CallbackResult(
            body=body_of("client_invoices", texts, body.get("meta")), headers={"Date": now}
        )


def check_raw(page_raw: Mapping[str, msgspec.Raw], items: list[Any], served: Served) -> None:
    """The raw of exactly these items, each one as sent, each one this very record's."""
    assert list(page_raw) == [item.id for item in items]
    for item in items:
        raw = page_raw[item.id]
        assert isinstance(raw, msgspec.Raw)
        assert bytes(raw) in served.texts[item.id]
        assert UNKNOWN in bytes(raw)
        assert same_record(raw, item)


# -- the decoders ---------------------------------------------------------------------------

Decoder = Callable[[bytes], DecodedPage[Any]]
DECODERS: list[tuple[str, Decoder, type[Any], type[Any]]] = [
    ("clients", decode_client_page, ClientList, Client),
    ("client_invoices", decode_client_invoice_page, ClientInvoiceList, ClientInvoice),
    ("supplier_invoices", decode_supplier_invoice_page, SupplierInvoiceList, SupplierInvoice),
    ("quotes", decode_quote_page, QuoteList, Quote),
    ("credit_notes", decode_credit_note_page, CreditNoteList, CreditNote),
    (
        "subscriptions",
        decode_webhook_subscription_page,
        WebhookSubscriptionList,
        WebhookSubscription,
    ),
]


@pytest.mark.parametrize(("key", "decode", "list_type", "item_type"), DECODERS)
def test_every_page_decoder_keeps_each_item_byte_for_byte(
    key: str,
    decode: Callable[[bytes], DecodedPage[Any]],
    list_type: type[Any],
    item_type: type[Any],
) -> None:
    items = [
        {"id": "a-1", "created_at": "2025-01-01T00:00:02Z", "updated_at": "2025-01-01T00:00:03Z"},
        {"id": "b-2", "created_at": "2025-01-01T00:00:01.5Z"},
        {"id": "c-3"},
    ]
    texts = [odd(item) for item in items]
    meta = {"current_page": 1, "next_page": None, "total_pages": 1, "total_count": 3}
    body = body_of(key, texts, meta)

    page = decode(body)
    whole = model_decoder(list_type).decode(body)

    assert page.items == whole.items  # the same records
    assert all(type(item) is item_type for item in page.items)
    assert page.meta == whole.meta == Meta(**meta)
    assert [bytes(raw) for raw in page.raws] == texts


def test_a_page_without_meta_or_items_decodes_as_before() -> None:
    assert decode_client_invoice_page(b'{"client_invoices": []}').raws == []
    assert decode_client_invoice_page(b'{"client_invoices": []}').meta is None


def test_a_page_decoder_checks_its_list_model() -> None:
    with pytest.raises(TypeError, match="not a list of Quote"):
        page_decoder(ClientInvoiceList, Quote)


MALFORMED = [
    b'{"client_invoices": [{"id": "a"}, {"id": "b", "paid_at": "soon"}]}',
    b'{"client_invoices": [{"id": "a"}, {"id": 7}]}',
    b'{"client_invoices": [{"id": "a"}, {"number": "INV-2"}]}',
    b'{"client_invoices": [{"id": "a"}, 3]}',
    b'{"client_invoices": [{"id": "a", "due_date": "2025-02-30"}]}',
    b'{"client_invoices": {"id": "a"}}',
    b'{"client_invoices": null}',
    b'{"invoices": []}',
    b'{"client_invoices": [], "meta": {"total_count": "12"}}',
    b'{"client_invoices": [{"id": "a", "x": tru}]}',
    b'{"client_invoices": [{"id": "a", "x": "\\q"}]}',
    b'{"client_invoices": [{"id": "a"},]}',
    b'{"client_invoices": [{"id": "a"}',
    b"[]",
    b"",
]


@pytest.mark.parametrize("body", MALFORMED)
def test_a_malformed_page_fails_as_the_whole_page_decoder_fails(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError) as expected:
        model_decoder(ClientInvoiceList).decode(body)
    with pytest.raises(msgspec.DecodeError) as got:
        decode_client_invoice_page(body)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)


async def test_a_malformed_item_is_the_typed_error_naming_it(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    good = odd({"id": "inv-1", "created_at": "2025-01-01T00:00:00Z"})
    bad = odd({"id": "inv-2", "created_at": "2025-01-01T00:00:00Z", "paid_at": "soon"})
    http_mock.get(LIST_PATTERN, body=body_of("client_invoices", [good, bad], None), repeat=True)

    with pytest.raises(APIResponseValidationError) as caught:
        await qonto.client_invoices.list().all()

    error = caught.value
    assert error.where == "Invalid timestamp 'soon' - at `$.client_invoices[1].paid_at`"
    assert error.status == 200
    assert "/v2/client_invoices" in str(error.url)


# -- Page.raw through the paginator ---------------------------------------------------------


async def test_page_raw_holds_each_record_as_sent(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    served = Served(57)
    http_mock.get(LIST_PATTERN, callback=served, repeat=True)

    seen: list[str] = []
    async for page in qonto.client_invoices.list(per_page=10, prefetch=3).pages():
        check_raw(page.raw, page.items, served)
        seen += [item.id for item in page.items]

    assert sorted(seen) == sorted(f"inv-{n:05d}" for n in range(57))


async def test_raw_of_a_page_cut_by_limit_holds_its_records_only(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    served = Served(40)
    http_mock.get(LIST_PATTERN, callback=served, repeat=True)

    pages = [page async for page in qonto.client_invoices.list(per_page=10, limit=15).pages()]

    assert sum(len(page.items) for page in pages) == 15
    for page in pages:
        check_raw(page.raw, page.items, served)


async def test_raw_survives_ids_served_again_under_another_created_at(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    def twin(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        # The 5 oldest of 65 records carry the ids of 5 newer ones (inv-00003..inv-00007):
        # each such id is yielded once, its raw the occurrence yielded.
        for item in body["client_invoices"]:
            n = int(item["id"][4:])
            if n >= 60:
                item["id"] = f"inv-{n - 57:05d}"
        return body

    served = Served(65, twin)
    http_mock.get(LIST_PATTERN, callback=served, repeat=True)

    ids: list[str] = []
    async for page in qonto.client_invoices.list(per_page=10).pages():
        check_raw(page.raw, page.items, served)
        ids += [item.id for item in page.items]

    assert len(ids) == len(set(ids)) == 60
    assert any(len(served.texts[f"inv-{n:05d}"]) == 2 for n in range(3, 8))


@pytest.mark.parametrize("bounded", [False, True])
async def test_raw_survives_the_fallback_to_page_numbers(
    qonto: QontoClient, http_mock: AioResponses, caplog: pytest.LogCaptureFixture, bounded: bool
) -> None:
    # A server ignoring the created_at filters breaks the walk's window claim: the rest is
    # read by page number, skipping what was yielded and (bounded) what lies outside.
    served = Served(80, created_filters=False)
    http_mock.get(LIST_PATTERN, callback=served, repeat=True)
    newest = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    listing = qonto.client_invoices.list(
        per_page=10,
        created_at_from=newest - dt.timedelta(seconds=60) if bounded else None,
        created_at_to=newest if bounded else None,
    )

    ids: list[str] = []
    with caplog.at_level(logging.WARNING, logger="qonto_async"):
        async for page in listing.pages():
            check_raw(page.raw, page.items, served)
            ids += [item.id for item in page.items]

    assert "listing by page number instead" in caplog.text
    expected = 61 if bounded else 80
    assert sorted(ids) == [f"inv-{n:05d}" for n in range(expected)]


def test_a_page_keeps_the_raw_of_the_occurrence_it_holds() -> None:
    # One answer holding one id twice, under two created_at: the page the paginator makes of
    # the second maps the second's JSON, not the first's.
    first = odd({"id": "dup", "created_at": "2025-01-01T00:00:02Z"})
    second = odd({"id": "dup", "created_at": "2025-01-01T00:00:01Z"})
    other = odd({"id": "other", "created_at": "2025-01-01T00:00:00Z"})
    decoded = decode_client_invoice_page(body_of("client_invoices", [first, second, other], None))
    fetched = decoded_page(decoded, decoded.items, decoded.meta, None)

    page = derived_page(fetched, decoded.items[1:], 2)

    assert page.number == 2
    assert {rid: bytes(raw) for rid, raw in page.raw.items()} == {"dup": second, "other": other}
    assert bytes(fetched.raw["dup"]) == first  # the first, for the answer as served


def test_pages_and_records_built_by_hand() -> None:
    assert Page([1, 2], None, 1).raw == {}
    mapping = {"a": msgspec.Raw(b'{"id":"a"}')}
    assert Page([], None, 1, raw=mapping).raw is mapping
    records = Records(["x"], mapping)
    assert records == ["x"]
    assert isinstance(records, list)
    assert records.raw is mapping
    assert Records().raw == {}
    assert Records([1]).raw == {}


async def test_a_paginator_over_hand_made_pages_maps_the_raw_of_what_it_yields() -> None:
    class Item(msgspec.Struct):
        id: str
        created_at: dt.datetime

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    records = [Item(f"r{n:02d}", start + dt.timedelta(seconds=n)) for n in range(25)]
    raws = {r.id: msgspec.Raw(msgspec.json.encode(r)) for r in records}

    async def fetch(query: list[tuple[str, str]]) -> Page[Item]:
        params = dict(query)
        size, number = int(params["per_page"]), int(params["page"])
        lo = params.get("filter[created_at_from]")
        chosen = [r for r in records if lo is None or r.created_at >= dt.datetime.fromisoformat(lo)]
        items = chosen[(number - 1) * size : number * size]
        more = number * size < len(chosen)
        meta = Meta(current_page=number, next_page=number + 1 if more else None,
                    total_count=len(chosen), total_pages=-(-len(chosen) // size))  # fmt: skip
        return Page(items, meta, number, raw=raws)  # the raw of every record: a superset

    spec = ListingSpec(key="created_at", sorts=("created_at",), descending=False)
    paginator: Paginator[Item] = Paginator(spec, fetch, per_page=10, prefetch=2)
    ids: list[str] = []
    async for page in paginator.pages():
        assert list(page.raw) == [item.id for item in page.items]
        assert all(page.raw[item.id] is raws[item.id] for item in page.items)
        ids += [item.id for item in page.items]
    assert ids == [r.id for r in records]


# -- changes().pages() ----------------------------------------------------------------------


async def test_changes_pages_are_records_whose_raw_agrees_with_them(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    served = Served(33)
    http_mock.get(LIST_PATTERN, callback=served, repeat=True)

    feed = qonto.client_invoices.changes(per_page=10)
    ids: list[str] = []
    async for records in feed.pages():
        assert isinstance(records, Records)
        assert isinstance(records, list)
        check_raw(records.raw, list(records), served)
        ids += [record.id for record in records]

    assert sorted(ids) == [f"inv-{n:05d}" for n in range(33)]


# -- webhook subscriptions (read by page number) --------------------------------------------


async def test_webhook_subscription_pages_carry_raw(http_mock: AioResponses) -> None:
    subscriptions = [{"id": f"sub-{n:02d}", "types": ["v1/clients"]} for n in range(12)]
    texts = {s["id"]: odd(s) for s in subscriptions}

    async def callback(url: Any, **kwargs: Any) -> CallbackResult:
        query = dict(kwargs.get("params") or [])
        size, number = int(query["per_page"]), int(query["page"])
        chunk = subscriptions[(number - 1) * size : number * size]
        pages = -(-len(subscriptions) // size)
        meta = {"current_page": number, "next_page": number + 1 if number < pages else None,
                "total_pages": pages, "total_count": len(subscriptions)}  # fmt: skip
        return CallbackResult(body=body_of("subscriptions", [texts[s["id"]] for s in chunk], meta))

    url = re.compile(re.escape(f"{BASE_URL}/v2/webhook_subscriptions") + r"(\?.*)?$")
    http_mock.get(url, callback=callback, repeat=True)
    async with QontoClient(access_token="t", base_url=BASE_URL) as qonto:
        pages = [page async for page in qonto.webhook_subscriptions.list(per_page=5).pages()]

    assert [len(page.items) for page in pages] == [5, 5, 2]
    for page in pages:
        assert {rid: bytes(raw) for rid, raw in page.raw.items()} == {
            s.id: texts[s.id] for s in page.items
        }
