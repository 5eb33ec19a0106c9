"""The transport against real local servers: what aioresponses cannot fake, and the request
seam that writes will use (JSON bodies, extra headers, idempotency keys)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import msgspec
import pytest
from aiohttp import web
from conftest import raw_server, serve

from qonto_async import (
    APIResponseValidationError,
    InternalServerError,
    QontoClient,
)
from qonto_async.testing import FakeQonto, VirtualClock


async def test_a_body_that_does_not_match_its_content_encoding_is_a_validation_error() -> None:
    answers = 0

    async def gzip_lie(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal answers
        answers += 1
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            b'Content-Length: 12\r\nX-Tyk-Trace-Id: t-gz\r\n\r\n{"client":1}'
        )
        await writer.drain()

    async with (
        raw_server(gzip_lie) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        VirtualClock().install(qonto)
        with pytest.raises(APIResponseValidationError) as caught:
            await qonto.clients.get("c1")
    error = caught.value
    assert error.status == 200
    assert "Content-Encoding 'gzip'" in error.where
    assert error.trace_id == "t-gz"
    assert error.attempts == 1
    assert answers == 1  # an answer that does not decode is not a network failure: no retry


async def test_a_failing_list_page_names_the_page_and_its_query() -> None:
    async with (
        FakeQonto(client_invoices=250) as fake,
        QontoClient(
            login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, max_retries=0
        ) as qonto,
    ):
        fake.set_faults(sequence=("ok", "503"), paths=("/v2/client_invoices",))
        with pytest.raises(InternalServerError) as caught:
            await qonto.client_invoices.list(status=["paid", "unpaid"], prefetch=1).all()
    message = str(caught.value)
    assert "filter[status]=paid,unpaid" in message
    # with prefetch=1, the second request is the next probe page (see _keyset)
    assert "per_page=98&page=3" in message
    assert caught.value.url.endswith("page=3")


async def test_validation_errors_count_their_attempts() -> None:
    async def flaky_then_wrong(request: web.Request) -> web.Response:
        flaky_then_wrong.calls += 1  # type: ignore[attr-defined]
        if flaky_then_wrong.calls == 1:  # type: ignore[attr-defined]
            return web.Response(status=503)
        return web.Response(body=b'{"client": 7}', content_type="application/json")

    flaky_then_wrong.calls = 0  # type: ignore[attr-defined]
    app = web.Application()
    app.router.add_get("/v2/clients/{id}", flaky_then_wrong)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        VirtualClock().install(qonto)
        with pytest.raises(APIResponseValidationError) as caught:
            await qonto.clients.get("c1")
    assert caught.value.attempts == 2
    assert caught.value.resource_id == "c1"


# -- the request seam: JSON bodies, extra headers, idempotency -------------------------------


class Recorder:
    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.seen: list[tuple[str, dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, dict(request.headers), await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"ok": True}, status=status)


@contextlib.asynccontextmanager
async def client_of(recorder: Recorder) -> AsyncIterator[QontoClient]:
    """A client whose retries wait no time, against a server recording every request."""
    app = web.Application()
    app.router.add_post("/v2/clients", recorder.handle)
    async with (
        serve(app) as base_url,
        QontoClient(login="acme", secret_key="sk", base_url=base_url, max_retries=2) as qonto,
    ):
        VirtualClock().install(qonto)
        yield qonto


async def test_json_body_and_extra_headers_are_sent() -> None:
    recorder = Recorder([])
    async with client_of(recorder) as qonto:
        answer = await qonto.request(
            "POST",
            "/v2/clients",
            json={"name": "ACME", "amount": Decimal("12.50")},
            extra_headers={"X-Request-Source": "shop", "Authorization": "forged"},
            idempotency_key="key-1",
        )
    assert answer == {"ok": True}
    method, headers, body = recorder.seen[0]
    assert method == "POST"
    assert json.loads(body) == {"name": "ACME", "amount": "12.50"}  # a Decimal, never a float
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-Source"] == "shop"
    assert headers["X-Qonto-Idempotency-Key"] == "key-1"
    assert headers["Authorization"] == "acme:sk"  # extra headers cannot replace credentials


async def test_a_write_with_a_key_is_retried_with_the_same_key_and_body() -> None:
    recorder = Recorder([503, 502])
    async with client_of(recorder) as qonto:
        await qonto.request("POST", "/v2/clients", json={"name": "ACME"}, idempotency_key="key-2")
    assert len(recorder.seen) == 3
    assert {h["X-Qonto-Idempotency-Key"] for _, h, _ in recorder.seen} == {"key-2"}
    assert {b for _, _, b in recorder.seen} == {b'{"name":"ACME"}'}


async def test_a_write_without_a_key_gets_one_kept_for_its_retries() -> None:
    recorder = Recorder([503])
    async with client_of(recorder) as qonto:
        await qonto.request("POST", "/v2/clients", json={"name": "ACME"})
        await qonto.request("POST", "/v2/clients", json={"name": "ACME"})
    keys = [h["X-Qonto-Idempotency-Key"] for _, h, _ in recorder.seen]
    assert len(keys) == 3
    assert keys[0] == keys[1] != keys[2]  # one per call, the same on its retry
    assert str(uuid.UUID(keys[0])) == keys[0]


async def test_request_decodes_into_a_type_and_an_empty_answer_is_none() -> None:
    class Created(msgspec.Struct):
        ok: bool

    recorder = Recorder([])
    async with client_of(recorder) as qonto:
        assert await qonto.request("POST", "/v2/clients", json={}, cast_to=Created) == Created(
            ok=True
        )
        with pytest.raises(ValueError, match="/v2/"):
            await qonto.request("GET", "clients")
        with pytest.raises(ValueError, match="params="):
            await qonto.request("GET", "/v2/clients?page=2")
        with pytest.raises(ValueError, match="method"):
            await qonto.request("FETCH", "/v2/clients")

    async def no_content(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_delete("/v2/clients/{id}", no_content)
    async with (
        serve(app) as base_url,
        QontoClient(login="l", secret_key="s", base_url=base_url) as qonto,
    ):
        assert await qonto.request("DELETE", "/v2/clients/c 1") is None
