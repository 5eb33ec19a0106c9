"""The banking models other than transactions: the organization, its accounts, labels,
memberships, statements and a transaction's attachments, from Qonto's documentation examples
(``tests/fixtures/bank_*.json``, verbatim from ``qonto-api-banking.md``) and their variants."""

import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from msgspec import inspect as mi

from qonto_async.models import (
    STATEMENT_SORT_FIELDS,
    Attachment,
    BankAccount,
    BankAccountList,
    Label,
    LabelList,
    Membership,
    MembershipList,
    Organization,
    Statement,
    StatementFile,
    StatementList,
    TransactionAttachmentList,
    decode_bank_account,
    decode_bank_account_page,
    decode_label,
    decode_label_page,
    decode_membership,
    decode_membership_page,
    decode_organization,
    decode_statement,
    decode_statement_page,
    decode_transaction_attachment_page,
)

from .test_common import unmodelled_keys

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UTC = datetime.UTC


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def wrap(key: str, **fields: Any) -> bytes:
    return json.dumps({key: fields}).encode()


@pytest.mark.parametrize(
    ("name", "key", "model"),
    [
        ("bank_organization.json", "organization", Organization),
        ("bank_account.json", "bank_account", BankAccount),
        ("bank_labels.json", None, LabelList),
        ("bank_memberships.json", None, MembershipList),
        ("bank_membership.json", "membership", Membership),
        ("bank_statement.json", "statement", Statement),
        ("transaction_attachments.json", None, TransactionAttachmentList),
    ],
)
def test_every_documented_key_is_modelled(name: str, key: str | None, model: type) -> None:
    raw = json.loads(fixture_bytes(name))
    if key is not None:
        raw = raw[key]

    assert unmodelled_keys(raw, mi.type_info(model)) == []


def test_organization_example() -> None:
    org = decode_organization(fixture_bytes("bank_organization.json"))

    assert type(org) is Organization
    assert org.id == "cb47875a-9b12-416e-aa9a-265b9dfaeee7"
    assert org.name is None  # in the spec, not in this example
    assert org.slug == "elektro-tesla-gmbh-3066"
    assert (org.legal_name, org.legal_number, org.legal_sector) == (
        "Elektro Tesla GmbH",
        "12A34FC5",
        "6200Z",
    )
    assert (org.legal_form, org.legal_country, org.locale) == ("GmbH", "DE", "de")
    assert org.legal_address == "Fritz-Arnold-Str. 18 85614 Kirchseeon GERMANY"
    assert org.legal_registration_date == datetime.date(2022, 11, 27)
    assert org.legal_share_capital == Decimal(1000)
    assert type(org.legal_share_capital) is Decimal
    # "2022-12-01 08:57:00.123047": a space, no zone; read as UTC
    assert org.contract_signed_at == datetime.datetime(2022, 12, 1, 8, 57, 0, 123047, tzinfo=UTC)
    assert org.contract_signed_at.tzinfo is UTC
    assert org.bank_accounts is not None
    [account] = org.bank_accounts
    # the docs example's account has no id, only a slug
    assert (account.id, account.slug) == (None, "super-bankaccount-5785")
    assert (account.iban, account.bic, account.currency) == (
        "FR7616798000010000005663951",
        "TRZOFR21XXX",
        "EUR",
    )
    assert (account.balance, account.balance_cents) == (Decimal(100), 10000)
    assert (account.authorized_balance, account.authorized_balance_cents) == (Decimal(100), 10000)
    assert (account.name, account.status, account.main) == ("Main account", "active", True)
    assert account.updated_at == datetime.datetime(2021, 3, 23, 14, 0, 46, 967000, tzinfo=UTC)
    assert account.is_external_account is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2022-12-01 08:57:00", datetime.datetime(2022, 12, 1, 8, 57, tzinfo=UTC)),
        ("2022-12-01T08:57:00.000Z", datetime.datetime(2022, 12, 1, 8, 57, tzinfo=UTC)),
        (
            "2022-12-01 08:57:00+02:00",
            datetime.datetime(
                2022, 12, 1, 8, 57, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
        ),
        ("2022-12-01", datetime.datetime(2022, 12, 1, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_contract_signed_at_forms(raw: str | None, expected: datetime.datetime | None) -> None:
    org = decode_organization(wrap("organization", contract_signed_at=raw))

    assert org.contract_signed_at == expected
    if expected is not None:
        assert org.contract_signed_at is not None
        assert org.contract_signed_at.utcoffset() == expected.utcoffset()


def test_organization_with_unknown_and_undocumented_fields() -> None:
    org = decode_organization(
        wrap(
            "organization",
            id="o",
            address={"street": "1 rue X", "zip": "75001"},
            brand_new={"nested": [1, 2]},
            legal_share_capital="1000,50",
            bank_accounts=[{"id": "a", "status": "frozen", "account_type": "savings"}],
        )
    )

    assert org.address == {"street": "1 rue X", "zip": "75001"}
    assert org.legal_share_capital == Decimal("1000.50")
    assert org.bank_accounts == [BankAccount(id="a", status="frozen")]


def test_bank_account_example() -> None:
    account = decode_bank_account(fixture_bytes("bank_account.json"))

    assert account.id == "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    assert account.organization_id == "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    assert account.name == "Primary bank account"
    assert account.balance == Decimal("142188.43")
    assert account.balance_cents == 14218843
    assert account.authorized_balance == Decimal("141148.12")
    assert account.authorized_balance_cents == 14114812
    assert account.updated_at == datetime.datetime(2024, 4, 3, 12, tzinfo=UTC)
    assert account.is_external_account is False
    assert account.account_number == "1234567890"  # a JSON number in the example
    assert type(account.account_number) is str
    assert account.slug is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1234567890, "1234567890"), ("00012345", "00012345"), (None, None), (0, "0")],
)
def test_account_number_is_a_string(raw: object, expected: str | None) -> None:
    account = decode_bank_account(wrap("bank_account", id="a", account_number=raw))

    assert account.account_number == expected


@pytest.mark.parametrize("raw", [1.5, True, [], {}])
def test_account_number_of_another_type_is_rejected(raw: object) -> None:
    with pytest.raises(msgspec.ValidationError, match=r"\$\.bank_account\.account_number"):
        decode_bank_account(wrap("bank_account", id="a", account_number=raw))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (141148.12, Decimal("141148.12")),
        ("141148.12", Decimal("141148.12")),  # as one docs copy and a live client show
        ("141148,12", Decimal("141148.12")),
        (100, Decimal(100)),
        ("-3.5", Decimal("-3.5")),
    ],
)
def test_balances_from_numbers_and_strings(raw: object, expected: Decimal) -> None:
    account = decode_bank_account(wrap("bank_account", id="a", balance=raw, authorized_balance=raw))

    assert account.balance == expected
    assert account.authorized_balance == expected
    assert type(account.balance) is Decimal


def test_a_balance_is_never_read_through_a_float() -> None:
    body = b'{"bank_account": {"id": "a", "balance": 0.1000000000000000055511151231257827}}'

    assert decode_bank_account(body).balance == Decimal("0.1000000000000000055511151231257827")


@pytest.mark.parametrize("raw", ['"abc"', '"1.234,56"', '"1,2,3"', "[]", "true"])
def test_a_malformed_balance_is_an_error_with_its_path(raw: str) -> None:
    body = b'{"bank_account": {"id": "a", "balance": %s}}' % raw.encode()

    with pytest.raises(msgspec.ValidationError, match=r"at `\$\.bank_account\.balance`"):
        decode_bank_account(body)


@pytest.mark.parametrize("field", ["balance", "authorized_balance"])
@pytest.mark.parametrize("raw", ['"NaN"', '"Infinity"', "1e400", '"1e999999999"'])
def test_a_balance_that_is_no_amount_is_an_error_naming_it(field: str, raw: str) -> None:
    body = b'{"bank_account": {"id": "a", "%s": %s}}' % (field.encode(), raw.encode())

    with pytest.raises(msgspec.ValidationError, match=f"bank account 'a': `{field}` "):
        decode_bank_account(body)


def test_an_account_seen_without_the_balance_right() -> None:
    account = decode_bank_account(
        wrap("bank_account", id="a", name="Ops", status="active", main=False, organization_id="o")
    )

    assert account == BankAccount(
        id="a", name="Ops", status="active", main=False, organization_id="o"
    )


def test_bank_account_page_without_meta_keeps_raws() -> None:
    items = [{"id": "a", "balance": "1,50", "x_new": 1}, {"id": "b", "account_number": 42}]
    body = json.dumps({"bank_accounts": items}).encode()

    page = decode_bank_account_page(body)

    assert page.meta is None
    assert [a.id for a in page.items] == ["a", "b"]
    assert page.items[0].balance == Decimal("1.50")
    assert page.items[1].account_number == "42"
    # each item's JSON exactly as sent: the comma and the unknown field included
    assert [json.loads(bytes(raw)) for raw in page.raws] == items
    # the comma is this package's decoders' doing: msgspec alone refuses it
    with pytest.raises(msgspec.ValidationError, match=r"\$\.bank_accounts\[0\]\.balance"):
        msgspec.json.decode(body, type=BankAccountList, strict=False)


def test_labels_example_and_single_label() -> None:
    page = decode_label_page(fixture_bytes("bank_labels.json"))

    parent, child = page.items
    assert parent == Label(
        id="171dba70-c75f-4337-b419-377a59bc9cf3", name="Fantastic Marble Wallet"
    )
    assert child.parent_id == parent.id
    assert child.name == "Fantastic Bronze Computer"
    assert page.meta is not None
    assert (page.meta.total_count, page.meta.next_page) == (2, None)
    assert len(page.raws) == 2
    assert decode_label(wrap("label", id="l", name="n", parent_id=None, color="red")) == Label(
        id="l", name="n"
    )
    with pytest.raises(
        msgspec.ValidationError, match=r"missing required field `id` - at `\$\.label`"
    ):
        decode_label(wrap("label", name="no id"))


def test_memberships_example() -> None:
    page = decode_membership_page(fixture_bytes("bank_memberships.json"))

    [member] = page.items
    assert member.id == "c9f9f051-7558-451c-b310-f4b8521424aa"
    assert (member.first_name, member.last_name) == ("Quinn Jast", "Miss Stan Altenwerth")
    assert (member.role, member.status, member.ubo) == ("owner", "active", True)
    assert (member.residence_country, member.nationality, member.birth_country) == (
        "FR",
        "FR",
        "IT",
    )
    assert member.birthdate == datetime.date(2022, 11, 27)
    assert member.team_id == "01997176-789e-79f3-b908-34cb"
    assert member.email is None  # the list omits it
    assert page.meta is not None
    assert (page.meta.current_page, page.meta.next_page, page.meta.total_count) == (2, 3, 210)


def test_authenticated_membership_example() -> None:
    me = decode_membership(fixture_bytes("bank_membership.json"))

    assert me.email == "batman@dc-comics.com"
    assert me.phone_number == "+49123456789"
    assert me.position == "Criminals threatener"
    assert (me.locale, me.kyc_status, me.role) == ("de", "accepted", "owner")
    assert me.team_id == "d1f9f066-5642-462d-b421-a7d8521556bc"


def test_an_invited_member_and_unknown_roles() -> None:
    body = json.dumps(
        {
            "memberships": [
                {"id": "m1", "status": "invitable", "role": None, "team_id": None},
                {"id": "m2", "role": "chief_of_everything", "birthdate": ""},
            ]
        }
    ).encode()

    invited, odd = decode_membership_page(body).items

    assert (invited.status, invited.role, invited.team_id) == ("invitable", None, None)
    assert (odd.role, odd.birthdate) == ("chief_of_everything", None)


def test_statement_example() -> None:
    statement = decode_statement(fixture_bytes("bank_statement.json"))

    assert statement == Statement(
        id="08544790-6305-4a85-8487-e035290bcee8",
        bank_account_id="9f4af770-344b-42c1-a592-6a2adf82a6d3",
        period="08-2024",
        file=StatementFile(
            file_name="string",
            file_content_type="application/pdf",
            file_size=16966,  # sent as "16966"
            file_url="string",
        ),
    )
    assert STATEMENT_SORT_FIELDS == ("period",)


@pytest.mark.parametrize(("raw", "expected"), [("16966", 16966), (16966, 16966), (None, None)])
def test_statement_file_size_string_or_number(raw: object, expected: int | None) -> None:
    body = json.dumps({"statements": [{"id": "s", "file": {"file_size": raw}}]}).encode()

    page = decode_statement_page(body)

    assert page.items[0].file == StatementFile(file_size=expected)
    assert page.meta is None


def test_statement_malformed_file_size() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"\$\.statement\.file\.file_size"):
        decode_statement(wrap("statement", id="s", file={"file_size": "big"}))
    with pytest.raises(msgspec.ValidationError, match=r"\$\.statements\[1\]"):
        decode_statement_page(b'{"statements": [{"id": "a"}, {"period": "01-2024"}]}')


def test_transaction_attachments_example() -> None:
    page = decode_transaction_attachment_page(fixture_bytes("transaction_attachments.json"))

    [attachment] = page.items
    assert type(attachment) is Attachment
    assert attachment.id == "9b048e2c-d546-415b-b001-d31a6d4ae1e3"
    assert attachment.created_at == datetime.datetime(2021, 1, 27, 22, 5, 7, tzinfo=UTC)
    assert attachment.file_size == 666  # sent as "666"
    assert attachment.probative_attachment is not None
    assert attachment.probative_attachment.status == "available"
    assert attachment.probative_attachment.file_size == 123
    assert page.meta is None  # the endpoint sends none
    assert (
        json.loads(bytes(page.raws[0]))
        == json.loads(fixture_bytes("transaction_attachments.json"))["attachments"][0]
    )


@pytest.mark.parametrize(
    ("decode", "body"),
    [
        (decode_organization, b'{"organisation": {}}'),
        (decode_bank_account, b'{"bank_account": null}'),
        (decode_bank_account_page, b'{"bank_accounts": {}}'),
        (decode_label_page, b"[]"),
        (decode_membership_page, b'{"memberships": [1]}'),
        (decode_statement, b"\x00"),
        (decode_transaction_attachment_page, b'{"attachments": [{"file_size": 1}]}'),
    ],
)
def test_bad_bodies(decode: Any, body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        decode(body)


def test_round_trips() -> None:
    org = decode_organization(fixture_bytes("bank_organization.json"))
    account = decode_bank_account(fixture_bytes("bank_account.json"))
    statement = decode_statement(fixture_bytes("bank_statement.json"))

    assert decode_organization(msgspec.json.encode({"organization": org})) == org
    assert decode_bank_account(msgspec.json.encode({"bank_account": account})) == account
    assert decode_statement(msgspec.json.encode({"statement": statement})) == statement


@pytest.mark.parametrize(
    ("list_type", "key"),
    [
        (BankAccountList, "bank_accounts"),
        (LabelList, "labels"),
        (MembershipList, "memberships"),
        (StatementList, "statements"),
        (TransactionAttachmentList, "attachments"),
    ],
)
def test_lists_are_keyed_as_qonto_sends_them(list_type: type[msgspec.Struct], key: str) -> None:
    [items] = [f for f in msgspec.structs.fields(list_type) if f.name == "items"]
    assert items.encode_name == key
