import datetime
from pathlib import Path

import msgspec
import pytest

from qonto_async.models import Attachment, decode_attachment

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_fixture() -> None:
    att = decode_attachment(fixture_bytes("attachment.json"))

    assert type(att) is Attachment
    assert att.id == "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    assert att.created_at == datetime.datetime(2019, 8, 24, 14, 15, 22, tzinfo=datetime.UTC)
    assert att.file_name == "invoice-INV001.pdf"
    assert att.file_size == 12345  # sent as the string "12345"
    assert type(att.file_size) is int
    assert att.file_content_type == "application/pdf"
    assert att.url is not None
    assert att.url.startswith("https://")
    probative = att.probative_attachment
    assert probative is not None
    assert probative.status == "available"
    assert probative.file_name == "invoice-INV001-probative.pdf"
    assert probative.file_size == 23456
    assert type(probative.file_size) is int
    assert probative.file_content_type == "application/pdf"


@pytest.mark.parametrize(
    ("raw", "expected"), [(b'"12345"', 12345), (b"12345", 12345), (b"null", None)]
)
def test_file_size_as_string_number_or_null(raw: bytes, expected: int | None) -> None:
    att = decode_attachment(b'{"attachment": {"id": "a", "file_size": ' + raw + b"}}")

    assert att.file_size == expected


@pytest.mark.parametrize("raw", [b'"twelve"', b'"1.5"', b"[]"])
def test_non_integer_file_size_is_rejected(raw: bytes) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"\$\.attachment\.file_size"):
        decode_attachment(b'{"attachment": {"id": "a", "file_size": ' + raw + b"}}")


def test_minimal_unknown_fields_and_empty_created_at() -> None:
    att = decode_attachment(
        b'{"attachment": {"id": "a", "created_at": "", "file_name": "", "kind": "new",'
        b' "probative_attachment": {"status": "some_future_status", "extra": 1}}}'
    )

    assert att.created_at is None
    assert att.file_name == ""
    assert att.probative_attachment is not None
    assert att.probative_attachment.status == "some_future_status"
    assert att.probative_attachment.file_size is None


@pytest.mark.parametrize("body", [b"{}", b'{"attachment": null}', b'{"attachment": {}}', b"\x00"])
def test_bad_bodies(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_attachment(body)


def test_round_trip() -> None:
    att = decode_attachment(fixture_bytes("attachment.json"))

    # Encoding writes file_size as a JSON number; decoding accepts both.
    assert decode_attachment(msgspec.json.encode({"attachment": att})) == att
