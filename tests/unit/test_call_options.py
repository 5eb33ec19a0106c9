"""What every call takes besides its own arguments: ``timeout=`` and ``extra_headers=`` on
every method, one idempotency-key rule for every write, progress for every bulk read, and
``with_raw_response`` typed and complete."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL

from qonto_async import (
    BulkFile,
    IdempotencyKeyReusedError,
    InvalidTransitionError,
    QontoClient,
    RawResponse,
    UnprocessableEntityError,
)
from qonto_async.models import RequestOptions

FIXTURES = Path(__file__).parent.parent / "fixtures"
INVOICES = f"{BASE_URL}/v2/client_invoices"
RESOURCES = [
    "clients",
    "client_invoices",
    "supplier_invoices",
    "quotes",
    "credit_notes",
    "client_invoice_uploads",
    "attachments",
    "webhook_subscriptions",
]
LISTINGS = {"list", "changes"}  # paginators: their options are ListOptions


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def invoice(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(fixture("client_invoice.json"))
    record["client_invoice"].update(changes)
    return record


def calls(mock: AioResponses) -> list[tuple[str, str, Any]]:
    return [(m, str(url), call) for (m, url), items in mock.requests.items() for call in items]


def public_methods(resource: object) -> Iterator[str]:
    for name in dir(type(resource)):
        if name.startswith("_") or name == "with_raw_response":
            continue
        if callable(getattr(resource, name)):
            yield name


def takes(method: Any, name: str) -> bool:
    parameters = inspect.signature(method).parameters
    if name in parameters:
        return parameters[name].kind is inspect.Parameter.KEYWORD_ONLY
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD and name in RequestOptions.__annotations__
        for p in parameters.values()
    )


# -- timeout= and extra_headers= everywhere ----------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_method_takes_timeout_and_extra_headers(qonto: QontoClient, resource: str) -> None:
    target = getattr(qonto, resource)
    missing = [
        f"{resource}.{name}({option}=)"
        for name in public_methods(target)
        if not (name in LISTINGS and resource != "webhook_subscriptions")
        for option in ("timeout", "extra_headers")
        if not takes(getattr(target, name), option)
    ]
    assert missing == []


def sent_timeout(call: Any) -> float | None:
    timeout = call.kwargs.get("timeout")
    return None if timeout is None else timeout.total


async def test_download_honours_timeout_and_extra_headers(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(f"{BASE_URL}/v2/attachments/a1", body=fixture("attachment.json"))
    http_mock.get(re.compile(r"https://qonto\.s3\..*"), body=b"%PDF-1.4")
    content = await qonto.attachments.download(
        "a1", timeout=2.5, extra_headers={"X-Request-Id": "r-1"}
    )
    assert content == b"%PDF-1.4"
    (metadata, link) = calls(http_mock)
    assert metadata[2].kwargs["headers"]["X-Request-Id"] == "r-1"
    assert "X-Request-Id" not in link[2].kwargs["headers"]  # a signed link gets no extras
    assert sent_timeout(metadata[2]) == sent_timeout(link[2]) == 2.5


async def test_bulk_reads_honour_timeout_and_extra_headers(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(re.compile(r".*/v2/clients/.*"), body=fixture("client_company.json"), repeat=True)
    http_mock.get(re.compile(r".*/v2/webhook_subscriptions\?.*"), payload={"subscriptions": []})
    options: dict[str, Any] = {"timeout": 4.0, "extra_headers": {"X-Batch": "b"}}
    await qonto.clients.get_many(["a", "b"], **options)
    async for _ in qonto.clients.iter_many(["c"], **options):
        pass
    assert await qonto.webhook_subscriptions.list(**options).all() == []
    sent = [call for _, _, call in calls(http_mock)]
    assert len(sent) == 4
    for call in sent:
        assert call.kwargs["headers"]["X-Batch"] == "b"
        assert sent_timeout(call) == 4.0


async def test_a_refused_write_reads_back_with_its_own_options(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.post(f"{INVOICES}/i1/finalize", status=422, payload={"errors": [{"code": "x"}]})
    http_mock.get(f"{INVOICES}/i1", payload=invoice(id="i1", status="paid"))
    with pytest.raises(InvalidTransitionError):
        await qonto.client_invoices.finalize("i1", timeout=3.0, extra_headers={"X-Op": "o"})
    (read_back,) = [call for method, _, call in calls(http_mock) if method == "GET"]
    assert read_back.kwargs["headers"]["X-Op"] == "o"
    assert sent_timeout(read_back) == 3.0


# -- iter_many reports progress like get_many --------------------------------------------------


async def test_iter_many_reports_progress(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(re.compile(r".*/v2/clients/.*"), body=fixture("client_company.json"), repeat=True)
    seen: list[tuple[int, int | None]] = []
    async for _ in qonto.clients.iter_many(
        ["a", "b", "a"], on_progress=lambda d, t: seen.append((d, t))
    ):
        pass
    assert seen == [(1, 3), (2, 3), (3, 3)]  # a repeated id is fetched, and counted, again

    seen.clear()
    unsized = (f"id-{n}" for n in range(2))
    async for _ in qonto.clients.iter_many(unsized, on_progress=lambda d, t: seen.append((d, t))):
        pass
    assert seen == [(1, None), (2, None)]


# -- one idempotency-key rule --------------------------------------------------------------


EMPTY_KEY_WRITES = {
    "clients.create": lambda q, k: q.clients.create(kind="company", name="A", idempotency_key=k),
    "client_invoices.finalize": lambda q, k: q.client_invoices.finalize("i", idempotency_key=k),
    "client_invoices.delete": lambda q, k: q.client_invoices.delete("i", idempotency_key=k),
    "client_invoice_uploads.create": lambda q, k: q.client_invoice_uploads.create(
        b"%PDF", "a.pdf", idempotency_key=k
    ),
    "supplier_invoices.create_many": lambda q, k: q.supplier_invoices.create_many(
        [BulkFile(b"%PDF", "a.pdf"), BulkFile(b"%PDF-2", "b.pdf", idempotency_key=k)]
    ),
    "webhook_subscriptions.delete": lambda q, k: q.webhook_subscriptions.delete(
        "w", idempotency_key=k
    ),
    "request": lambda q, k: q.request("POST", "/v2/clients", json={}, idempotency_key=k),
}


@pytest.mark.parametrize("key", ["", "   "])
@pytest.mark.parametrize("write", EMPTY_KEY_WRITES)
async def test_an_empty_idempotency_key_is_refused_before_any_request(
    qonto: QontoClient, http_mock: AioResponses, write: str, key: str
) -> None:
    http_mock.post(re.compile(r".*"), status=500, repeat=True)
    http_mock.delete(re.compile(r".*"), status=500, repeat=True)
    with pytest.raises(ValueError, match="idempotency_key"):
        await EMPTY_KEY_WRITES[write](qonto, key)
    assert not http_mock.requests


async def test_deleting_with_a_reused_key_is_not_read_as_a_transition(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    reused = {"errors": [{"code": "idempotency_key_reused", "detail": "another body"}]}
    http_mock.delete(f"{INVOICES}/i1", status=422, payload=reused)
    http_mock.get(f"{INVOICES}/i1", payload=invoice(id="i1", status="unpaid"))
    with pytest.raises(IdempotencyKeyReusedError):
        await qonto.client_invoices.delete("i1", idempotency_key="order-7")
    assert [method for method, _, _ in calls(http_mock)] == ["DELETE"]


async def test_a_refused_delete_is_an_invalid_transition(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.delete(f"{INVOICES}/i1", status=422, payload={"errors": [{"code": "not_draft"}]})
    http_mock.get(f"{INVOICES}/i1", payload=invoice(id="i1", status="unpaid"))
    with pytest.raises(UnprocessableEntityError) as caught:  # the status class catches it too
        await qonto.client_invoices.delete("i1")
    assert isinstance(caught.value, InvalidTransitionError)
    assert (caught.value.transition, caught.value.state) == ("delete", "unpaid")


async def test_a_delete_found_gone_after_a_lost_answer_is_done(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.delete(f"{INVOICES}/i1", exception=aiohttp.ServerDisconnectedError())
    http_mock.delete(f"{INVOICES}/i1", status=404, payload={"errors": [{"code": "not_found"}]})
    await qonto.client_invoices.delete("i1")
    keys = {call.kwargs["headers"]["X-Qonto-Idempotency-Key"] for _, _, call in calls(http_mock)}
    assert len(keys) == 1  # one key for both attempts


# -- with_raw_response: every method, typed ----------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_with_raw_response_declares_every_method(qonto: QontoClient, resource: str) -> None:
    target = getattr(qonto, resource)
    raw_class = type(target.with_raw_response)
    wrapped = {"list", "changes", "iter_many"}
    expected = {name for name in public_methods(target) if name not in wrapped}
    if resource == "webhook_subscriptions":
        expected.discard("list")
    declared = {name for name in expected if any(name in vars(c) for c in raw_class.__mro__)}
    assert declared == expected
    for name in wrapped & set(public_methods(target)):
        if not (resource == "webhook_subscriptions" and name == "list"):
            with pytest.raises(AttributeError):
                getattr(target.with_raw_response, name)


async def test_raw_response_of_a_delete_and_a_download(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.delete(f"{INVOICES}/i1", status=204, headers={"X-Tyk-Trace-Id": "t-del"})
    deleted = await qonto.client_invoices.with_raw_response.delete("i1")
    assert isinstance(deleted, RawResponse)
    assert (deleted.status, deleted.trace_id, deleted.parsed) == (204, "t-del", None)

    http_mock.get(f"{BASE_URL}/v2/attachments/a1", body=fixture("attachment.json"))
    http_mock.get(re.compile(r"https://qonto\.s3\..*"), body=b"%PDF-1.4")
    downloaded = await qonto.attachments.with_raw_response.download("a1", timeout=5.0)
    assert downloaded.parsed == b"%PDF-1.4"
    assert downloaded.status == 200
