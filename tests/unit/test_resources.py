"""Resource methods: paths, id quoting, each get, uploads and attachment downloads."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL, LOGIN

from qonto_async import (
    APIResponseValidationError,
    Attachment,
    Client,
    ClientInvoiceUpload,
    NotFoundError,
    PermissionDeniedError,
    QontoClient,
    SupplierInvoice,
    UnprocessableEntityError,
)
from qonto_async.testing import VirtualClock

FIXTURES = Path(__file__).parent.parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def calls(mock: AioResponses) -> list[tuple[str, str, Any]]:
    return [
        (method, str(url), call) for (method, url), items in mock.requests.items() for call in items
    ]


@pytest.mark.parametrize(
    ("resource_id", "expected_path"),
    [
        ("../attachments/x", "/v2/clients/%2E%2E%2Fattachments%2Fx"),
        ("..", "/v2/clients/%2E%2E"),
        ("a b?c#d", "/v2/clients/a%20b%3Fc%23d"),
        (
            "33v418bb-bd0d-4df4-865c-c07afab8bb48",
            "/v2/clients/33v418bb-bd0d-4df4-865c-c07afab8bb48",
        ),
    ],
)
async def test_ids_are_quoted_into_one_path_segment(
    qonto: QontoClient, http_mock: AioResponses, resource_id: str, expected_path: str
) -> None:
    http_mock.get(re.compile(r".*"), body=fixture("client_company.json"))
    await qonto.clients.get(resource_id)
    ((_method, url, _),) = calls(http_mock)
    assert url == BASE_URL + expected_path


@pytest.mark.parametrize("bad", ["", None, 123])
async def test_bad_ids_fail_before_any_request(
    qonto: QontoClient, http_mock: AioResponses, bad: Any
) -> None:
    with pytest.raises((ValueError, TypeError)):
        await qonto.client_invoices.get(bad)
    with pytest.raises((ValueError, TypeError)):
        await qonto.supplier_invoices.get_many(["ok", bad])
    assert calls(http_mock) == []


async def test_clients_get(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/clients/c1", body=fixture("client_company.json"))
    client = await qonto.clients.get("c1")
    assert isinstance(client, Client)


async def test_supplier_invoices_get(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/supplier_invoices/s1", body=fixture("supplier_invoice.json"))
    invoice = await qonto.supplier_invoices.get("s1")
    assert isinstance(invoice, SupplierInvoice)
    assert invoice.status == "to_review"


@pytest.mark.parametrize(
    "name", ["client_invoice_upload_data.json", "client_invoice_upload_legacy.json"]
)
async def test_uploads_get_accepts_both_envelopes(
    qonto: QontoClient, http_mock: AioResponses, name: str
) -> None:
    http_mock.get(f"{BASE_URL}/v2/client_invoices/uploads/u1", body=fixture(name))
    upload = await qonto.client_invoice_uploads.get("u1")
    assert isinstance(upload, ClientInvoiceUpload)
    assert upload.content_type == "application/pdf"
    assert upload.file_size == 524288


UPLOAD_URL = f"{BASE_URL}/v2/client_invoices/uploads"


async def test_upload_create_sends_multipart_with_idempotency_key(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    http_mock.post(UPLOAD_URL, status=503)
    http_mock.post(UPLOAD_URL, exception=aiohttp.ServerDisconnectedError())
    http_mock.post(UPLOAD_URL, body=fixture("client_invoice_upload_data.json"))
    upload = await qonto.client_invoice_uploads.create(b"%PDF-1.7 body", filename="inv.pdf")
    assert upload.filename == "invoice_document.pdf"
    sent = [call for method, _, call in calls(http_mock) if method == "POST"]
    assert len(sent) == 3
    keys = {call.kwargs["headers"]["X-Qonto-Idempotency-Key"] for call in sent}
    assert len(keys) == 1
    (key,) = keys
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    files = []
    for call in sent:  # a fresh, complete form on every attempt
        form = call.kwargs["data"]
        assert isinstance(form, aiohttp.FormData)
        (field,) = form._fields
        options, headers, value = field
        assert options["name"] == "client_invoices_upload"
        assert options["filename"] == "inv.pdf"
        assert headers["Content-Type"] == "application/pdf"
        # A BytesIO (aiohttp warns of raw bytes over 1 MiB), its own on every attempt.
        assert isinstance(value, io.BytesIO)
        assert value.getvalue() == b"%PDF-1.7 body"
        files.append(value)
    assert len({id(file) for file in files}) == len(files)


async def test_upload_create_from_path_and_file_object(
    qonto: QontoClient, http_mock: AioResponses, tmp_path: Path
) -> None:
    png = tmp_path / "scan.png"
    png.write_bytes(b"\x89PNG fake")
    http_mock.post(UPLOAD_URL, body=fixture("client_invoice_upload_legacy.json"), repeat=True)
    await qonto.client_invoice_uploads.create(png)
    await qonto.client_invoice_uploads.create(io.BytesIO(b"jpeg"), filename="a.jpg")
    await qonto.client_invoice_uploads.create(
        b"x", filename="weird.bin", content_type="application/pdf", idempotency_key="my-key"
    )
    sent = [call for method, _, call in calls(http_mock) if method == "POST"]
    fields = [call.kwargs["data"]._fields[0] for call in sent]
    assert [(f[0]["filename"], f[1]["Content-Type"]) for f in fields] == [
        ("scan.png", "image/png"),
        ("a.jpg", "image/jpeg"),
        ("weird.bin", "application/pdf"),
    ]
    assert sent[2].kwargs["headers"]["X-Qonto-Idempotency-Key"] == "my-key"
    assert (
        sent[0].kwargs["headers"]["X-Qonto-Idempotency-Key"]
        != sent[1].kwargs["headers"]["X-Qonto-Idempotency-Key"]
    )


async def test_upload_rejects_unsupported_types_before_sending(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    with pytest.raises(ValueError, match="PDF, JPEG or PNG"):
        await qonto.client_invoice_uploads.create(b"x", filename="notes.txt")
    with pytest.raises(ValueError, match="filename"):
        await qonto.client_invoice_uploads.create(b"x")
    assert calls(http_mock) == []


async def test_upload_422_is_not_retried(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.post(UPLOAD_URL, status=422, payload={"errors": [{"code": "invalid_file"}]})
    with pytest.raises(UnprocessableEntityError):
        await qonto.client_invoice_uploads.create(b"x", filename="a.pdf")
    assert len(calls(http_mock)) == 1


async def test_attachment_get_and_download_without_credentials(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    http_mock.get(f"{BASE_URL}/v2/attachments/a1", body=fixture("attachment.json"), repeat=True)
    signed = re.compile(r"https://qonto\.s3\.eu-west-3\.amazonaws\.com/attachments/.*")
    http_mock.get(signed, status=503)
    http_mock.get(signed, body=b"%PDF-1.4 the invoice", content_type="application/pdf")
    attachment = await qonto.attachments.get("a1")
    assert isinstance(attachment, Attachment)
    assert attachment.file_size == 12345
    content = await qonto.attachments.download("a1")
    assert content == b"%PDF-1.4 the invoice"
    downloads = [call for _, url, call in calls(http_mock) if "amazonaws" in url]
    assert len(downloads) == 2
    for call in downloads:
        headers = call.kwargs["headers"]
        assert "Authorization" not in headers
        assert not any(LOGIN in str(v) for v in headers.values())
        assert "X-Qonto-Staging-Token" not in headers


async def test_download_error_hides_the_signature(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    # a refused link is signed again once (it may have expired), then the error is raised
    http_mock.get(f"{BASE_URL}/v2/attachments/a1", body=fixture("attachment.json"), repeat=True)
    http_mock.get(
        re.compile(r"https://qonto\.s3.*"), status=403, body=b"<Error>Expired</Error>", repeat=True
    )
    with pytest.raises(PermissionDeniedError) as caught:
        await qonto.attachments.download("a1")
    metadata = [k for k in http_mock.requests if str(k[1]).endswith("/v2/attachments/a1")]
    assert len(http_mock.requests[metadata[0]]) == 2
    assert "X-Amz-Signature" not in str(caught.value)
    assert "abc123" not in str(caught.value)
    assert getattr(caught.value, "resource_id", None) == "a1"


async def test_attachment_without_url(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/attachments/a1", payload={"attachment": {"id": "a1"}})
    with pytest.raises(APIResponseValidationError, match="no url"):
        await qonto.attachments.download("a1")


async def test_not_found_names_the_id(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/supplier_invoices/missing", status=404)
    with pytest.raises(NotFoundError) as caught:
        await qonto.supplier_invoices.get("missing")
    assert caught.value.resource_id == "missing"
    assert "'missing'" in str(caught.value)
