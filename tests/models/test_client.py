import datetime
import json
from pathlib import Path

import msgspec
import pytest

from qonto_async.models import Address, Client, ClientList, Phone, decode_client, decode_client_list

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UTC = datetime.UTC


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_company() -> None:
    client = decode_client(fixture_bytes("client_company.json"))

    assert type(client) is Client
    assert client.id == "7b1c2f0e-3d4a-4e5b-9c6d-8e7f6a5b4c3d"
    assert client.name == "Acme Restauration SAS"
    assert client.first_name is None
    assert client.last_name is None
    assert client.display_name == "Acme Restauration SAS"
    assert client.kind == "company"
    assert client.type == "company"
    assert client.phone_number == "+33123456789"
    assert client.phone == Phone(country_code="+33", number="123456789")
    assert client.email == "john.doe@qonto.eu"
    assert client.extra_emails == ["additional@email.com", "backup@email.com"]
    assert client.currency == "EUR"
    assert client.e_invoicing_address == "987654321_98765432100012"
    assert client.e_invoicing_reachable is True
    assert client.vat_number == "FR32123456789"
    assert client.tax_identification_number == "98765432100012"
    assert (client.address, client.city, client.zip_code) == ("123 Main Street", "Paris", "75009")
    assert client.province_code is None
    assert client.country_code == "fr"
    assert client.billing_address == Address(
        street_address="123 Main Street", city="Paris", zip_code="75009", country_code="fr"
    )
    assert client.delivery_address is not None
    assert client.delivery_address.city == "Marseille"
    assert client.recipient_code is None
    assert client.created_at == datetime.datetime(2024, 1, 15, 9, 30, 0, 123000, tzinfo=UTC)
    assert client.updated_at == datetime.datetime(
        2024, 6, 2, 16, 45, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    assert client.locale == "fr"


def test_individual() -> None:
    client = decode_client(fixture_bytes("client_individual.json"))

    assert client.id == "33v418bb-bd0d-4df4-865c-c07afab8bb48"
    assert client.name is None
    assert client.first_name == "John"
    assert client.last_name == "Doe"
    assert client.display_name == "John Doe"
    assert client.kind == "individual"
    assert client.extra_emails is None
    assert client.e_invoicing_address == ""  # a real empty string stays ""
    assert client.e_invoicing_reachable is False
    assert client.vat_number is None
    assert client.delivery_address is None
    assert client.billing_address is not None
    assert client.billing_address.street_address == "1 place de l'Opéra"
    assert client.created_at == datetime.datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "Acme", "first_name": "John", "last_name": "Doe"}, "Acme"),
        ({"name": "", "first_name": "John", "last_name": "Doe"}, "John Doe"),
        ({"first_name": "John"}, "John"),
        ({"last_name": "Doe"}, "Doe"),
        ({}, ""),
    ],
)
def test_display_name(fields: dict[str, str], expected: str) -> None:
    client = Client(
        id="x",
        name=fields.get("name"),
        first_name=fields.get("first_name"),
        last_name=fields.get("last_name"),
    )
    assert client.display_name == expected


def test_list_page() -> None:
    company = json.loads(fixture_bytes("client_company.json"))["client"]
    individual = json.loads(fixture_bytes("client_individual.json"))["client"]
    body = json.dumps(
        {
            "clients": [company, individual],
            "meta": {
                "current_page": 1,
                "next_page": None,
                "prev_page": None,
                "total_pages": 1,
                "total_count": 2,
                "per_page": 25,
            },
        }
    ).encode()

    page = decode_client_list(body)

    assert type(page) is ClientList
    assert [c.display_name for c in page.items] == ["Acme Restauration SAS", "John Doe"]
    assert page.meta is not None
    assert page.meta.total_count == 2
    assert page.meta.per_page == 25
    assert decode_client_list(msgspec.json.encode(page)) == page


def test_unknown_kind_and_fields() -> None:
    body = (
        b'{"client": {"id": "x", "kind": "cooperative", "phone": {"number": "1", "ext": "2"},'
        b' "loyalty": {"tier": "gold"}}, "extra": true}'
    )

    client = decode_client(body)

    assert client.kind == "cooperative"
    assert client.phone == Phone(number="1")


def test_empty_string_timestamps_become_none() -> None:
    client = decode_client(
        b'{"client": {"id": "x", "created_at": "", "updated_at" : "", "name": ""}}'
    )

    assert client.created_at is None
    assert client.updated_at is None
    assert client.name == ""


@pytest.mark.parametrize("body", [b"{}", b'{"client": null}', b'{"clients": []}', b"<html>"])
def test_bad_bodies(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_client(body)


def test_list_requires_clients_key() -> None:
    with pytest.raises(msgspec.ValidationError, match="`clients`"):
        decode_client_list(b'{"meta": {}}')


def test_round_trip_and_frozen() -> None:
    client = decode_client(fixture_bytes("client_company.json"))

    assert decode_client(msgspec.json.encode({"client": client})) == client
    with pytest.raises(AttributeError):
        client.name = "other"  # type: ignore[misc]
