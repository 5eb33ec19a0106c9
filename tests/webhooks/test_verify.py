"""``webhooks.verify``: Qonto's published vector, and every way a delivery can be wrong."""

from __future__ import annotations

import json
import pickle

import pytest

from qonto_async import Client, ClientInvoice, QontoError
from qonto_async.webhooks import (
    ClientCreated,
    ClientDeleted,
    ClientInvoiceUpdated,
    SignatureHeaderError,
    SignatureMismatchError,
    TimestampToleranceError,
    UnknownEvent,
    WebhookPayloadError,
    WebhookVerificationError,
    decode_event,
    sign,
    verify,
)
from qonto_async.webhooks._signature import check_signature

VECTOR_BODY = b'{"test":"data"}'
VECTOR_T = 1704110400
VECTOR_SECRET = "test-secret"
VECTOR_V1 = "56aff06dc227db80d6568a5070f912c601c31f20451745d257cbc0b5dfa93805"
SECRET = "whsec_0123456789abcdef0123456789abcdef"
NOW = 1_767_225_600


def event_body(**changes: object) -> bytes:
    event = {
        "id": "9c0b4d7e-0000-4000-8000-000000000001",
        "subscription_id": "s1",
        "organization_id": "o1",
        "membership_id": "m1",
        "type": "v1/clients/created",
        "created_at": "2026-01-01T00:00:00Z",
        "data": {"id": "c1", "kind": "company", "name": "Acme"},
        **changes,
    }
    return json.dumps(event, separators=(",", ":")).encode()


def test_qontos_published_vector() -> None:
    header = f"t={VECTOR_T},v1={VECTOR_V1}"
    assert sign(VECTOR_BODY, VECTOR_SECRET, VECTOR_T) == header
    assert check_signature(VECTOR_BODY, header, [VECTOR_SECRET], now=VECTOR_T + 10) == VECTOR_T
    # ...and it is a signed body but not an event:
    with pytest.raises(WebhookPayloadError):
        verify(VECTOR_BODY, header, VECTOR_SECRET, now=VECTOR_T)
    # signing the body alone, or with a space, is what the docs warn against
    with pytest.raises(SignatureMismatchError):
        check_signature(b'{"test": "data"}', header, [VECTOR_SECRET], now=VECTOR_T)


def test_a_verified_event_is_typed() -> None:
    body = event_body()
    event = verify(body, sign(body, SECRET, NOW), SECRET, now=NOW + 299)
    assert isinstance(event, ClientCreated)
    assert isinstance(event.data, Client)
    assert (event.type, event.action, event.data.name) == ("v1/clients/created", "created", "Acme")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "no X-Qonto-Signature"),
        ("", "no X-Qonto-Signature"),
        ("garbage", "key=value"),
        (f"v1={VECTOR_V1}", "exactly one t="),
        (f"t=12a,v1={VECTOR_V1}", "exactly one t="),
        (f"t=1,t=2,v1={VECTOR_V1}", "exactly one t="),
        (f"t={NOW}", "no v1="),
        (f"t={NOW},v1=abc", "64 hexadecimal"),
        (f"t={NOW},v0={VECTOR_V1}", "no v1="),
    ],
)
def test_malformed_headers(header: str | None, message: str) -> None:
    with pytest.raises(SignatureHeaderError, match=message):
        verify(event_body(), header, SECRET, now=NOW)


def test_tampered_body_and_wrong_secret() -> None:
    body = event_body()
    header = sign(body, SECRET, NOW)
    with pytest.raises(SignatureMismatchError):
        verify(body.replace(b"Acme", b"Evil"), header, SECRET, now=NOW)
    with pytest.raises(SignatureMismatchError):
        verify(body, header, "whsec_another_secret_of_enough_length_00", now=NOW)


@pytest.mark.parametrize(("offset", "word"), [(-301, "ago"), (301, "in the future")])
def test_stale_and_future_timestamps(offset: int, word: str) -> None:
    body = event_body()
    header = sign(body, SECRET, NOW + offset)
    with pytest.raises(TimestampToleranceError, match=word) as caught:
        verify(body, header, SECRET, now=NOW)
    assert (caught.value.timestamp, caught.value.tolerance) == (NOW + offset, 300)
    assert verify(body, header, SECRET, now=NOW, tolerance=400).id  # a wider tolerance


def test_secret_rotation_several_signatures_and_several_secrets() -> None:
    body = event_body()
    new = "whsec_new_secret_new_secret_new_secret_00"
    retired = sign(body, "whsec_retired_secret_retired_000000", NOW)
    both = f"{retired},{sign(body, new, NOW).split(',')[1]}"
    assert verify(body, both, new, now=NOW).id
    assert verify(body, sign(body, SECRET, NOW), [new, SECRET], now=NOW).id


def test_errors_are_qonto_errors_that_never_show_the_secret() -> None:
    body = event_body()
    for header in (None, sign(body, "whsec_wrong_wrong_wrong_wrong_wrong_00", NOW)):
        with pytest.raises(WebhookVerificationError) as caught:
            verify(body, header, SECRET, now=NOW)
        error = caught.value
        assert isinstance(error, QontoError)
        copy = pickle.loads(pickle.dumps(error))
        for text in (str(error), repr(error), str(copy), repr(copy)):
            assert SECRET not in text


def test_the_body_is_not_parsed_before_the_signature_holds() -> None:
    not_json = b"\xff not json at all"
    with pytest.raises(SignatureMismatchError):  # not a decoding error: never decoded
        verify(not_json, sign(b"other", SECRET, NOW), SECRET, now=NOW)


def test_typed_events_and_unknown_topics() -> None:
    invoice = decode_event(
        event_body(type="v1/client-invoices/updated", data={"id": "i1", "finalized_at": ""})
    )
    assert isinstance(invoice, ClientInvoiceUpdated)
    assert isinstance(invoice.data, ClientInvoice)
    assert invoice.data.finalized_at is None  # a draft's blank date, as everywhere
    # Qonto's pages spell the topic alone, the action in data.event:
    legacy = decode_event(event_body(type="v1/clients", data={"id": "c1", "event": "deleted"}))
    assert isinstance(legacy, ClientDeleted)
    unknown = decode_event(event_body(type="v1/cards", data={"id": "t1", "event": "created"}))
    assert isinstance(unknown, UnknownEvent)
    assert (unknown.type, unknown.action, unknown.data["id"]) == (
        "v1/cards",
        "created",
        "t1",
    )
    with pytest.raises(WebhookPayloadError):
        decode_event(event_body(data={"name": "no id"}))
    with pytest.raises(WebhookPayloadError):
        decode_event(b"[1, 2]")
