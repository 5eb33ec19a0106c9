"""QontoClient configuration, credentials from the environment, session lifecycle."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL, serve

from qonto_async import (
    APIConnectionError,
    Client,
    ClientClosedError,
    EventLoopMismatchError,
    QontoClient,
    QontoError,
)
from qonto_async.testing import FakeQonto, VirtualClock

FIXTURES = Path(__file__).parent.parent / "fixtures"
CLIENT_BODY = (FIXTURES / "client_company.json").read_bytes()
CLIENT_ID = "7b1c2f0e-3d4a-4e5b-9c6d-8e7f6a5b4c3d"
ENV_NAMES = (
    "QONTO_LOGIN",
    "QONTO_SECRET_KEY",
    "QONTO_ACCESS_TOKEN",
    "QONTO_STAGING_TOKEN",
    "QONTO_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def test_no_credentials_is_a_clear_error_at_construction() -> None:
    with pytest.raises(ValueError, match=r"no Qonto credentials.*QONTO_LOGIN"):
        QontoClient()


def test_half_an_api_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="secret_key"):
        QontoClient(login="acme")
    with pytest.raises(ValueError, match="login"):
        QontoClient(secret_key="sk")


def test_credentials_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONTO_LOGIN", "env-login")
    monkeypatch.setenv("QONTO_SECRET_KEY", "env-secret")
    monkeypatch.setenv("QONTO_BASE_URL", "http://127.0.0.1:8080/")
    client = QontoClient()
    assert client.base_url == "http://127.0.0.1:8080"
    assert "auth=ApiKeyAuth(login='env-login')" in repr(client)


def test_explicit_login_completed_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONTO_SECRET_KEY", "env-secret")
    client = QontoClient(login="explicit")
    assert "auth=ApiKeyAuth(login='explicit')" in repr(client)


def test_access_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONTO_ACCESS_TOKEN", "env-token")
    assert "auth=BearerAuth()" in repr(QontoClient())


def test_staging_token_from_environment_selects_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONTO_STAGING_TOKEN", "stg")
    client = QontoClient(login="l", secret_key="s")
    assert client.base_url == "https://thirdparty-sandbox.staging.qonto.co"
    assert "sandbox=True" in repr(client)


def test_base_url_keeps_a_proxy_path_prefix() -> None:
    client = QontoClient(login="l", secret_key="s", base_url="https://proxy.example/qonto/")
    assert client.base_url == "https://proxy.example/qonto"


@pytest.mark.parametrize(
    "bad", ["thirdparty.qonto.com", "localhost:8080", "ftp://files.example", "https://", "/v2"]
)
def test_base_url_that_is_not_an_http_url_is_a_clear_error(bad: str) -> None:
    with pytest.raises(
        ValueError, match=r"absolute http\(s\) URL.*'https://thirdparty\.qonto\.com'"
    ):
        QontoClient(login="l", secret_key="s", base_url=bad)


def test_base_url_with_a_query_is_rejected() -> None:
    with pytest.raises(ValueError, match="no query string"):
        QontoClient(login="l", secret_key="s", base_url="https://proxy.example/?x=1")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://thirdparty.qonto.com/v2", "https://thirdparty.qonto.com"),
        ("https://thirdparty.qonto.com/v2/", "https://thirdparty.qonto.com"),
        ("https://proxy.example/qonto/v2", "https://proxy.example/qonto"),
    ],
)
def test_a_trailing_v2_is_dropped_with_a_debug_line(
    given: str, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="qonto_async"):
        client = QontoClient(login="l", secret_key="s", base_url=given)
    assert client.base_url == expected
    assert any("/v2" in r.getMessage() and "dropped" in r.getMessage() for r in caplog.records)


async def test_a_trailing_v2_does_not_double_the_path(http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/clients/c1", body=CLIENT_BODY)
    async with QontoClient(login="l", secret_key="s", base_url=f"{BASE_URL}/v2") as qonto:
        assert (await qonto.clients.get("c1")).id == CLIENT_ID


def test_a_client_used_from_a_second_event_loop_says_so_without_warnings() -> None:
    with FakeQonto(clients=2).running_in_thread() as fake:
        client_id = fake.ids("clients")[0]
        qonto = QontoClient(login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url)

        async def get() -> Client:
            return await qonto.clients.get(client_id)

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert asyncio.run(get()).id == client_id
            with pytest.raises(EventLoopMismatchError, match=r"asyncio\.run\(\)") as raised:
                asyncio.run(get())
            assert isinstance(raised.value, QontoError)
            asyncio.run(qonto.aclose())
            gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_aclose_during_get_many_gives_each_pending_id_a_typed_error() -> None:
    async with FakeQonto(clients=60, latency=0.01) as fake:
        ids = fake.ids("clients")
        qonto = QontoClient(
            login=fake.login,
            secret_key=fake.secret_key,
            base_url=fake.base_url,
            max_concurrency=4,
        )
        closing: list[asyncio.Task[None]] = []

        def close_after_ten(done: int, total: int | None) -> None:
            if done == 10 and not closing:
                closing.append(asyncio.ensure_future(qonto.aclose()))

        results = await qonto.clients.get_many(
            ids, return_exceptions=True, on_progress=close_after_ten
        )
        await closing[0]
        fetched = [r for r in results if isinstance(r, Client)]
        refused = [r for r in results if isinstance(r, ClientClosedError)]
        assert len(fetched) + len(refused) == len(ids)
        assert len(fetched) >= 10
        assert refused
        assert [r.id for r in fetched] == [
            i for i, r in zip(ids, results, strict=True) if isinstance(r, Client)
        ]


async def test_aclose_during_get_many_raises_a_typed_error_without_return_exceptions() -> None:
    async with FakeQonto(clients=60, latency=0.01) as fake:
        qonto = QontoClient(
            login=fake.login,
            secret_key=fake.secret_key,
            base_url=fake.base_url,
            max_concurrency=4,
        )
        task = asyncio.ensure_future(qonto.clients.get_many(fake.ids("clients")))
        await asyncio.sleep(0.05)
        await qonto.aclose()
        with pytest.raises(ClientClosedError) as raised:
            await task
        assert raised.value.resource_id in fake.ids("clients")


def test_on_token_refresh_without_oauth_is_rejected() -> None:
    with pytest.raises(ValueError, match="oauth"):
        QontoClient(login="l", secret_key="s", on_token_refresh=print)


@pytest.mark.parametrize(
    "kwargs",
    [{"max_concurrency": 0}, {"max_retries": -1}, {"timeout": 0}, {"requests_per_second": 0}],
)
def test_invalid_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        QontoClient(login="l", secret_key="s", **kwargs)  # type: ignore[arg-type]


def test_built_outside_a_loop_then_used_inside_one(http_mock: AioResponses) -> None:
    """The session is created lazily, inside the loop that first sends a request."""
    http_mock.get(f"{BASE_URL}/v2/clients/c1", body=CLIENT_BODY)
    client = QontoClient(login="l", secret_key="s", base_url=BASE_URL)

    async def use() -> str:
        async with client:
            return (await client.clients.get("c1")).id

    assert asyncio.run(use()) == CLIENT_ID


async def test_async_with_closes_the_session_without_warnings(http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/clients/c1", body=CLIENT_BODY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with QontoClient(login="l", secret_key="s", base_url=BASE_URL) as qonto:
            await qonto.clients.get("c1")
        assert qonto.is_closed
        del qonto
        gc.collect()
    assert not [w for w in caught if "Unclosed" in str(w.message)]


async def test_using_a_closed_client_is_an_error() -> None:
    qonto = QontoClient(login="l", secret_key="s", base_url=BASE_URL)
    await qonto.aclose()
    with pytest.raises(ClientClosedError, match="closed"):
        await qonto.clients.get("c1")


async def test_injected_session_is_used_and_left_open() -> None:
    sent: list[str] = []

    async def on_request_start(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        sent.append(params.url.path)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)

    async def one_client(request: web.Request) -> web.Response:
        return web.Response(body=CLIENT_BODY, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v2/clients/c1", one_client)
    async with serve(app) as base_url, aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with QontoClient(
            login="l", secret_key="s", base_url=base_url, session=session
        ) as qonto:
            await qonto.clients.get("c1")
        assert sent == ["/v2/clients/c1"]
        assert not session.closed


# -- against a real local server: cancellation releases the connection and the slot --------


@pytest.fixture
async def slow_server() -> AsyncIterator[tuple[str, asyncio.Event, list[str]]]:
    started = asyncio.Event()
    events: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        events.append("started")
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            events.append("client went away")
            raise
        return web.Response(body=CLIENT_BODY, content_type="application/json")

    async def fast(request: web.Request) -> web.Response:
        return web.Response(body=CLIENT_BODY, content_type="application/json")

    app = web.Application()
    app.router.add_get("/v2/clients/slow", slow)
    app.router.add_get("/v2/clients/fast", fast)
    async with serve(app, handler_cancellation=True) as base_url:
        yield base_url, started, events


async def test_cancelling_mid_flight_releases_connection_and_slot(
    slow_server: tuple[str, asyncio.Event, list[str]],
) -> None:
    base_url, started, events = slow_server
    async with QontoClient(
        login="l", secret_key="s", base_url=base_url, max_concurrency=1
    ) as qonto:
        task = asyncio.create_task(qonto.clients.get("slow"))
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the only slot is free again: a second request goes through at once
        client = await asyncio.wait_for(qonto.clients.get("fast"), 5)
        assert client.id
        for _ in range(50):
            if "client went away" in events:
                break
            await asyncio.sleep(0.01)
        assert "client went away" in events  # the connection was closed, not left hanging
        assert qonto.requests_in_flight == 0
        assert qonto.stats.retries == 0


async def test_connection_refused_is_a_typed_error() -> None:
    async with QontoClient(
        login="l", secret_key="s", base_url="http://127.0.0.1:9", max_retries=1
    ) as qonto:
        VirtualClock().install(qonto)
        with pytest.raises(APIConnectionError) as caught:
            await qonto.clients.get("c1")
    assert caught.value.attempts == 2
    assert "127.0.0.1:9/v2/clients/c1" in str(caught.value)


async def test_a_download_carries_no_credentials_on_the_wire() -> None:
    """Checked on a real server: the client's own session sends the credentials by default,
    so what a signed link receives must be seen where aiohttp has merged everything."""
    seen: dict[str, dict[str, str]] = {}

    async def attachment(request: web.Request) -> web.Response:
        seen["api"] = dict(request.headers)
        link = f"{request.url.origin()}/signed/a1.pdf?X-Amz-Signature=abc"
        body = {"attachment": {"id": "a1", "file_name": "a1.pdf", "url": link}}
        return web.json_response(body)

    async def signed(request: web.Request) -> web.Response:
        seen["download"] = dict(request.headers)
        return web.Response(body=b"%PDF-1.4", content_type="application/pdf")

    app = web.Application()
    app.router.add_get("/v2/attachments/a1", attachment)
    app.router.add_get("/signed/a1.pdf", signed)
    async with (
        serve(app) as base_url,
        QontoClient(login="the-login", secret_key="s3cr3t", base_url=base_url) as qonto,
    ):
        assert await qonto.attachments.download("a1") == b"%PDF-1.4"
        derived = qonto.with_options(timeout=5, extra_headers={"X-Request-Id": "r1"})
        assert await derived.attachments.download("a1") == b"%PDF-1.4"
    assert seen["api"]["Authorization"] == "the-login:s3cr3t"
    assert "Authorization" not in seen["download"]
    assert not any("s3cr3t" in value for value in seen["download"].values())


def _recording_app(seen: list[tuple[str, dict[str, str]]]) -> web.Application:
    async def record(request: web.Request) -> web.Response:
        seen.append((f"{request.method} {request.path}", dict(request.headers)))
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    return app


@pytest.mark.parametrize("injected", [False, True], ids=["own session", "injected session"])
async def test_every_api_request_carries_the_same_headers_on_the_wire(injected: bool) -> None:
    """The client's own session sends its fixed headers by default, an injected one gets
    them per request: a real server must see the same either way, and the caller's session
    must not keep our credentials among its defaults."""
    seen: list[tuple[str, dict[str, str]]] = []
    async with serve(_recording_app(seen)) as base_url, aiohttp.ClientSession() as own:
        async with QontoClient(
            login="the-login",
            secret_key="s3cr3t",
            staging_token="stg-1",
            base_url=base_url,
            session=own if injected else None,
        ) as qonto:
            await qonto.request("GET", "/v2/clients")
            await qonto.request(
                "GET", "/v2/clients", extra_headers={"Authorization": "forged", "X-Tag": "t1"}
            )
            await qonto.with_options(extra_headers={"X-Tag": "t2"}).request("GET", "/v2/clients")
            await qonto.request("POST", "/v2/clients", json={"a": 1}, idempotency_key="k1")
        assert "Authorization" not in own.headers
    assert [what for what, _ in seen] == ["GET /v2/clients"] * 3 + ["POST /v2/clients"]
    for _, headers in seen:
        assert headers["Authorization"] == "the-login:s3cr3t"
        assert headers["Accept"] == "application/json"
        assert headers["X-Qonto-Staging-Token"] == "stg-1"
        assert headers["User-Agent"].startswith("qonto-async/")
    assert [headers.get("X-Tag") for _, headers in seen] == [None, "t1", "t2", None]
    assert seen[3][1]["X-Qonto-Idempotency-Key"] == "k1"
    assert seen[3][1]["Content-Type"] == "application/json"
    assert "X-Qonto-Idempotency-Key" not in seen[0][1]


def test_a_client_left_open_after_a_download_closes_both_its_sessions_with_the_loop() -> None:
    """A download goes through a second session without credentials; a script that forgot
    ``aclose()`` must not leave it behind either."""

    async def attachment(request: web.Request) -> web.Response:
        link = f"{request.url.origin()}/signed/a1.pdf?X-Amz-Signature=abc"
        return web.json_response({"attachment": {"id": "a1", "file_name": "a.pdf", "url": link}})

    async def signed(request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4", content_type="application/pdf")

    app = web.Application()
    app.router.add_get("/v2/attachments/a1", attachment)
    app.router.add_get("/signed/a1.pdf", signed)

    async def forget_to_close() -> bytes:
        async with serve(app) as base_url:
            qonto = QontoClient(login="l", secret_key="s", base_url=base_url)
            return await qonto.attachments.download("a1")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert asyncio.run(forget_to_close()) == b"%PDF-1.4"
        gc.collect()
    assert not [w for w in caught if "Unclosed" in str(w.message)]
