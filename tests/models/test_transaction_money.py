"""``Transaction`` money: exact decimals from numbers, strings and the decimal comma, signed
amounts, and the ``*_cents`` and ``bank_account_id`` a webhook leaves out."""

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from qonto_async.models import TransactionBankAccount, decode_transaction, decode_transaction_page
from qonto_async.models._money import (
    MONEY_KEYS,
    SANE_EXPONENT,
    fix_decimal_commas,
    insane_money,
)

from .transaction_records import DROP, base, one


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"52.4", "52.4"),
        (b"52", "52"),
        (b'"52.40"', "52.40"),
        (b'"52,40"', "52.40"),
        (b'"-1,5"', "-1.5"),
        (b"1e2", "1E+2"),
        (b"0.1000000000000000055511151231257827", "0.1000000000000000055511151231257827"),
        (b"1234567890123.45", "1234567890123.45"),
    ],
)
def test_money_exact_from_number_string_or_comma(raw: bytes, expected: str) -> None:
    record = json.dumps({"transaction": base()}).encode()
    body = record.replace(b'"amount": 0.43', b'"amount": ' + raw, 1)
    assert body != record

    t = decode_transaction(body)

    assert type(t.amount) is Decimal
    assert str(t.amount) == expected
    assert t.amount_cents == 43  # as sent: never recomputed


@pytest.mark.parametrize("field", ["settled_balance", "vat_amount", "vat_rate", "local_amount"])
def test_every_money_field_reads_the_comma(field: str) -> None:
    t = one(**{field: "1,25"})

    assert getattr(t, field) == Decimal("1.25")


def test_the_comma_is_read_in_money_fields_only_and_raws_stay_as_sent() -> None:
    items = [base(id="a", note="10,00", reference="1,5"), base(id="b", amount="3,10")]
    body = json.dumps({"transactions": items}).encode()

    page = decode_transaction_page(body)

    first, second = page.items
    assert (first.note, first.reference, first.amount) == ("10,00", "1,5", Decimal("0.43"))
    assert second.amount == Decimal("3.10")
    assert [json.loads(bytes(raw)) for raw in page.raws] == items


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"amount": "abc"}, r"\$\.transaction\.amount`"),
        ({"amount": "1.234,56"}, r"\$\.transaction\.amount`"),  # ambiguous: refused
        ({"amount": None}, r"\$\.transaction\.amount`"),
        ({"amount_cents": "12,3"}, r"\$\.transaction\.amount_cents`"),
        ({"amount_cents": 4.5}, r"\$\.transaction\.amount_cents`"),
        ({"side": 1}, r"\$\.transaction\.side`"),
        ({"label_ids": "x"}, r"\$\.transaction\.label_ids`"),
        ({"settled_at": "yesterday"}, r"\$\.transaction\.settled_at`"),
        ({"transfer": {"counterparty_account_number": 12}}, r"\.transfer\.counterparty_account"),
        ({"label": DROP}, r"missing required field `label` - at `\$\.transaction`"),
        ({"id": DROP}, r"missing required field `id`"),
        ({"emitted_at": DROP}, r"missing required field `emitted_at`"),
    ],
)
def test_malformed_transactions_fail_with_their_path(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=path):
        one(**changes)


def test_a_malformed_item_names_its_index() -> None:
    items = [base(id="a"), base(id="b", amount="x")]
    body = json.dumps({"transactions": items, "meta": {}}).encode()

    with pytest.raises(msgspec.ValidationError, match=r"\$\.transactions\[1\]\.amount"):
        decode_transaction_page(body)


def test_a_comma_elsewhere_does_not_hide_the_real_error() -> None:
    items = [base(id="a", amount="1,5"), base(id="b", status=3)]
    body = json.dumps({"transactions": items}).encode()

    with pytest.raises(msgspec.ValidationError, match=r"\$\.transactions\[1\]\.status"):
        decode_transaction_page(body)


@pytest.mark.parametrize(
    ("side", "cents", "expected"),
    [
        ("debit", 43, -43),
        ("credit", 43, 43),
        ("DEBIT", 43, -43),
        ("Credit", 43, 43),
        ("debit", -43, -43),  # a negative amount is still money out
        ("credit", 0, 0),
    ],
)
def test_signed_amounts(side: str, cents: int, expected: int) -> None:
    t = one(side=side, amount_cents=cents, amount=str(Decimal(cents) / 100))

    assert t.signed_amount_cents == expected
    assert t.signed_amount == Decimal(expected) / 100
    assert type(t.signed_amount) is Decimal


def test_an_unknown_side_has_no_sign() -> None:
    t = one(id="t-42", side="refund")

    assert t.side == "refund"  # decodes: only the sign is refused
    # The error names the transaction, so a caller summing a whole export can find it.
    with pytest.raises(ValueError, match=r"transaction 't-42' .*side 'refund'"):
        _ = t.signed_amount
    with pytest.raises(ValueError, match=r"transaction 't-42' .*side 'refund'"):
        _ = t.signed_amount_cents


# Each decodes into a Decimal; each failed only later (Overflow, NaN sums, false gaps).
ABSURD = ['"NaN"', '"-NaN"', '"sNaN"', '"Infinity"', '"-Infinity"', "1e400", '"1e999999999"']
ABSURD += ['"1e16"', '"-12345678901234567.5"', '"1e-16"', "-1E-999999999"]


@pytest.mark.parametrize("field", ["amount", "local_amount", "settled_balance"])
@pytest.mark.parametrize("raw", ABSURD)
def test_money_that_is_no_amount_fails_decoding_naming_field_and_record(
    field: str, raw: str
) -> None:
    items = [base(id="ok"), base(id="t-odd", **{field: "@"})]
    body = json.dumps({"transactions": items}).encode().replace(b'"@"', raw.encode())

    with pytest.raises(msgspec.ValidationError) as caught:
        decode_transaction_page(body)

    message = str(caught.value)
    assert f"transaction 't-odd': `{field}` " in message
    assert message.endswith("- at `$.transactions[1]`")


def test_the_fast_check_agrees_with_the_rule_at_its_bounds() -> None:
    # Transaction.__post_init__ writes SANE_EXPONENT as a literal: the two must not drift.
    top, least = Decimal(10) ** (SANE_EXPONENT + 1), Decimal(10) ** -SANE_EXPONENT
    for value, sane in [(top, False), (top - 1, True), (least, True), (least / 10, False)]:
        assert (insane_money(value) is None) is sane
        body = json.dumps({"transaction": base(amount="@")}).encode()
        body = body.replace(b'"@"', b'"%s"' % str(value).encode())
        if sane:
            assert decode_transaction(body).amount == value
        else:
            with pytest.raises(msgspec.ValidationError, match="`amount`"):
                decode_transaction(body)


@pytest.mark.parametrize(
    "raw", ['"9999999999999999.99"', "-1e15", '"0.000000000000001"', '"0E-30"', "0", '"-0.00"']
)
def test_money_at_the_edges_of_sane_decodes(raw: str) -> None:
    body = json.dumps({"transaction": base(amount="@", settled_balance="@")}).encode()

    t = decode_transaction(body.replace(b'"@"', raw.encode()))

    assert t.amount == t.settled_balance == Decimal(raw.strip('"'))


def test_cents_sent_are_never_recomputed() -> None:
    # a synthetic answer whose cents disagree with its amounts: both kept as sent
    t = one(amount="1.00", amount_cents=7, settled_balance=2, settled_balance_cents=9)

    assert (t.amount_cents, t.settled_balance_cents, t.signed_amount_cents) == (7, 9, -7)


def test_absent_cents_are_computed() -> None:
    t = one(
        amount="50.01",
        amount_cents=DROP,
        local_amount="45.01",
        local_amount_cents=DROP,
        settled_balance=100.02,
        settled_balance_cents=DROP,
        vat_amount="8,34",
        vat_amount_cents=DROP,
    )

    assert t.amount_cents == 5001
    assert t.local_amount_cents == 4501  # same currency as the account
    assert t.settled_balance_cents == 10002
    assert t.vat_amount_cents == 834
    assert t.signed_amount_cents == -5001


def test_absent_local_cents_of_another_currency_stay_unknown() -> None:
    t = one(amount_cents=DROP, local_amount_cents=DROP, local_currency="JPY", local_amount=6)

    assert t.amount_cents == 43
    assert t.local_amount_cents is None
    assert t.settled_balance_cents == 11110  # as sent


@pytest.mark.parametrize("amount", ['"NaN"', '"Infinity"', '"-Infinity"'])
def test_a_non_finite_amount_without_cents_is_refused(amount: str) -> None:
    body = json.dumps({"transaction": base(amount_cents=DROP)}).encode()
    body = body.replace(b'"amount": 0.43', b'"amount": ' + amount.encode())

    with pytest.raises(msgspec.ValidationError, match="not a finite number"):
        decode_transaction(body)


def test_bank_account_object_fills_bank_account_id() -> None:
    account = {"id": "acc-1", "iban": "FR76", "bic": "QNTOFRP1", "name": "Main"}

    filled = one(bank_account=account)
    kept = one(bank_account=account, bank_account_id="acc-sent")
    webhook_like = one(bank_account=account, amount_cents=DROP)

    assert filled.bank_account == TransactionBankAccount(**account)
    assert filled.bank_account_id == "acc-1"
    assert kept.bank_account_id == "acc-sent"
    assert webhook_like.bank_account_id == "acc-1"
    assert one(bank_account={"iban": "FR76"}).bank_account_id is None


def test_fix_decimal_commas() -> None:
    assert set(MONEY_KEYS) >= {"amount", "local_amount", "settled_balance", "balance"}
    assert fix_decimal_commas(b'{"amount": 1.5}') is None
    assert fix_decimal_commas(b'{"amount" : "1,5", "rate":"20,0"}') == (
        b'{"amount" : "1.5", "rate":"20.0"}'
    )
    # text that looks like a money member inside a string is left alone
    quoted = b'{"note": "\\"amount\\": \\"1,5\\""}'
    assert fix_decimal_commas(quoted) is None
    assert fix_decimal_commas(b'{"label": "1,5", "amount_note": "1,5"}') is None
