import datetime
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from qonto_async.models import ClientInvoiceUpload, decode_client_invoice_upload

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
DATA_ID = "019c688e-4adc-795b-b0fb-c9be149262dd"
ATTRIBUTES_ID = "4d5418bb-bd0d-4df4-865c-c07afab8bb48"


def fixture_json(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_bytes())
    return data


def assert_seed_attributes(upload: ClientInvoiceUpload) -> None:
    assert type(upload) is ClientInvoiceUpload
    assert upload.organization_id == "9f8e7d6c-5b4a-3c2d-1e0f-1a2b3c4d5e6f"
    assert upload.filename == "invoice_document.pdf"
    assert upload.content_type == "application/pdf"
    assert upload.file_size == 524288
    assert upload.url is not None
    assert upload.url.endswith("/invoice_document.pdf")
    stamp = datetime.datetime(2022, 3, 4, 17, 58, 30, tzinfo=PLUS_2)
    assert upload.created_at == stamp
    assert upload.updated_at == stamp


def test_json_api_envelope_id_is_the_documented_upload_id() -> None:
    # The schema says attributes.id is the id to pass as upload_id; data.id stays reachable.
    upload = decode_client_invoice_upload(
        (FIXTURES / "client_invoice_upload_data.json").read_bytes()
    )

    assert upload.id == ATTRIBUTES_ID
    assert upload.data_id == DATA_ID
    assert_seed_attributes(upload)


def test_json_api_envelope_without_id_in_attributes() -> None:
    raw = fixture_json("client_invoice_upload_data.json")
    del raw["data"]["attributes"]["id"]

    upload = decode_client_invoice_upload(json.dumps(raw).encode())

    assert upload.id == DATA_ID
    assert_seed_attributes(upload)


def test_json_api_envelope_without_data_id_falls_back_to_attributes() -> None:
    raw = fixture_json("client_invoice_upload_data.json")
    del raw["data"]["id"]

    upload = decode_client_invoice_upload(json.dumps(raw).encode())
    assert upload.id == ATTRIBUTES_ID
    assert upload.data_id is None


def test_legacy_envelope() -> None:
    upload = decode_client_invoice_upload(
        (FIXTURES / "client_invoice_upload_legacy.json").read_bytes()
    )

    assert upload.id == ATTRIBUTES_ID
    assert upload.data_id is None
    assert_seed_attributes(upload)


def test_both_envelopes_give_equal_models() -> None:
    legacy = fixture_json("client_invoice_upload_legacy.json")["client_invoice_upload"]
    data = {"data": {"type": "client_invoices_upload", "id": legacy["id"], "attributes": legacy}}

    from_data = decode_client_invoice_upload(json.dumps(data).encode())
    from_legacy = decode_client_invoice_upload(
        json.dumps({"client_invoice_upload": legacy}).encode()
    )
    assert msgspec.structs.replace(from_data, data_id=None) == from_legacy


@pytest.mark.parametrize(
    "body",
    [b"{}", b'{"data": null}', b'{"client_invoice_upload": null}', b'{"upload": {"id": "x"}}'],
)
def test_neither_envelope_is_a_validation_error(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError, match="`data` or `client_invoice_upload`"):
        decode_client_invoice_upload(body)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b'{"data": {"type": "client_invoices_upload", "attributes": {}}}', "$.data"),
        (b'{"data": {"id": "", "attributes": {"id": null}}}', "$.data"),
        (b'{"client_invoice_upload": {"filename": "a.pdf"}}', "$.client_invoice_upload"),
    ],
)
def test_missing_id_is_a_validation_error(body: bytes, where: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"`id` - at `" + where.replace("$", r"\$")):
        decode_client_invoice_upload(body)


def test_data_without_attributes_is_a_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError, match="attributes"):
        decode_client_invoice_upload(b'{"data": {"id": "x", "type": "client_invoices_upload"}}')


def test_unknown_fields_empty_timestamps_and_unknown_content_type() -> None:
    body = (
        b'{"data": {"id": "x", "type": "client_invoices_upload", "links": {"self": "/x"},'
        b' "attributes": {"content_type": "image/webp", "created_at": "", "updated_at": "",'
        b' "checksum": "abc"}}, "jsonapi": {"version": "1.0"}}'
    )

    upload = decode_client_invoice_upload(body)

    assert upload == ClientInvoiceUpload(id="x", data_id="x", content_type="image/webp")


def test_non_json_is_a_decode_error() -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_client_invoice_upload(b"<html>502 Bad Gateway</html>")


def test_round_trip_through_legacy_envelope() -> None:
    upload = decode_client_invoice_upload(
        (FIXTURES / "client_invoice_upload_data.json").read_bytes()
    )

    encoded = msgspec.json.encode({"client_invoice_upload": upload})

    # data_id belongs to the JSON:API envelope, which the legacy one does not have.
    assert decode_client_invoice_upload(encoded) == msgspec.structs.replace(upload, data_id=None)
