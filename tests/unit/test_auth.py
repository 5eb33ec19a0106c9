"""Authorization headers, OAuth refresh (before expiry, single-flight, after 401), secrets."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from aioresponses import CallbackResult
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL

from qonto_async import AuthenticationError, OAuthCredentials, QontoClient
from qonto_async._http.auth import OAUTH_TOKEN_URL, OAUTH_TOKEN_URL_SANDBOX
from qonto_async.testing import VirtualClock

FIXTURES = Path(__file__).parent.parent / "fixtures"
CLIENT_BODY = (FIXTURES / "client_company.json").read_bytes()
TOKEN_URL = "http://oauth.test/oauth2/token"
CLIENT_SECRET = "oauth-client-secret-xyz"
REFRESH_TOKEN = "refresh-token-original"


def client_url(i: int | str) -> str:
    return f"{BASE_URL}/v2/clients/c{i}"


def auth_headers(mock: AioResponses) -> list[str]:
    return [
        call.kwargs["headers"].get("Authorization")
        for (method, url), calls in mock.requests.items()
        if "/v2/" in str(url)
        for call in calls
    ]


async def test_api_key_header_is_login_colon_secret(http_mock: AioResponses) -> None:
    http_mock.get(client_url(1), body=CLIENT_BODY)
    async with QontoClient(login="acme-1234", secret_key="sk", base_url=BASE_URL) as qonto:
        await qonto.clients.get("c1")
    assert auth_headers(http_mock) == ["acme-1234:sk"]


async def test_bearer_header(http_mock: AioResponses) -> None:
    http_mock.get(client_url(1), body=CLIENT_BODY)
    async with QontoClient(access_token="tok", base_url=BASE_URL) as qonto:
        await qonto.clients.get("c1")
    assert auth_headers(http_mock) == ["Bearer tok"]


def oauth(**overrides: Any) -> OAuthCredentials:
    values: dict[str, Any] = {
        "client_id": "cid",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "token_url": TOKEN_URL,
    }
    values.update(overrides)
    return OAuthCredentials(**values)


class TokenServer:
    """Answers the token endpoint, rotating tokens, and records every form it got."""

    def __init__(self, mock: AioResponses, *, delay: float = 0.0) -> None:
        self.forms: list[dict[str, str]] = []
        self.delay = delay

        async def answer(url: Any, **kwargs: Any) -> CallbackResult:
            return await self.answer(dict(kwargs["data"]))

        mock.post(TOKEN_URL, callback=answer, repeat=True)

    async def answer(self, form: dict[str, str]) -> CallbackResult:
        self.forms.append(form)
        await asyncio.sleep(self.delay)
        n = len(self.forms)
        return CallbackResult(
            payload={
                "access_token": f"access-{n}",
                "expires_in": 3600,
                "refresh_token": f"refresh-{n}",
                "token_type": "bearer",
                "scope": "client.read",
            }
        )


async def test_oauth_refreshes_once_for_50_concurrent_requests(http_mock: AioResponses) -> None:
    tokens = TokenServer(http_mock, delay=0.05)
    for i in range(50):
        http_mock.get(client_url(i), body=CLIENT_BODY)
    seen: list[OAuthCredentials] = []
    async with QontoClient(
        oauth=oauth(), base_url=BASE_URL, on_token_refresh=seen.append, max_concurrency=50
    ) as qonto:
        await asyncio.gather(*(qonto.clients.get(f"c{i}") for i in range(50)))
        assert qonto.oauth_credentials is not None
        assert qonto.oauth_credentials.refresh_token == "refresh-1"
    assert len(tokens.forms) == 1
    form = tokens.forms[0]
    assert form == {
        "grant_type": "refresh_token",
        "client_id": "cid",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    assert auth_headers(http_mock) == ["Bearer access-1"] * 50
    assert len(seen) == 1
    assert seen[0].access_token == "access-1"
    assert seen[0].refresh_token == "refresh-1"
    assert seen[0].expires_at is not None
    assert seen[0].expires_at.tzinfo is not None


async def test_oauth_valid_token_is_used_without_refresh(http_mock: AioResponses) -> None:
    tokens = TokenServer(http_mock)
    http_mock.get(client_url(1), body=CLIENT_BODY)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    async with QontoClient(
        oauth=oauth(access_token="still-good", expires_at=later), base_url=BASE_URL
    ) as qonto:
        await qonto.clients.get("c1")
    assert tokens.forms == []
    assert auth_headers(http_mock) == ["Bearer still-good"]


async def test_oauth_refreshes_shortly_before_expiry(http_mock: AioResponses) -> None:
    tokens = TokenServer(http_mock)
    http_mock.get(client_url(1), body=CLIENT_BODY)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    async with QontoClient(
        oauth=oauth(access_token="nearly-dead", expires_at=soon), base_url=BASE_URL
    ) as qonto:
        await qonto.clients.get("c1")
    assert len(tokens.forms) == 1
    assert auth_headers(http_mock) == ["Bearer access-1"]


async def test_oauth_401_refreshes_once_then_retries(http_mock: AioResponses) -> None:
    tokens = TokenServer(http_mock)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    http_mock.get(client_url(1), status=401, payload={"errors": [{"code": "token_expired"}]})
    http_mock.get(client_url(1), body=CLIENT_BODY)
    async with QontoClient(
        oauth=oauth(access_token="revoked", expires_at=later), base_url=BASE_URL
    ) as qonto:
        client = await qonto.clients.get("c1")
    assert client.id
    assert len(tokens.forms) == 1
    assert auth_headers(http_mock) == ["Bearer revoked", "Bearer access-1"]


async def test_oauth_second_401_gives_up(http_mock: AioResponses) -> None:
    tokens = TokenServer(http_mock)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    http_mock.get(client_url(1), status=401, repeat=True)
    async with QontoClient(
        oauth=oauth(access_token="revoked", expires_at=later), base_url=BASE_URL
    ) as qonto:
        with pytest.raises(AuthenticationError):
            await qonto.clients.get("c1")
    assert len(tokens.forms) == 1
    assert len(auth_headers(http_mock)) == 2


async def test_api_key_401_is_not_retried(http_mock: AioResponses) -> None:
    http_mock.get(client_url(1), status=401, payload={"errors": [{"code": "unauthorized"}]})
    async with QontoClient(login="l", secret_key="bad", base_url=BASE_URL) as qonto:
        with pytest.raises(AuthenticationError) as caught:
            await qonto.clients.get("c1")
    assert caught.value.code == "unauthorized"
    assert len(auth_headers(http_mock)) == 1


async def test_refresh_failure_is_authentication_error_without_secrets(
    http_mock: AioResponses,
) -> None:
    http_mock.post(
        TOKEN_URL,
        status=400,
        payload={"error": "invalid_grant", "error_description": "refresh token revoked"},
    )
    async with QontoClient(oauth=oauth(), base_url=BASE_URL) as qonto:
        with pytest.raises(AuthenticationError) as caught:
            await qonto.clients.get("c1")
    err = caught.value
    assert err.code == "invalid_grant"
    assert err.status == 400
    for secret in (CLIENT_SECRET, REFRESH_TOKEN):
        assert secret not in str(err)
        assert secret not in repr(err)


async def test_async_refresh_hook_is_awaited(http_mock: AioResponses) -> None:
    TokenServer(http_mock)
    http_mock.get(client_url(1), body=CLIENT_BODY)
    stored: list[str | None] = []

    async def persist(creds: OAuthCredentials) -> None:
        await asyncio.sleep(0)
        stored.append(creds.refresh_token)

    async with QontoClient(oauth=oauth(), base_url=BASE_URL, on_token_refresh=persist) as q:
        await q.clients.get("c1")
    assert stored == ["refresh-1"]


def test_default_token_urls() -> None:
    creds = oauth(token_url=None)
    prod = QontoClient(oauth=creds)
    sandbox = QontoClient(oauth=creds, staging_token="stg")
    assert f"token_url={OAUTH_TOKEN_URL!r}" in repr(prod)
    assert f"token_url={OAUTH_TOKEN_URL_SANDBOX!r}" in repr(sandbox)


def test_oauth_credentials_validation_and_repr() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        oauth(expires_at=dt.datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="refresh_token"):
        oauth(refresh_token="")
    creds = oauth(access_token="live-access-token")
    text = repr(creds)
    assert "cid" in text
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, "live-access-token"):
        assert secret not in text


async def test_staging_token_header_and_sandbox_host(http_mock: AioResponses) -> None:
    url = "https://thirdparty-sandbox.staging.qonto.co/v2/clients/c1"
    http_mock.get(url, body=CLIENT_BODY)
    async with QontoClient(login="l", secret_key="s", staging_token="stg-123") as qonto:
        assert qonto.base_url == "https://thirdparty-sandbox.staging.qonto.co"
        await qonto.clients.get("c1")
    (call,) = [c for calls in http_mock.requests.values() for c in calls]
    assert call.kwargs["headers"]["X-Qonto-Staging-Token"] == "stg-123"


async def test_no_staging_header_in_production(http_mock: AioResponses) -> None:
    http_mock.get(client_url(1), body=CLIENT_BODY)
    async with QontoClient(login="l", secret_key="s", base_url=BASE_URL) as qonto:
        await qonto.clients.get("c1")
    (call,) = [c for calls in http_mock.requests.values() for c in calls]
    assert "X-Qonto-Staging-Token" not in call.kwargs["headers"]


async def test_secrets_absent_from_repr_logs_and_errors(
    http_mock: AioResponses, caplog: pytest.LogCaptureFixture, sleeps: VirtualClock
) -> None:
    secret = "sk_live_do_not_leak_42"
    http_mock.get(client_url(1), status=500, repeat=True)
    http_mock.get(client_url(2), status=404, payload={"errors": [{"code": "not_found"}]})
    qonto = QontoClient(login="acme", secret_key=secret, base_url=BASE_URL)
    sleeps.install(qonto)
    texts = [repr(qonto), str(qonto)]
    with caplog.at_level(logging.DEBUG):
        async with qonto:
            for rid in ("c1", "c2"):
                try:
                    await qonto.clients.get(rid)
                except Exception as exc:
                    texts += [str(exc), repr(exc), repr(exc.__dict__)]
    texts += [record.getMessage() for record in caplog.records]
    assert len(texts) > 6
    for text in texts:
        assert secret not in text
        assert "acme:" not in text
