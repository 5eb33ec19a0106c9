"""The fake Qonto server itself, driven by a plain aiohttp client (no SDK)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec
import pytest

from qonto_async.testing import (
    CLIENT_INVOICE_STATUSES,
    SUPPLIER_INVOICE_STATUSES,
    FakeOptions,
    FakeQonto,
    FaultAction,
    Faults,
    RateLimit,
)
from qonto_async.testing._data import Dataset


class Answer:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


class Api:
    """A bare aiohttp client for the fake: no SDK involved."""

    def __init__(self, fake: FakeQonto, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.session = session
        self.auth = {"Authorization": f"{fake.login}:{fake.secret_key}"}

    async def get(
        self,
        path: str,
        params: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        auth: bool = True,
    ) -> Answer:
        sent = dict(self.auth) if auth else {}
        sent.update(headers or {})
        url = path if path.startswith("http") else self.fake.base_url + path
        async with self.session.get(url, params=params, headers=sent) as response:
            return Answer(response.status, response.headers, await response.read())

    async def post(
        self, path: str, data: Any, *, headers: Mapping[str, str] | None = None
    ) -> Answer:
        sent = {**self.auth, **(headers or {})}
        url = self.fake.base_url + path
        async with self.session.post(url, data=data, headers=sent) as response:
            return Answer(response.status, response.headers, await response.read())

    async def upload(self, form: Any, key: str | None = None) -> Answer:
        headers = {"X-Qonto-Idempotency-Key": key} if key else None
        return await self.post("/v2/client_invoices/uploads", form, headers=headers)

    async def all_pages(self, path: str, params: Any = None) -> list[Any]:
        items: list[Any] = []
        page = 1
        key = path.rsplit("/", 1)[-1]
        base = list(params.items()) if isinstance(params, Mapping) else list(params or [])
        while True:
            answer = await self.get(path, [*base, ("page", str(page))])
            assert answer.status == 200, answer.body[:300]
            body = answer.json()
            items += body[key]
            if body["meta"]["next_page"] is None:
                return items
            page = body["meta"]["next_page"]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
async def fake() -> AsyncIterator[FakeQonto]:
    async with FakeQonto(
        seed=3, clients=8, client_invoices=45, supplier_invoices=40, uploads=2
    ) as f:
        yield f


@pytest.fixture
def api(fake: FakeQonto, session: aiohttp.ClientSession) -> Api:
    return Api(fake, session)


# Key order of the seed documents' examples (seed 002: client invoice, 003: supplier invoice).
CLIENT_INVOICE_KEYS = [
    "id", "organization_id", "number", "purchase_order", "status", "invoice_url",
    "contact_email", "terms_and_conditions", "discount_conditions", "late_payment_penalties",
    "legal_fixed_compensation", "header", "footer", "currency", "total_amount",
    "total_amount_cents", "vat_amount", "vat_amount_cents", "issue_date", "due_date",
    "performance_date", "performance_start_date", "performance_end_date", "created_at",
    "finalized_at", "paid_at", "stamp_duty_amount", "items", "client", "payment_methods",
    "credit_notes_ids", "organization", "invoice_type", "attachment_id", "discount",
    "einvoicing_status", "welfare_fund", "withholding_tax", "payment_reporting",
    "einvoicing_lifecycle_events",
]  # fmt: skip
EMBEDDED_CLIENT_KEYS = [
    "id", "name", "first_name", "last_name", "type", "email", "vat_number",
    "tax_identification_number", "address", "city", "zip_code", "province_code",
    "country_code", "recipient_code", "locale", "billing_address", "delivery_address",
]  # fmt: skip
ITEM_KEYS = [
    "title", "description", "quantity", "unit", "unit_price", "unit_price_cents", "vat_rate",
    "vat_exemption_reason", "discount", "total_vat", "total_vat_cents", "total_amount",
    "total_amount_cents", "subtotal", "subtotal_cents",
]  # fmt: skip
SUPPLIER_INVOICE_KEYS = [
    "id", "is_einvoice", "has_discrepancies", "organization_id", "file_name", "status",
    "source_type", "created_at", "updated_at", "attachment_id", "display_attachment_id",
    "declined_note", "e_invoice_type", "has_duplicates", "invoice_number", "supplier_name",
    "vat_number", "tin", "description", "total_amount", "issue_date", "due_date",
    "payment_date", "scheduled_date", "iban", "initiator_id", "source",
    "is_attachment_invoice", "attachment_category", "is_attachment_non_financial",
    "analyzed_at", "matched_transactions", "transfer_ids", "request_transfer",
    "einvoicing_lifecycle_events", "meta", "available_actions", "approval_workflow",
    "payable_amount", "total_amount_credit_notes", "is_credit_note",
    "has_suggested_credit_notes", "related_invoices", "suggested_transactions",
]  # fmt: skip
META_KEYS = ["current_page", "next_page", "prev_page", "total_pages", "total_count", "per_page"]


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _pdf_form(content: bytes = b"%PDF-1.4 fake", content_type: str = "application/pdf") -> Any:
    form = aiohttp.FormData()
    form.add_field("client_invoices_upload", content, filename="doc.pdf", content_type=content_type)
    return form


def _assert_error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status == status, answer.body[:300]
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["detail"]
    assert body["trace_id"] == answer.headers["X-Tyk-Trace-Id"]
    return body  # type: ignore[no-any-return]


# -- authentication --------------------------------------------------------------------------


async def test_api_key_is_required(api: Api) -> None:
    _assert_error(await api.get("/v2/clients", auth=False), 401, "unauthorized")
    wrong = {"Authorization": f"{api.fake.login}:nope"}
    _assert_error(await api.get("/v2/clients", headers=wrong), 401, "unauthorized")
    basic = {"Authorization": f"Basic {api.fake.login}:{api.fake.secret_key}"}
    _assert_error(await api.get("/v2/clients", headers=basic), 401, "unauthorized")
    assert (await api.get("/v2/clients")).status == 200


async def test_client_invoice_errors_carry_status_inside_each_error(api: Api) -> None:
    body = _assert_error(await api.get("/v2/client_invoices", auth=False), 401, "unauthorized")
    assert body["errors"][0]["status"] == "401"
    body = _assert_error(await api.get("/v2/clients", auth=False), 401, "unauthorized")
    assert "status" not in body["errors"][0]


async def test_bearer_tokens(api: Api) -> None:
    fake = api.fake
    ok = await api.get("/v2/clients", headers={"Authorization": f"Bearer {fake.access_token}"})
    assert ok.status == 200
    unknown = await api.get("/v2/clients", headers={"Authorization": "Bearer nope"})
    _assert_error(unknown, 401, "invalid_token")
    fake.expire_access_tokens()
    expired = await api.get("/v2/clients", headers={"Authorization": f"Bearer {fake.access_token}"})
    _assert_error(expired, 401, "token_expired")


async def test_oauth_refresh_rotates_tokens(api: Api, session: aiohttp.ClientSession) -> None:
    fake = api.fake
    first_refresh = fake.refresh_token
    form = {
        "grant_type": "refresh_token",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "refresh_token": first_refresh,
    }
    async with session.post(fake.token_url, data=form) as response:
        assert response.status == 200
        token = await response.json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] == 3600
    assert token["refresh_token"] != first_refresh
    assert token["refresh_token"] == fake.refresh_token
    assert {"access_token", "scope"} <= token.keys()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await api.get("/v2/clients", headers=bearer)).status == 200
    # The rotated-out refresh token still works during the grace period...
    async with session.post(fake.token_url, data=form) as response:
        assert response.status == 200
    assert fake.stats.token_refreshes == 2
    # ...client credentials may also come as HTTP Basic...
    basic = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
    rotated = {"grant_type": "refresh_token", "refresh_token": fake.refresh_token}
    headers = {"Authorization": f"Basic {basic}"}
    async with session.post(fake.token_url, data=rotated, headers=headers) as response:
        assert response.status == 200
    # ...and bad client credentials or grants are refused with RFC 6749 bodies.
    async with session.post(fake.token_url, data={**form, "client_secret": "x"}) as response:
        assert response.status == 401
        assert (await response.json())["error"] == "invalid_client"
    async with session.post(fake.token_url, data={**form, "refresh_token": "x"}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "invalid_grant"
    async with session.post(fake.token_url, data={**form, "grant_type": "password"}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "unsupported_grant_type"
    assert fake.stats.token_refreshes == 3


async def test_rotated_refresh_token_expires_after_grace(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(
        clients=1, client_invoices=0, options=FakeOptions(refresh_token_grace=0.0)
    ) as fake:
        form = {
            "grant_type": "refresh_token",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "refresh_token": fake.refresh_token,
        }
        async with session.post(fake.token_url, data=form) as response:
            assert response.status == 200
        async with session.post(fake.token_url, data=form) as response:
            assert response.status == 400


async def test_too_many_401_get_throttled(session: aiohttp.ClientSession) -> None:
    options = FakeOptions(auth_failure_limit=RateLimit(3, 60))
    async with FakeQonto(clients=1, client_invoices=0, options=options) as fake:
        api = Api(fake, session)
        statuses = [(await api.get("/v2/clients", auth=False)).status for _ in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
        assert fake.stats.auth_throttled == 2


# -- pagination ------------------------------------------------------------------------------


async def test_pagination_meta_and_every_record_once(api: Api) -> None:
    seen: list[str] = []
    for page in range(1, 6):
        answer = await api.get("/v2/client_invoices", {"page": str(page), "per_page": "10"})
        body = answer.json()
        assert list(body) == ["client_invoices", "meta"]
        assert list(body["meta"]) == META_KEYS
        assert body["meta"] == {
            "current_page": page,
            "next_page": page + 1 if page < 5 else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": 5,
            "total_count": 45,
            "per_page": 10,
        }
        seen += [inv["id"] for inv in body["client_invoices"]]
    assert len(body["client_invoices"]) == 5
    assert sorted(seen) == sorted(api.fake.ids("client_invoices"))
    assert api.fake.stats.duplicates("client_invoices") == {}
    assert set(api.fake.stats.served["client_invoices"].values()) == {1}


async def test_current_page_is_an_alias_of_page(api: Api) -> None:
    by_page = await api.get("/v2/supplier_invoices", {"page": "2", "per_page": "7"})
    by_alias = await api.get("/v2/supplier_invoices", {"current_page": "2", "per_page": "7"})
    assert by_page.body == by_alias.body
    assert by_alias.json()["meta"]["current_page"] == 2


async def test_page_beyond_the_end_is_empty(api: Api) -> None:
    body = (await api.get("/v2/clients", {"page": "9", "per_page": "5"})).json()
    assert body["clients"] == []
    assert body["meta"] == {
        "current_page": 9,
        "next_page": None,
        "prev_page": None,
        "total_pages": 2,
        "total_count": 8,
        "per_page": 5,
    }


async def test_empty_selection_meta(api: Api) -> None:
    body = (await api.get("/v2/clients", {"filter[email]": "nobody@example.com"})).json()
    assert body == {
        "clients": [],
        "meta": {
            "current_page": 1,
            "next_page": None,
            "prev_page": None,
            "total_pages": 0,
            "total_count": 0,
            "per_page": 100,
        },
    }


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"per_page": "0"}, "per_page"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "ten"}, "per_page"),
        ({"page": "0"}, "page"),
        ({"current_page": "-1"}, "page"),
        ({"page": "x"}, "page"),
    ],
)
async def test_bad_pagination_is_a_400(api: Api, params: dict[str, str], parameter: str) -> None:
    body = _assert_error(await api.get("/v2/client_invoices", params), 400, "bad_request")
    assert body["errors"][0]["source"] == {"parameter": parameter}


async def test_max_per_page_per_endpoint(session: aiohttp.ClientSession) -> None:
    limits = {"client_invoices": 500, "clients": 25}
    async with FakeQonto(
        clients=30, client_invoices=10, options=FakeOptions(max_per_page=limits)
    ) as fake:
        api = Api(fake, session)
        assert (await api.get("/v2/client_invoices", {"per_page": "500"})).status == 200
        assert (await api.get("/v2/clients", {"per_page": "26"})).status == 400
        assert (await api.get("/v2/supplier_invoices", {"per_page": "101"})).status == 400
        # The default page size never exceeds the endpoint's maximum.
        assert (await api.get("/v2/clients")).json()["meta"]["per_page"] == 25


# -- filters and sorting ---------------------------------------------------------------------


async def test_client_invoice_status_filter(api: Api) -> None:
    everything = await api.all_pages("/v2/client_invoices")
    paid_unpaid = await api.all_pages("/v2/client_invoices", {"filter[status]": "paid,unpaid"})
    expected = [inv["id"] for inv in everything if inv["status"] in ("paid", "unpaid")]
    assert [inv["id"] for inv in paid_unpaid] == expected
    assert 0 < len(expected) < len(everything)
    assert api.fake.count("client_invoices", **{"filter[status]": "paid,unpaid"}) == len(expected)
    # The repeated-key form is a supplier-invoice thing: client invoices do not read it.
    ignored = await api.all_pages("/v2/client_invoices", {"filter[status][]": "paid"})
    assert len(ignored) == len(everything)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v2/client_invoices", {"filter[status]": "payed"}),
        ("/v2/client_invoices", {"filter[status]": "cancelled,pending"}),
        ("/v2/supplier_invoices", {"filter[status][]": "payed"}),
        ("/v2/quotes", {"filter[status]": "accepted"}),
    ],
)
async def test_an_unknown_status_matches_nothing(
    api: Api, path: str, params: dict[str, str]
) -> None:
    # As Qonto does (qontoctl saw it live): no 422, an empty list. The SDK refuses such a
    # value before sending it, because the server will not say it was wrong.
    answer = await api.get(path, params)
    assert answer.status == 200
    body = answer.json()
    assert body[path.rsplit("/", 1)[-1]] == []
    assert body["meta"]["total_count"] == 0


async def test_client_invoice_date_filters_and_sort(api: Api) -> None:
    everything = await api.all_pages("/v2/client_invoices")
    created = [_ts(inv["created_at"]) for inv in everything]
    assert created == sorted(created, reverse=True)  # default created_at:desc
    ascending = await api.all_pages("/v2/client_invoices", {"sort_by": "created_at:asc"})
    assert [i["id"] for i in ascending] == [i["id"] for i in reversed(everything)]
    lo, hi = created[30], created[10]
    params = {"filter[created_at_from]": lo.isoformat(), "filter[created_at_to]": hi.isoformat()}
    window = await api.all_pages("/v2/client_invoices", params)
    assert [i["id"] for i in window] == [i["id"] for i in everything[10:31]]
    utc = {"filter[created_at_from]": lo.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert len(await api.all_pages("/v2/client_invoices", utc)) == 31
    day = {"filter[created_at_to]": created[-1].date().isoformat()}  # a bare date: whole day
    first_day = await api.all_pages("/v2/client_invoices", day)
    assert everything[-1]["id"] in [i["id"] for i in first_day]
    # updated_at is not part of seed 002's shape, but its filter narrows the list.
    recent = {"filter[updated_at_from]": "2025-01-01T00:00:00Z"}
    assert 0 < api.fake.count("client_invoices", **recent) < 45


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v2/client_invoices", {"sort_by": "number:asc"}, "sort_by"),
        ("/v2/client_invoices", {"sort_by": "created_at:sideways"}, "sort_by"),
        ("/v2/client_invoices", {"filter[created_at_from]": "yesterday"},
         "filter[created_at_from]"),
        ("/v2/clients", {"filter[name]": "a"}, "filter[name]"),
        ("/v2/supplier_invoices", {"filter[due_date]": "soon"}, "filter[due_date]"),
        ("/v2/supplier_invoices", {"filter[exclude_credit_notes]": "maybe"},
         "filter[exclude_credit_notes]"),
        ("/v2/supplier_invoices", {"query": "x", "query_fields": "iban"}, "query_fields"),
    ],
)  # fmt: skip
async def test_bad_filters_are_a_422(
    api: Api, path: str, params: dict[str, str], parameter: str
) -> None:
    body = _assert_error(await api.get(path, params), 422, "invalid_parameter")
    assert body["errors"][0]["source"] == {"parameter": parameter}


async def test_unencoded_plus_in_a_timestamp_is_refused(api: Api) -> None:
    # A client that does not percent-encode "+" sends a space: Qonto cannot parse it either.
    query = "filter[created_at_from]=2024-01-01T00:00:00+02:00"
    answer = await api.get(f"{api.fake.base_url}/v2/client_invoices?{query}")
    assert answer.status == 422


async def test_supplier_invoice_status_filter_both_forms(api: Api) -> None:
    everything = await api.all_pages("/v2/supplier_invoices")
    wanted = {"paid", "to_review"}
    expected = [inv["id"] for inv in everything if inv["status"] in wanted]
    repeated = await api.all_pages(
        "/v2/supplier_invoices", [("filter[status][]", "paid"), ("filter[status][]", "to_review")]
    )
    comma = await api.all_pages("/v2/supplier_invoices", {"filter[status]": "paid,to_review"})
    assert [i["id"] for i in repeated] == expected == [i["id"] for i in comma]
    assert expected


async def test_supplier_invoice_due_date_filter_partitions(api: Api) -> None:
    today = api.fake.dataset.today.isoformat()
    parts = {}
    for value in ("past_and_today", "future", "missing_date"):
        items = await api.all_pages("/v2/supplier_invoices", {"filter[due_date]": value})
        parts[value] = {i["id"] for i in items}
        for inv in items:
            due = inv["due_date"]
            if value == "missing_date":
                assert due is None
            elif value == "future":
                assert due > today
            else:
                assert due <= today
    assert sum(map(len, parts.values())) == 40
    assert set().union(*parts.values()) == set(api.fake.ids("supplier_invoices"))


async def test_supplier_invoice_other_filters(api: Api) -> None:
    everything = await api.all_pages("/v2/supplier_invoices")
    target = everything[7]
    path = "/v2/supplier_invoices"
    one = await api.all_pages(path, {"filter[attachment_id]": target["attachment_id"]})
    assert [i["id"] for i in one] == [target["id"]]
    no_credit = await api.all_pages(path, {"filter[exclude_credit_notes]": "true"})
    assert [i["id"] for i in no_credit] == [i["id"] for i in everything if not i["is_credit_note"]]
    matched = await api.all_pages(path, {"filter[matched_transactions]": "true"})
    assert all(i["matched_transactions"] for i in matched)
    supplier = next(i["supplier_name"] for i in everything if i["supplier_name"])
    found = await api.all_pages(
        "/v2/supplier_invoices", {"query": supplier[:4].lower(), "query_fields": "supplier_name"}
    )
    assert found
    assert all(supplier[:4].lower() in (i["supplier_name"] or "").lower() for i in found)


async def test_supplier_invoice_sorts(api: Api) -> None:
    by_total = await api.all_pages("/v2/supplier_invoices", {"sort_by": "total_amount:desc"})
    totals = [Decimal(i["total_amount"]["value"]) for i in by_total]
    assert totals == sorted(totals, reverse=True)
    by_due = await api.all_pages("/v2/supplier_invoices", {"sort_by": "due_date:asc"})
    dues = [i["due_date"] for i in by_due]
    present = [d for d in dues if d is not None]
    assert present == sorted(present)
    assert dues[len(present) :] == [None] * (len(dues) - len(present))  # nulls last


async def test_clients_filters_and_default_sort(api: Api) -> None:
    everything = await api.all_pages("/v2/clients")

    def display(c: dict[str, Any]) -> str:
        return str(c.get("name") or f"{c['first_name']} {c['last_name']}").casefold()

    assert [display(c) for c in everything] == sorted(display(c) for c in everything)
    target = everything[3]
    by_email = await api.all_pages("/v2/clients", {"filter[email]": target["email"]})
    assert [c["id"] for c in by_email] == [target["id"]]
    needle = display(target)[1:4]
    by_name = await api.all_pages("/v2/clients", {"filter[name]": needle.upper()})
    assert target["id"] in [c["id"] for c in by_name]
    assert all(needle in display(c) for c in by_name)
    newest = await api.all_pages("/v2/clients", {"sort_by": "created_at:desc"})
    stamps = [_ts(c["created_at"]) for c in newest]
    assert stamps == sorted(stamps, reverse=True)
    if target.get("vat_number"):
        by_vat = await api.all_pages("/v2/clients", {"filter[vat_number]": target["vat_number"]})
        assert [c["id"] for c in by_vat] == [target["id"]]


# -- shapes ----------------------------------------------------------------------------------


def _cents(amount: dict[str, str]) -> int:
    return int(Decimal(amount["value"]) * 100)


def test_client_invoice_shape_and_arithmetic() -> None:
    data = Dataset(seed=5, clients=10, client_invoices=300, supplier_invoices=0)
    records = [msgspec.json.decode(data.client_invoices.encoded(i)) for i in range(300)]
    assert {r["status"] for r in records} == set(CLIENT_INVOICE_STATUSES)
    for inv in records:
        assert list(inv) == CLIENT_INVOICE_KEYS
        assert list(inv["client"]) == EMBEDDED_CLIENT_KEYS
        assert _cents(inv["total_amount"]) == inv["total_amount_cents"]
        assert _cents(inv["vat_amount"]) == inv["vat_amount_cents"]
        assert inv["items"]
        for item in inv["items"]:
            assert list(item) == ITEM_KEYS
            for key in ("unit_price", "total_vat", "total_amount", "subtotal"):
                assert _cents(item[key]) == item[f"{key}_cents"]
                assert item[key]["currency"] == inv["currency"]
            assert item["subtotal_cents"] + item["total_vat_cents"] == item["total_amount_cents"]
            gross = Decimal(item["quantity"]) * Decimal(item["unit_price"]["value"])
            discount = Decimal(item["discount"]["amount"]["value"]) if item["discount"] else 0
            assert abs(gross - discount - Decimal(item["subtotal"]["value"])) <= Decimal("0.01")
        assert sum(i["total_amount_cents"] for i in inv["items"]) == inv["total_amount_cents"]
        assert sum(i["total_vat_cents"] for i in inv["items"]) == inv["vat_amount_cents"]
        if inv["status"] == "draft":
            assert inv["finalized_at"] == ""
        else:
            assert _ts(inv["finalized_at"]) >= _ts(inv["created_at"])
        if inv["status"] == "paid":
            assert _ts(inv["paid_at"]) >= _ts(inv["finalized_at"])
    drafts = [r for r in records if r["status"] == "draft"]
    assert any(r["due_date"] == "" for r in drafts)
    assert any(r["due_date"] != "" for r in drafts)


def test_supplier_invoice_shape() -> None:
    data = Dataset(seed=5, clients=1, client_invoices=0, supplier_invoices=400)
    records = [msgspec.json.decode(data.supplier_invoices.encoded(i)) for i in range(400)]
    assert {r["status"] for r in records} == set(SUPPLIER_INVOICE_STATUSES)
    for inv in records:
        assert list(inv) == SUPPLIER_INVOICE_KEYS
        assert set(inv["total_amount"]) == {"value", "currency"}
        assert not any(key.endswith("_cents") for key in inv)
        _ts(inv["created_at"].replace("Z", "+00:00"))
        if inv["status"] == "paid":
            assert inv["payment_date"]
    assert any(r["due_date"] is None for r in records)


def test_clients_shape_and_kinds() -> None:
    data = Dataset(seed=5, clients=60, client_invoices=0, supplier_invoices=0)
    records = [msgspec.json.decode(data.clients.encoded(i)) for i in range(60)]
    assert {r["kind"] for r in records} == {"company", "individual", "freelancer"}
    for client in records:
        assert client["type"] == client["kind"]
        if client["kind"] == "company":
            assert client["name"]
            assert "first_name" not in client
        else:
            assert client["first_name"]
            assert client["last_name"]
            assert "name" not in client
        assert client["email"].isascii()
    # Qonto's own example id is not a UUID: neither is one of ours.
    assert records[0]["id"][2] == "v"


def test_created_and_updated_spread_over_time() -> None:
    data = Dataset(seed=1, clients=5, client_invoices=500, supplier_invoices=10)
    created = data.client_invoices.created
    assert created == sorted(created)
    assert created[-1] - created[0] > 2 * 365 * 86_400
    assert all(u >= c for u, c in zip(data.client_invoices.updated, created, strict=True))


def test_twenty_thousand_invoices_build_fast() -> None:
    started = time.perf_counter()
    data = Dataset(seed=0, clients=1000, client_invoices=20_000, supplier_invoices=20_000)
    assert time.perf_counter() - started < 5.0  # about 0.25 s on an idle laptop
    assert len(data.client_invoices) == 20_000
    assert len(set(data.client_invoices.ids)) == 20_000


# -- single records, 404s --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "path", "envelope"),
    [
        ("clients", "/v2/clients/", "client"),
        ("client_invoices", "/v2/client_invoices/", "client_invoice"),
        ("supplier_invoices", "/v2/supplier_invoices/", "supplier_invoice"),
    ],
)
async def test_get_by_id_and_404(api: Api, resource: str, path: str, envelope: str) -> None:
    record_id = api.fake.ids(resource)[0]
    answer = await api.get(path + record_id)
    assert answer.status == 200
    assert answer.json() == {envelope: api.fake.record(resource, record_id)}
    assert api.fake.stats.served[resource][record_id] == 1
    missing = await api.get(path + "4d5418bb-0000-4000-8000-000000000000")
    body = _assert_error(missing, 404, "not_found")
    assert body["errors"][0]["source"] == {"parameter": "id"}


async def test_unknown_ids_never_reach_another_route(api: Api) -> None:
    answer = await api.get(f"{api.fake.base_url}/v2/clients/..%2Fclient_invoices")
    assert answer.status == 404
    _assert_error(await api.get("/v2/no_such_thing"), 404, "not_found")
    _assert_error(await api.get("/v2/attachments/nope"), 404, "not_found")
    _assert_error(await api.get("/v2/client_invoices/uploads/nope"), 404, "not_found")


async def test_every_response_has_a_trace_id(api: Api) -> None:
    seen = set()
    for path in ("/v2/clients", "/v2/clients/nope", "/v2/client_invoices"):
        answer = await api.get(path)
        seen.add(answer.headers["X-Tyk-Trace-Id"])
    assert len(seen) == 3


# -- uploads and attachments -----------------------------------------------------------------


async def test_upload_create_get_and_envelopes(api: Api, session: aiohttp.ClientSession) -> None:
    created = await api.post("/v2/client_invoices/uploads", _pdf_form())
    assert created.status == 201
    upload = created.json()["client_invoice_upload"]
    assert upload["content_type"] == "application/pdf"
    assert upload["file_size"] == len(b"%PDF-1.4 fake")
    assert upload["filename"] == "doc.pdf"
    fetched = (await api.get(f"/v2/client_invoices/uploads/{upload['id']}")).json()
    assert fetched["data"]["type"] == "client_invoices_upload"
    assert fetched["data"]["id"] == upload["id"]
    attributes = fetched["data"]["attributes"]
    assert {k: v for k, v in attributes.items() if k != "url"} == {
        k: v for k, v in upload.items() if k != "url"
    }
    content = await api.get(attributes["url"], auth=False)
    assert content.status == 200
    assert content.body == b"%PDF-1.4 fake"
    other_fake = FakeQonto(
        clients=1, client_invoices=0, options=FakeOptions(upload_envelope="client_invoice_upload")
    )
    async with other_fake as other:
        uid = other.ids("client_invoice_uploads")[0]
        body = (await Api(other, session).get(f"/v2/client_invoices/uploads/{uid}")).json()
        assert list(body) == ["client_invoice_upload"]
        assert body["client_invoice_upload"]["id"] == uid


async def test_upload_idempotency(api: Api) -> None:
    key, other = "8d1b7f8a-1111-4c3b-9d7e-0c3f2f6b1a01", "8d1b7f8a-2222-4c3b-9d7e-0c3f2f6b1a01"
    answers = [await api.upload(_pdf_form(), k) for k in (key, key, other)]
    assert [a.status for a in answers] == [201, 201, 201]
    ids = [a.json()["client_invoice_upload"]["id"] for a in answers]
    assert ids[0] == ids[1] != ids[2]
    assert api.fake.stats.uploads_created == 2
    assert api.fake.stats.idempotency_keys == [key, key, other]


async def test_upload_idempotency_under_concurrent_retries(api: Api) -> None:
    key = "8d1b7f8a-3333-4c3b-9d7e-0c3f2f6b1a01"
    answers = await asyncio.gather(*(api.upload(_pdf_form(), key) for _ in range(5)))
    assert len({a.json()["client_invoice_upload"]["id"] for a in answers}) == 1
    assert api.fake.stats.uploads_created == 1


async def test_upload_file_types(api: Api) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    sniffed = await api.post(
        "/v2/client_invoices/uploads", _pdf_form(png, "application/octet-stream")
    )
    assert sniffed.status == 201
    assert sniffed.json()["client_invoice_upload"]["content_type"] == "image/png"
    text = await api.post("/v2/client_invoices/uploads", _pdf_form(b"hello", "text/plain"))
    body = _assert_error(text, 422, "invalid")
    assert body["errors"][0]["source"] == {"pointer": "/client_invoices_upload"}
    unknown = await api.post(
        "/v2/client_invoices/uploads", _pdf_form(b"hello", "application/octet-stream")
    )
    assert unknown.status == 422
    form = aiohttp.FormData()
    form.add_field("file", b"%PDF-1.4", filename="x.pdf", content_type="application/pdf")
    _assert_error(await api.post("/v2/client_invoices/uploads", form), 422, "invalid")
    # A failed request with a key is not cached: the key can still succeed later.
    assert (await api.upload(_pdf_form(b"x", "text/plain"), "k-after-failure")).status == 422
    assert (await api.upload(_pdf_form(), "k-after-failure")).status == 201


async def test_attachment_and_signed_download(api: Api) -> None:
    invoice = api.fake.record("client_invoices", api.fake.ids("client_invoices")[0])
    answer = await api.get(f"/v2/attachments/{invoice['attachment_id']}")
    attachment = answer.json()["attachment"]
    assert isinstance(attachment["file_size"], str)
    assert attachment["file_content_type"] == "application/pdf"
    assert attachment["url"].startswith(api.fake.base_url + "/files/")
    plain = await api.get(attachment["url"], auth=False)
    assert plain.status == 200
    assert plain.body.startswith(b"%PDF")
    assert len(plain.body) == int(attachment["file_size"])
    # Like S3, a presigned URL refuses a second auth mechanism; the fake records either way.
    with_auth = await api.get(attachment["url"])
    assert with_auth.status == 400
    assert b"InvalidArgument" in with_auth.body
    assert [d.authorization for d in api.fake.stats.downloads] == [False, True]
    tampered = attachment["url"][:-4] + "0000"
    assert (await api.get(tampered, auth=False)).status == 403
    unsigned = attachment["url"].split("?")[0]
    assert (await api.get(unsigned, auth=False)).status == 403


async def test_supplier_invoice_attachments_resolve(api: Api) -> None:
    invoice = api.fake.record("supplier_invoices", api.fake.ids("supplier_invoices")[2])
    answer = await api.get(f"/v2/attachments/{invoice['attachment_id']}")
    assert answer.json()["attachment"]["file_name"] == invoice["file_name"]


# -- faults ----------------------------------------------------------------------------------


async def test_error_faults_bodies(api: Api) -> None:
    api.fake.faults = Faults(sequence=("500", "502:empty", "503:html"))
    json_error = await api.get("/v2/clients")
    body = _assert_error(json_error, 500, "internal_server_error")
    assert body["trace_id"] == json_error.headers["X-Tyk-Trace-Id"]
    empty = await api.get("/v2/clients")
    assert (empty.status, empty.body) == (502, b"")
    html = await api.get("/v2/clients")
    assert html.status == 503
    assert html.headers["Content-Type"].startswith("text/html")
    assert b"<html>" in html.body
    assert (await api.get("/v2/clients")).status == 200
    assert api.fake.stats.faults == {"500": 1, "502:empty": 1, "503:html": 1}
    assert api.fake.stats.faults_injected == 3


async def test_throttle_fault_retry_after(api: Api) -> None:
    api.fake.faults = Faults(sequence=("429", "429"), retry_after=2)
    answer = await api.get("/v2/clients")
    _assert_error(answer, 429, "too_many_requests")
    assert answer.headers["Retry-After"] == "2"
    api.fake.faults = Faults(sequence=("429",), retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    assert (await api.get("/v2/clients")).headers["Retry-After"].endswith("GMT")
    api.fake.faults = Faults(sequence=("429",), retry_after=None)
    assert "Retry-After" not in (await api.get("/v2/clients")).headers
    assert api.fake.stats.too_many_requests == 3


async def test_dropped_connection(api: Api) -> None:
    # aiohttp itself retries an idempotent request once after a disconnect: drop twice.
    api.fake.faults = Faults(sequence=("drop", "drop"))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.get("/v2/clients")
    assert api.fake.stats.faults["drop"] == 2
    assert api.fake.stats.count("GET /v2/clients", 0) == 2
    assert (await api.get("/v2/clients")).status == 200


async def test_truncated_bodies(api: Api) -> None:
    api.fake.faults = Faults(sequence=("truncate", "truncate:json"))
    with pytest.raises(aiohttp.ClientPayloadError):
        await api.get("/v2/client_invoices")
    cut = await api.get("/v2/client_invoices")
    assert cut.status == 200
    with pytest.raises(msgspec.DecodeError):
        cut.json()
    assert api.fake.stats.faults == {"truncate": 1, "truncate:json": 1}
    # Truncated answers do not count as delivered.
    assert sum(api.fake.stats.served["client_invoices"].values()) == 0


async def test_html_proxy_fault(api: Api) -> None:
    api.fake.faults = Faults(html_rate=1.0, html_status=504, first_n=1)
    answer = await api.get("/v2/clients")
    assert answer.status == 504
    assert answer.headers["Content-Type"].startswith("text/html")
    assert b"nginx" in answer.body


async def test_latency_and_jitter(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(clients=2, client_invoices=0, latency=0.2) as fake:
        api = Api(fake, session)
        started = time.perf_counter()
        await api.get("/v2/clients")
        assert time.perf_counter() - started >= 0.2
        fake.faults = Faults(latency=0.05, jitter=0.02)
        started = time.perf_counter()
        await api.get("/v2/clients")
        assert time.perf_counter() - started >= 0.25
        started = time.perf_counter()
        await api.get(fake.base_url + "/sso/login", auth=False)  # not /v2: no base latency
        assert time.perf_counter() - started < 0.2


async def test_first_n_and_paths(api: Api) -> None:
    api.fake.set_faults(error_rate=1.0, first_n=2, paths=("/v2/client_invoices*",))
    assert (await api.get("/v2/clients")).status == 200  # not matching: not counted
    statuses = [(await api.get("/v2/client_invoices")).status for _ in range(4)]
    assert [s >= 500 for s in statuses] == [True, True, False, False]
    api.fake.set_faults()
    assert api.fake.faults is None


async def test_fault_rates_are_deterministic(session: aiohttp.ClientSession) -> None:
    faults = Faults(error_rate=0.3, throttle_rate=0.2, html_rate=0.1, retry_after=0)
    runs = []
    for _ in range(2):
        async with FakeQonto(seed=11, clients=3, client_invoices=0, faults=faults) as fake:
            api = Api(fake, session)
            runs.append([(await api.get("/v2/clients")).status for _ in range(40)])
    assert runs[0] == runs[1]
    assert {200, 429} <= set(runs[0])
    assert any(s >= 500 for s in runs[0])


async def test_faults_never_change_successful_data(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(seed=2, clients=3, client_invoices=30) as fake:
        api = Api(fake, session)
        clean = await api.all_pages("/v2/client_invoices", {"per_page": "7"})
        fake.faults = Faults(latency=0.001, error_rate=0.3, throttle_rate=0.1, retry_after=0)
        pages = []
        for page in range(1, 6):
            while True:
                answer = await api.get("/v2/client_invoices", {"page": str(page), "per_page": "7"})
                if answer.status == 200:
                    pages += answer.json()["client_invoices"]
                    break
        assert pages == clean
        assert fake.stats.faults_injected > 0


def test_fault_spec_parsing() -> None:
    faults = Faults.parse("error=5%,throttle=0.02,drop=1%,latency=20ms,jitter=0.01s,first=9")
    assert faults.error_rate == pytest.approx(0.05)
    assert faults.throttle_rate == pytest.approx(0.02)
    assert faults.latency == pytest.approx(0.02)
    assert faults.jitter == pytest.approx(0.01)
    assert faults.first_n == 9
    seq = Faults.parse("seq=503+drop+truncate:json,paths=/v2/clients*|/files/*")
    assert seq.sequence == ("503", "drop", "truncate:json")
    assert seq.paths == ("/v2/clients*", "/files/*")
    assert FaultAction.parse("502:html").label == "502:html"
    with pytest.raises(ValueError, match="unknown"):
        Faults.parse("explode=1")
    with pytest.raises(ValueError, match="sum"):
        Faults(error_rate=0.8, drop_rate=0.5)
    with pytest.raises(ValueError, match="429 or 5xx"):
        Faults(sequence=("404",))


# -- rate limit ------------------------------------------------------------------------------


async def test_rate_limiter(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(clients=2, client_invoices=0, rate_limit=RateLimit(5, 0.3)) as fake:
        api = Api(fake, session)
        statuses = [(await api.get("/v2/clients")).status for _ in range(7)]
        assert statuses == [200] * 5 + [429] * 2
        limited = await api.get("/v2/clients")
        assert limited.headers["Retry-After"] == "1"
        assert limited.json() == {"error": "API Rate limit exceeded"}  # Tyk's own body
        assert fake.stats.rate_limited == 3
        await asyncio.sleep(0.35)
        assert (await api.get("/v2/clients")).status == 200
        # Files and the token endpoint are other hosts in production: not limited.
        assert (await api.get(fake.base_url + "/sso/login", auth=False)).status == 200


async def test_rate_limit_can_be_disabled(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(clients=2, client_invoices=0, rate_limit=None) as fake:
        api = Api(fake, session)
        answers = await asyncio.gather(*(api.get("/v2/clients") for _ in range(50)))
        assert {a.status for a in answers} == {200}


# -- staging ---------------------------------------------------------------------------------


async def test_staging_token(session: aiohttp.ClientSession) -> None:
    async with FakeQonto(
        clients=2, client_invoices=0, options=FakeOptions(staging_token="stg-123")
    ) as fake:
        api = Api(fake, session)
        page = await api.get("/v2/clients")
        assert page.status == 200
        assert page.headers["Content-Type"].startswith("text/html")
        assert b"Sign in" in page.body
        ok = await api.get("/v2/clients", headers={"X-Qonto-Staging-Token": "stg-123"})
        assert ok.status == 200
        assert ok.json()["clients"]
        assert fake.stats.staging_rejections == 1
    async with FakeQonto(
        clients=2, client_invoices=0, options=FakeOptions(staging_token="stg", staging_status=401)
    ) as fake:
        page = await Api(fake, session).get("/v2/clients")
        assert page.status == 401
        assert page.headers["Content-Type"].startswith("text/html")
    async with (
        FakeQonto(
            clients=2,
            client_invoices=0,
            options=FakeOptions(staging_token="stg", staging_status=302),
        ) as fake,
        session.get(fake.base_url + "/v2/clients") as response,
    ):
        assert response.status == 200
        assert response.url.path == "/sso/login"
        assert response.content_type == "text/html"


# -- determinism and counters ----------------------------------------------------------------


async def test_same_seed_same_bytes(session: aiohttp.ClientSession) -> None:
    bodies = []
    for seed in (4, 4, 5):
        sized = FakeQonto(seed=seed, clients=4, client_invoices=12, supplier_invoices=12)
        async with sized as fake:
            api = Api(fake, session)
            bodies.append(
                (
                    (await api.get("/v2/client_invoices", {"per_page": "5", "page": "2"})).body,
                    (await api.get("/v2/supplier_invoices")).body,
                    (await api.get("/v2/clients")).body,
                    (await api.get("/v2/clients/nope")).body,  # trace ids too
                    fake.login,
                    fake.secret_key,
                    fake.access_token,
                )
            )
    assert bodies[0] == bodies[1]
    assert bodies[0][0] != bodies[2][0]


def test_records_do_not_depend_on_generation_order() -> None:
    a = Dataset(seed=9, clients=5, client_invoices=50, supplier_invoices=50)
    b = Dataset(seed=9, clients=5, client_invoices=50, supplier_invoices=50)
    forward = [a.client_invoices.encoded(i) for i in range(50)]
    backward = [b.client_invoices.encoded(i) for i in reversed(range(50))][::-1]
    assert forward == backward


async def test_counters(api: Api) -> None:
    await api.all_pages("/v2/clients", {"per_page": "3"})
    await api.get("/v2/clients", {"per_page": "3"})  # page 1 again
    await api.get("/v2/clients/nope")
    stats = api.fake.stats
    assert stats.count("GET /v2/clients", 200) == 4
    assert stats.count("GET /v2/clients/{id}", 404) == 1
    assert stats.count("GET /v2/clients*") == 5
    assert stats.total_requests == 5
    assert len(stats.duplicates("clients")) == 3
    assert sum(stats.served["clients"].values()) == 11
    stats.reset()
    assert stats.total_requests == 0
    assert stats.served["clients"] == {}


async def test_warm_and_count(fake: FakeQonto) -> None:
    fake.warm()
    assert len(fake.dataset.client_invoices.cache) == 45
    assert fake.count("client_invoices") == 45
    paid = [
        fake.record("supplier_invoices", i)["status"] == "paid"
        for i in fake.ids("supplier_invoices")
    ]
    assert fake.count("supplier_invoices", **{"filter[status][]": "paid"}) == sum(paid)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="at least one client"):
        FakeQonto(clients=0, client_invoices=3)
    with pytest.raises(ValueError, match="latency"):
        FakeQonto(latency=-1)
    with pytest.raises(RuntimeError, match="not running"):
        _ = FakeQonto(clients=1, client_invoices=0).base_url


# -- standalone server -----------------------------------------------------------------------


def test_standalone_server_serves_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qonto_async.testing", "--port", "0", "--size", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        values = dict(line.strip().split("=", 1) for line in lines[1:4])

        async def fetch() -> int:
            async with aiohttp.ClientSession() as s:
                headers = {"Authorization": f"{values['QONTO_LOGIN']}:{values['QONTO_SECRET_KEY']}"}
                url = values["QONTO_BASE_URL"] + "/v2/client_invoices?per_page=5"
                async with s.get(url, headers=headers) as response:
                    body = await response.json()
                    return int(body["meta"]["total_count"])

        assert asyncio.run(fetch()) == 30
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_standalone_churn_is_checked_and_parsed() -> None:
    from qonto_async.testing import Churn
    from qonto_async.testing.__main__ import main

    assert main(["--churn", "creates=5%,explode=1"]) == 2
    churn = Churn.parse("creates=5%, updates=0.1,deletes=1%", seed=3)
    assert (churn.creates, churn.updates, churn.deletes, churn.seed) == (0.05, 0.1, 0.01, 3)
    with pytest.raises(ValueError, match="probability"):
        Churn.parse("deletes=150%")
    with pytest.raises(ValueError, match="cannot change"):
        Churn(resources=("attachments",))


# -- data that changes -----------------------------------------------------------------------


async def test_mutations_move_timestamps_and_lists_follow(api: Api) -> None:
    fake = api.fake
    fake.clock = lambda: 1_900_000_000.25
    try:
        invoice_id = fake.ids("client_invoices")[0]
        fake.update("client_invoices", invoice_id, status="canceled")
        created = fake.create("supplier_invoices", created_at="2024-01-01T00:00:00.5+00:00")
        fake.delete("clients", fake.ids("clients")[1])
    finally:
        fake.clock = time.time
    assert fake.record("client_invoices", invoice_id)["status"] == "canceled"
    supplier = fake.record("supplier_invoices", created)
    assert supplier["created_at"] == "2024-01-01T00:00:00.5Z"  # microseconds, as Qonto's
    assert fake.count("client_invoices", **{"filter[status]": "canceled"}) >= 1
    since = {"filter[updated_at_from]": "2030-03-17T17:46:40Z"}  # 1_900_000_000
    assert fake.count("client_invoices", **since) == 1
    exact = {"filter[created_at_from]": "2024-01-01T00:00:00.5Z"}
    bounds = {**exact, "filter[created_at_to]": "2024-01-01T00:00:00.5Z"}
    assert fake.count("supplier_invoices", **bounds) == 1  # inclusive, to the microsecond
    assert [c[0] for c in fake.stats.changes[-3:]] == ["updated", "created", "deleted"]
    with pytest.raises(ValueError, match="never changes"):
        fake.update("clients", fake.ids("clients")[0], created_at="2020-01-01T00:00:00Z")
    with pytest.raises(KeyError):
        fake.delete("clients", "no-such-client")
