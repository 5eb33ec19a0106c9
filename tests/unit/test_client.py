"""QontoClient configuration, credentials from the environment, session lifecycle."""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL, serve

from qonto_async import APIConnectionError, QontoClient

FIXTURES = Path(__file__).parent.parent / "fixtures"
CLIENT_BODY = (FIXTURES / "client_company.json").read_bytes()
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
    assert repr(client._transport.auth) == "ApiKeyAuth(login='env-login')"


def test_explicit_login_completed_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONTO_SECRET_KEY", "env-secret")
    client = QontoClient(login="explicit")
    assert repr(client._transport.auth) == "ApiKeyAuth(login='explicit')"


def test_access_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONTO_ACCESS_TOKEN", "env-token")
    assert QontoClient()._transport.auth.kind == "bearer"


def test_staging_token_from_environment_selects_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QONTO_STAGING_TOKEN", "stg")
    client = QontoClient(login="l", secret_key="s")
    assert client.base_url == "https://thirdparty-sandbox.staging.qonto.co"
    assert "sandbox=True" in repr(client)


def test_base_url_keeps_a_proxy_path_prefix() -> None:
    client = QontoClient(login="l", secret_key="s", base_url="https://proxy.example/qonto/")
    assert client.base_url == "https://proxy.example/qonto"


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


def test_construction_outside_a_loop_creates_no_session() -> None:
    client = QontoClient(login="l", secret_key="s")
    assert client._transport._session is None


async def test_async_with_closes_the_session_without_warnings(http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/clients/c1", body=CLIENT_BODY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with QontoClient(login="l", secret_key="s", base_url=BASE_URL) as qonto:
            await qonto.clients.get("c1")
            session = qonto._transport._session
            assert session is not None
        assert session.closed
        assert qonto.is_closed
        del qonto, session
        gc.collect()
    assert not [w for w in caught if "Unclosed" in str(w.message)]


async def test_using_a_closed_client_is_an_error() -> None:
    qonto = QontoClient(login="l", secret_key="s", base_url=BASE_URL)
    await qonto.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await qonto.clients.get("c1")


async def test_injected_session_is_used_and_left_open(http_mock: AioResponses) -> None:
    http_mock.get(f"{BASE_URL}/v2/clients/c1", body=CLIENT_BODY)
    async with aiohttp.ClientSession() as session:
        async with QontoClient(
            login="l", secret_key="s", base_url=BASE_URL, session=session
        ) as qonto:
            await qonto.clients.get("c1")
            assert qonto._transport._session is session
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
        session = qonto._transport._session
        assert session is not None
        connector = session.connector
        assert connector is not None
        for _ in range(50):
            if "client went away" in events:
                break
            await asyncio.sleep(0.01)
        assert "client went away" in events
        assert not connector._acquired  # type: ignore[attr-defined]
        assert qonto._transport._semaphore._value == 1
        assert qonto.stats.retries == 0


async def test_connection_refused_is_a_typed_error() -> None:
    async with QontoClient(
        login="l", secret_key="s", base_url="http://127.0.0.1:9", max_retries=1
    ) as qonto:
        qonto._transport.sleep = lambda _s: asyncio.sleep(0)
        with pytest.raises(APIConnectionError) as caught:
            await qonto.clients.get("c1")
    assert caught.value.attempts == 2
    assert "127.0.0.1:9/v2/clients/c1" in str(caught.value)
