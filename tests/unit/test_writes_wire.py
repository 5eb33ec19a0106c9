"""What writes put on the wire (bodies, headers, idempotency keys) and how they read what
comes back, with HTTP mocked by aioresponses."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import re
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL, SECRET_KEY

from qonto_async import (
    Amount,
    ClientInvoice,
    Discount,
    InvalidTransitionError,
    InvoiceItem,
    QontoClient,
    SupplierInvoice,
    UnprocessableEntityError,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
INVOICES = f"{BASE_URL}/v2/client_invoices"
CLIENTS = f"{BASE_URL}/v2/clients"


def invoice(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((FIXTURES / "client_invoice.json").read_bytes())
    record["client_invoice"].update(changes)
    return record


def client_body() -> dict[str, Any]:
    record: dict[str, Any] = json.loads((FIXTURES / "client_company.json").read_bytes())
    return record


def sent(mock: AioResponses, method: str) -> list[Any]:
    return [call for (verb, _), calls in mock.requests.items() if verb == method for call in calls]


def body_of(call: Any) -> Any:
    return json.loads(call.kwargs["data"])


async def test_create_sends_a_flat_typed_body_with_a_key(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.post(INVOICES, payload=invoice(status="draft"), status=201)
    await qonto.client_invoices.create(
        client_id="c1",
        issue_date=dt.date(2026, 1, 10),
        due_date="2026-02-09",
        currency="EUR",
        payment_methods={"iban": "FR7612345"},
        items=[
            InvoiceItem(
                title="Audit",
                quantity=Decimal("1.50"),
                unit_price=Amount(value=Decimal("400"), currency="EUR"),
                vat_rate=Decimal("0.2"),
                discount=Discount(type="percentage", value=Decimal("0.1")),
            ),
            {"title": "Travel", "quantity": 1, "unit_price": {"value": "12.5"}, "vat_rate": "0"},
        ],
    )
    (call,) = sent(http_mock, "POST")
    assert body_of(call) == {
        "client_id": "c1",
        "issue_date": "2026-01-10",
        "due_date": "2026-02-09",
        "currency": "EUR",
        "payment_methods": {"iban": "FR7612345"},
        "items": [
            {
                "title": "Audit",
                "quantity": "1.50",
                "unit_price": {"value": "400", "currency": "EUR"},
                "vat_rate": "0.2",
                "discount": {"type": "percentage", "value": "0.1"},
            },
            {"title": "Travel", "quantity": "1", "unit_price": {"value": "12.5"}, "vat_rate": "0"},
        ],
    }
    headers = call.kwargs["headers"]
    assert headers["Content-Type"] == "application/json"
    assert uuid.UUID(headers["X-Qonto-Idempotency-Key"]).version == 4


async def test_a_retried_write_sends_the_same_key_and_body(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.post(CLIENTS, exception=aiohttp.ServerDisconnectedError())
    http_mock.post(CLIENTS, status=503)
    http_mock.post(CLIENTS, payload=client_body())
    await qonto.clients.create(kind="company", name="Acme", idempotency_key="order-42")
    calls = sent(http_mock, "POST")
    assert len(calls) == 3
    assert {c.kwargs["headers"]["X-Qonto-Idempotency-Key"] for c in calls} == {"order-42"}
    assert {c.kwargs["data"] for c in calls} == {b'{"kind":"company","name":"Acme"}'}


async def test_two_calls_get_two_keys(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.post(CLIENTS, payload=client_body(), repeat=True)
    await qonto.clients.create(kind="company", name="A")
    await qonto.clients.create(kind="company", name="A")
    keys = {c.kwargs["headers"]["X-Qonto-Idempotency-Key"] for c in sent(http_mock, "POST")}
    assert len(keys) == 2


def line(**changes: Any) -> dict[str, Any]:
    return {"title": "x", "quantity": "1", "unit_price": {}, "vat_rate": "0", **changes}


@pytest.mark.parametrize(
    ("item", "error", "message"),
    [
        (line(quantity=1.5), TypeError, "items/0/quantity: a float"),
        (line(unit_price={"value": "abc"}), ValueError, "items/0/unit_price/value"),
        (line(vat_rate=Decimal("NaN")), ValueError, "items/0/vat_rate"),
        (line(seen=object()), TypeError, "items/0/seen"),
    ],
)
async def test_bad_values_fail_before_any_request(
    qonto: QontoClient, http_mock: AioResponses, item: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        await qonto.client_invoices.create(
            client_id="c1", issue_date=dt.date(2026, 1, 1), due_date="2026-01-02", items=[item]
        )
    assert not http_mock.requests


async def test_wrong_names_and_dates_fail_before_any_request(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    fields: dict[str, Any] = {"kind": "company", "nmae": "typo"}
    with pytest.raises(TypeError, match=r"unexpected field.*nmae"):
        await qonto.clients.create(**fields)
    with pytest.raises(TypeError, match=r"missing required field.*kind"):
        await qonto.clients.create(name="no kind")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="name: expected str"):
        await qonto.clients.create(kind="company", name=12)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="issue_date: expected a date, not a datetime"):
        await qonto.client_invoices.update("i1", issue_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ValueError, match="paid_at: expected a date as YYYY-MM-DD"):
        await qonto.client_invoices.mark_as_paid("i1", paid_at="05/01/2026")
    with pytest.raises(TypeError, match="send_to"):
        await qonto.client_invoices.send("i1", send_to="a@b.c", email_title="t")
    assert not http_mock.requests


async def test_actions_always_send_a_json_body(qonto: QontoClient, http_mock: AioResponses) -> None:
    # An empty body is refused by some of them (422 invalid_body: EOF).
    http_mock.post(f"{INVOICES}/i1/finalize", payload=invoice(status="unpaid"))
    http_mock.post(f"{INVOICES}/i1/mark_as_paid", payload=invoice(status="paid"))
    http_mock.post(f"{INVOICES}/i1/send", status=200, body=b"")
    await qonto.client_invoices.finalize("i1")
    await qonto.client_invoices.mark_as_paid("i1", paid_at=dt.date(2026, 1, 5))
    await qonto.client_invoices.send("i1", send_to=["a@b.example"], email_title="Hello")
    bodies = [body_of(call) for call in sent(http_mock, "POST")]
    assert bodies == [
        {},
        {"paid_at": "2026-01-05"},
        {"send_to": ["a@b.example"], "email_title": "Hello", "copy_to_self": True},
    ]


async def test_a_refused_action_after_a_lost_answer_is_the_action_done(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    # The first finalize went through but its answer was lost; a server that ignores the
    # key refuses the retry ("not a draft"): the invoice stands where finalize leads.
    http_mock.post(f"{INVOICES}/i1/finalize", exception=aiohttp.ServerDisconnectedError())
    http_mock.post(
        f"{INVOICES}/i1/finalize",
        status=422,
        payload={"errors": [{"code": "invalid_status", "detail": "not a draft"}]},
    )
    http_mock.get(f"{INVOICES}/i1", payload=invoice(id="i1", status="unpaid"))
    finalized = await qonto.client_invoices.finalize("i1")
    assert finalized.status == "unpaid"


async def test_a_refused_action_says_which_transition_and_state(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.post(
        f"{INVOICES}/i1/finalize",
        status=422,
        payload={"errors": [{"code": "invalid_status", "detail": "not a draft"}]},
        headers={"X-Tyk-Trace-Id": "t-9"},
    )
    http_mock.get(f"{INVOICES}/i1", payload=invoice(id="i1", status="paid"))
    with pytest.raises(InvalidTransitionError) as caught:
        await qonto.client_invoices.finalize("i1")
    error = caught.value
    assert (error.transition, error.state, error.status, error.trace_id) == (
        "finalize",
        "paid",
        422,
        "t-9",
    )
    assert error.resource_id == "i1"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.transition, copy.state, str(copy)) == ("finalize", "paid", str(error))
    assert SECRET_KEY not in repr(copy) + str(copy)


async def test_a_validation_error_on_an_action_stays_one(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    pointer = {"pointer": "/data/attributes/paid_at"}
    http_mock.post(
        f"{INVOICES}/i1/mark_as_paid",
        status=422,
        payload={"errors": [{"code": "invalid", "detail": "in the future", "source": pointer}]},
    )
    http_mock.get(f"{INVOICES}/i1", payload=invoice(id="i1", status="unpaid"))
    with pytest.raises(UnprocessableEntityError) as caught:
        await qonto.client_invoices.mark_as_paid("i1", paid_at="2099-01-01")
    assert not isinstance(caught.value, InvalidTransitionError)
    assert caught.value.field_errors == {"paid_at": "in the future"}


async def test_a_delete_found_gone_after_a_lost_answer_is_done(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.delete(f"{CLIENTS}/c1", exception=aiohttp.ServerDisconnectedError())
    http_mock.delete(f"{CLIENTS}/c1", status=404, payload={"errors": [{"code": "not_found"}]})
    await qonto.clients.delete("c1")
    assert len(sent(http_mock, "DELETE")) == 2
    http_mock.delete(f"{CLIENTS}/c2", status=404, payload={"errors": [{"code": "not_found"}]})
    with pytest.raises(Exception, match="404"):
        await qonto.clients.delete("c2")  # never existed: a plain 404


async def test_a_day_only_paid_at_decodes(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.post(f"{INVOICES}/i1/mark_as_paid", payload=invoice(paid_at="2026-01-05"))
    paid = await qonto.client_invoices.mark_as_paid("i1")
    assert paid.paid_at == dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


async def test_raw_response_of_an_action(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.post(
        f"{INVOICES}/i1/finalize",
        payload=invoice(status="unpaid"),
        headers={"X-Tyk-Trace-Id": "t1"},
    )
    raw = await qonto.client_invoices.with_raw_response.finalize("i1")
    assert (raw.status, raw.trace_id, raw.parsed.status) == (200, "t1", "unpaid")
    with pytest.raises(AttributeError):
        qonto.client_invoices.with_raw_response.list  # type: ignore[attr-defined]  # noqa: B018


async def test_supplier_mark_as_paid_wraps_its_body_and_reads_a_bare_answer(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    bare = json.loads((FIXTURES / "supplier_invoice.json").read_bytes())["supplier_invoice"]
    url = f"{BASE_URL}/v2/supplier_invoices/s1/mark_as_paid"
    http_mock.post(url, payload={**bare, "status": "paid"})
    paid = await qonto.supplier_invoices.mark_as_paid("s1", payment_date=dt.date(2026, 1, 1))
    assert paid.status == "paid"
    (call,) = sent(http_mock, "POST")
    assert body_of(call) == {"supplier_invoice": {"payment_date": "2026-01-01"}}
    assert call.kwargs["headers"]["X-Qonto-Idempotency-Key"]


async def test_extra_headers_per_call_and_per_derived_client(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(f"{CLIENTS}/c1", payload=client_body())
    await qonto.clients.get("c1", extra_headers={"X-Request-Id": "r1"})
    (call,) = sent(http_mock, "GET")
    assert call.kwargs["headers"]["X-Request-Id"] == "r1"

    empty = {"clients": [], "meta": {"current_page": 1, "total_pages": 0, "total_count": 0}}
    http_mock.get(re.compile(rf"^{CLIENTS}\?.*"), payload=empty, repeat=True)
    tagged = qonto.with_options(extra_headers={"X-Request-Id": "r2", "Authorization": "x"})
    assert await tagged.clients.list().all() == []
    listed = [c for c in sent(http_mock, "GET") if c is not call]
    assert listed
    for request in listed:
        assert request.kwargs["headers"]["X-Request-Id"] == "r2"
        assert request.kwargs["headers"]["Authorization"] != "x"  # credentials stay ours


QUOTE = {"client_id": "c1", "issue_date": "2026-01-01", "expiry_date": "2026-02-01", "items": []}
SUPPLIERS = f"{BASE_URL}/v2/supplier_invoices"
# (method called, its arguments, HTTP method, URL, the JSON body expected, the answer)
WIRE: list[tuple[str, tuple[str, ...], dict[str, Any], str, str, Any, Any]] = [
    (
        "clients.update",
        ("c1",),
        {"email": "a@b.example"},
        "PATCH",
        f"{CLIENTS}/c1",
        {"email": "a@b.example"},
        client_body(),
    ),
    ("clients.delete", ("c1",), {}, "DELETE", f"{CLIENTS}/c1", None, None),
    (
        "client_invoices.update",
        ("i1",),
        {"header": "H"},
        "PATCH",
        f"{INVOICES}/i1",
        {"header": "H"},
        invoice(),
    ),
    ("client_invoices.delete", ("i1",), {}, "DELETE", f"{INVOICES}/i1", None, None),
    (
        "client_invoices.unmark_as_paid",
        ("i1",),
        {},
        "POST",
        f"{INVOICES}/i1/unmark_as_paid",
        {},
        invoice(),
    ),
    (
        "client_invoices.mark_as_canceled",
        ("i1",),
        {},
        "POST",
        f"{INVOICES}/i1/mark_as_canceled",
        {},
        invoice(),
    ),
    (
        "supplier_invoices.unmark_as_paid",
        ("s1",),
        {},
        "POST",
        f"{SUPPLIERS}/s1/unmark_as_paid",
        {},
        {"id": "s1"},
    ),
    ("quotes.create", (), QUOTE, "POST", f"{BASE_URL}/v2/quotes", QUOTE, {"quote": {"id": "q1"}}),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "method", "url", "body", "answer"), WIRE, ids=[w[0] for w in WIRE]
)
async def test_each_write_sends_its_method_path_body_and_key(
    qonto: QontoClient,
    http_mock: AioResponses,
    name: str,
    args: tuple[str, ...],
    kwargs: dict[str, Any],
    method: str,
    url: str,
    body: Any,
    answer: Any,
) -> None:
    http_mock.add(url, method, payload=answer, status=200 if answer else 204)
    resource, action = name.split(".")
    await getattr(getattr(qonto, resource), action)(*args, **kwargs)
    (call,) = sent(http_mock, method)
    headers = call.kwargs["headers"]
    assert uuid.UUID(headers["X-Qonto-Idempotency-Key"])
    if body is None:
        assert call.kwargs["data"] is None
    else:
        assert body_of(call) == body
        assert headers["Content-Type"] == "application/json"


async def test_a_bulk_upload_answer_with_blank_dates_decodes(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    # The bulk answer had a decoder of its own that did not read "" as a missing date: the
    # invoice was created, but the call reported the file as failed.
    bare = json.loads((FIXTURES / "supplier_invoice.json").read_bytes())["supplier_invoice"]
    created = {**bare, "id": "s9", "due_date": "", "payment_date": "", "scheduled_date": ""}
    http_mock.post(
        f"{BASE_URL}/v2/supplier_invoices/bulk", payload={"supplier_invoices": [created]}
    )

    (result,) = await qonto.supplier_invoices.create_many([("bill.pdf", b"%PDF-1.4 bill")])

    assert isinstance(result, SupplierInvoice), result
    assert (result.id, result.due_date, result.payment_date) == ("s9", None, None)


class _InvoiceEnvelope(msgspec.Struct):
    client_invoice: ClientInvoice


async def test_request_cast_to_a_model_reads_blank_dates(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    # qonto.request(cast_to=) built a decoder without the blank-date rule.
    draft = {"id": "d1", "status": "draft", "finalized_at": "", "due_date": ""}
    http_mock.get(f"{BASE_URL}/v2/client_invoices/d1", payload={"client_invoice": draft})

    got = await qonto.request("GET", "/v2/client_invoices/d1", cast_to=_InvoiceEnvelope)

    assert got == _InvoiceEnvelope(client_invoice=ClientInvoice(id="d1", status="draft"))
