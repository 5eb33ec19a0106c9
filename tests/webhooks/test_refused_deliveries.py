"""Deliveries answered 400 (a hostile review of issue 23): Qonto does not deliver a 4xx
again, so each is a WARNING line naming the event it claims (never its data, the signature
or the secret) and goes to ``on_refused``; ``listen`` keeps a signed one whose event does
not decode in ``ledger_events`` (outcome ``refused``, the body whole), over real HTTP, on
SQLite and PostgreSQL; one it cannot keep is answered 503, so Qonto delivers it again."""

from __future__ import annotations

import base64
import copy
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from servers import fresh_database

from qonto_async._cli.listen import listening
from qonto_async.ledger import Ledger, LedgerError
from qonto_async.webhooks import (
    SignatureMismatchError,
    WebhookPayloadError,
    WebhookReceiver,
    WebhookVerificationError,
    sign,
)

SECRET = "whsec_refused_refused_refused_refused_0"
BASE: dict[str, Any] = {
    "id": "evt-1", "type": "v1/transactions", "created_at": "2026-03-01T10:55:00Z",
    "data": {
        "event": "created", "id": "tx-1", "transaction_id": "ref-1", "amount": "50.01",
        "currency": "EUR", "local_amount": 50.01, "local_currency": "EUR", "side": "debit",
        "operation_type": "transfer", "status": "pending", "label": "ACME",
        "settled_at": None, "emitted_at": "2026-03-01T10:54:00Z",
        "updated_at": "2026-03-01T10:55:00Z", "attachment_ids": [], "subject_type": "Transfer",
        "bank_account": {"id": "acc-9", "iban": "FR7616798000010000005663951"},
    },
}  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.sqlite")
        return
    yield from fresh_database(request.getfixturevalue("postgres_url"))


def body(event_id: str, **data: Any) -> bytes:
    sent = copy.deepcopy(BASE)
    sent["id"] = event_id
    sent["data"].update(data)
    return json.dumps(sent).encode()


def signed(payload: bytes) -> str:
    return sign(payload, SECRET, int(time.time()))


async def nothing(_: object) -> None:
    return None


async def test_each_refusal_is_a_warning_naming_the_event_and_goes_to_on_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    heard: list[tuple[bytes, WebhookVerificationError]] = []
    receiver = WebhookReceiver(
        SECRET, nothing, on_refused=lambda b, e: heard.append((b, e))
    )  # fmt: skip
    forged = body("evt-forged")
    undecodable = body("evt-abc", amount="abc")
    with caplog.at_level(logging.WARNING, logger="qonto_async.webhooks"):
        assert (await receiver.receive(forged, f"t={int(time.time())},v1={'0' * 64}")).status == 400
        assert (await receiver.receive(undecodable, signed(undecodable))).status == 400
        assert (await receiver.receive(b"{nope", signed(b"{nope"))).status == 400
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(lines) == 3
    assert "'evt-forged' (v1/transactions), signature not verified" in lines[0]
    assert "'evt-abc' (v1/transactions): " in lines[1]
    assert "$.data.amount" in lines[1]
    assert "JSON is malformed" in lines[2]
    for line in lines:
        assert "Qonto will not deliver it again" in line
        assert SECRET not in line
        assert "0" * 64 not in line  # the signature
        assert "ACME" not in line  # the event's data is not logged
    assert [(b, type(e)) for b, e in heard] == [
        (forged, SignatureMismatchError),
        (undecodable, WebhookPayloadError),
        (b"{nope", WebhookPayloadError),
    ]


async def test_an_on_refused_that_raises_is_answered_503() -> None:
    def fails(_: bytes, __: WebhookVerificationError) -> None:
        raise OSError("disk full")

    receiver = WebhookReceiver(SECRET, nothing, on_refused=fails)
    undecodable = body("evt-abc", amount="abc")
    reply = await receiver.receive(undecodable, signed(undecodable))
    assert reply.status == 503
    assert "Retry-After" in reply.headers


async def post(session: aiohttp.ClientSession, url: str, payload: bytes, header: str) -> int:
    async with session.post(url, data=payload, headers={"X-Qonto-Signature": header}) as answer:
        return answer.status


async def test_listen_keeps_a_signed_delivery_it_refuses(db: str) -> None:
    lines: list[str] = []
    cases = [
        body("evt-abc", id="tx-4", amount="abc"),
        json.dumps(
            {
                **BASE,
                "id": "evt-no-date",
                "data": {k: v for k, v in BASE["data"].items() if k != "updated_at"},
            }
        ).encode(),
        body("evt-nul", label="a\x00b").replace(b'"amount": "50.01"', b'"amount": "x\x00"'),
        b'{"id": "evt-bytes", "type": "v1/transactions", "data": "\xff"}',
    ]
    async with Ledger.open(db) as ledger:
        async with (
            listening(
                secrets=(SECRET,), ledger=ledger, forward=None, host="127.0.0.1", port=0,
                path="/webhooks/qonto", echo=lines.append,
            ) as (url, _),
            aiohttp.ClientSession() as session,
        ):  # fmt: skip
            for payload in cases:
                assert await post(session, url, payload, signed(payload)) == 400
            forged = body("evt-forged")
            assert await post(session, url, forged, f"t={int(time.time())},v1={'0' * 64}") == 400
            assert await post(session, url, cases[0], signed(cases[0])) == 400  # kept once
            good = body("evt-abc", id="tx-4")  # the same event id, now decodable
            assert await post(session, url, good, signed(good)) == 200
        store = ledger._open_store()
        rows = await ledger._run(
            lambda: store.execute(
                "SELECT id, type, outcome, raw FROM ledger_events ORDER BY received_at, id"
            ).fetchall()
        )
    refused = [r for r in rows if r[2] == "refused"]
    assert len(refused) == 4  # the forged one is not kept, the repeated one once
    kept = {}
    for row_id, kind, _, raw in refused:
        raw = raw if isinstance(raw, dict) else json.loads(raw)
        assert row_id.startswith("refused:")
        assert kind == "v1/transactions" or raw["event_id"] == "evt-bytes"
        sent = raw["body"].encode() if "body" in raw else base64.b64decode(raw["body_base64"])
        kept[sent] = raw["refused"]
    assert set(kept) == set(cases)
    assert "$.data.amount" in kept[cases[0]]
    assert ("evt-abc", "v1/transactions/created", "applied") in [(r[0], r[1], r[2]) for r in rows]
    refusals = [line for line in lines if line.startswith("refused")]
    assert len(refusals) == 6
    assert "'evt-forged' (v1/transactions), signature not verified" in refusals[4]
    assert "kept in ledger_events as refused:" in refusals[0]
    assert all(SECRET not in line for line in lines)


async def test_listen_answers_503_when_a_refused_delivery_cannot_be_kept(tmp_path: Path) -> None:
    lines: list[str] = []
    ledger = Ledger.open(tmp_path / "l.sqlite")
    async with ledger:

        async def broken(_: bytes, __: str) -> str:
            raise LedgerError("the ledger l.sqlite is locked")

        ledger.refuse = broken  # type: ignore[method-assign, assignment]
        async with (
            listening(
                secrets=(SECRET,), ledger=ledger, forward=None, host="127.0.0.1", port=0,
                path="/webhooks/qonto", echo=lines.append,
            ) as (url, _),
            aiohttp.ClientSession() as session,
        ):  # fmt: skip
            payload = body("evt-abc", amount="abc")
            assert await post(session, url, payload, signed(payload)) == 503
    assert lines[-1].startswith("failed   event 'evt-abc' (v1/transactions): refused, and")
