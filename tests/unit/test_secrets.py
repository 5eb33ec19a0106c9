"""No credential is reachable from an exception the SDK raises.

Error trackers (Sentry), ``pytest -l``, rich and loguru's ``show_locals`` record more than the
message: the exception's attributes, its ``__cause__``/``__context__`` chain and the locals of
every frame in every traceback. These tests walk that whole graph, for every kind of failure,
and look for the secret in ``repr()`` of everything they find, and in the exception pickled.

Credentials here are the API key, tokens, the staging token, a webhook secret (and the HMAC
it gives a forged body) and user info or a query embedded in a URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import pickle
import time
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import raw_server, serve
from rich.pretty import pretty_repr

from qonto_async import APIConnectionError, OAuthCredentials, QontoClient, QontoError
from qonto_async._http.answers import Target, connection_error
from qonto_async.testing import VirtualClock
from qonto_async.webhooks import (
    SignatureMismatchError,
    WebhookEvent,
    WebhookReceiver,
    aiohttp_handler,
    asgi_app,
    sign,
    verify,
)

SECRET_KEY = "sk_live_graph_secret_0123456789"
TOKEN = "at_live_graph_token_0123456789"
CLIENT_SECRET = "cs_live_graph_client_secret_0123"
REFRESH_TOKEN = "rt_live_graph_refresh_0123456789"
NEW_TOKEN = "at_live_graph_new_token_987654321"
STAGING_TOKEN = "stg_live_graph_staging_0123456789"
WEBHOOK_SECRET = "whsec_live_graph_webhook_0123456789"
URL_USER = "graphurluser"
URL_PASSWORD = "pw_live_graph_url_password_0123"
QUERY_SECRET = "qs_live_graph_query_secret_0123"
SECRETS = (
    SECRET_KEY,
    TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    NEW_TOKEN,
    STAGING_TOKEN,
    WEBHOOK_SECRET,
    URL_PASSWORD,
    QUERY_SECRET,
)


def reachable_reprs(root: BaseException) -> list[str]:
    """``repr()`` of everything reachable from ``root`` the way a crash reporter walks it."""
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[BaseException] = [root]
    while stack:
        exc = stack.pop()
        if id(exc) in seen:
            continue
        seen.add(id(exc))
        texts += [repr(exc), str(exc), repr(getattr(exc, "__dict__", {}))]
        for attribute in ("request_info", "history", "os_error"):
            texts.append(repr(getattr(exc, attribute, None)))
        stack += [e for e in (exc.__cause__, exc.__context__) if e is not None]
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == __file__:  # this test's own locals
                tb = tb.tb_next
                continue
            for name, value in tb.tb_frame.f_locals.items():
                texts.append(f"{tb.tb_frame.f_code.co_name}.{name}={value!r}")
                # rich (and so its tracebacks' show_locals) prefers __rich_repr__ to repr()
                texts.append(f"{tb.tb_frame.f_code.co_name}.{name}={pretty_repr(value)}")
                if isinstance(value, BaseException):
                    stack.append(value)
            tb = tb.tb_next
    return texts


def assert_no_secret(exc: BaseException, *more: str, pickled: bool = True) -> None:
    """No secret (of :data:`SECRETS`, or ``more``) in what is reachable from ``exc`` nor, if
    ``pickled``, in ``exc`` pickled (what crosses to Celery, arq, a ProcessPoolExecutor)."""
    secrets = (*SECRETS, *more)
    leaks = [text for text in reachable_reprs(exc) for s in secrets if s in text]
    if pickled:
        data = pickle.dumps(exc)
        leaks += [f"pickled: {s}" for s in secrets if s.encode() in data]
    assert leaks == [], leaks[:3]


@pytest.fixture
def aiohttp_failures(monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """aiohttp's own exceptions, as the transport receives them before raising its own: their
    tracebacks run through aiohttp's frames, whose locals hold the request's headers merged
    with the session's defaults (what a tracer, a debugger or a chained error would show)."""
    seen: list[BaseException] = []

    def spy(exc: BaseException, target: Target) -> APIConnectionError:
        seen.append(exc)
        return connection_error(exc, target)

    monkeypatch.setattr("qonto_async._http.transport.connection_error", spy)
    return seen


async def gzip_lie(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b'Content-Length: 12\r\n\r\n{"client":1}'
    )
    await writer.drain()


async def invalid_status_line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 two hundred\r\n\r\n")
    await writer.drain()


async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"client": {')
    await writer.drain()


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    transport = writer.transport
    transport.abort()


async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(5)


def status_app(status: int, body: bytes = b"") -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


RAW = {
    "gzip-lie": gzip_lie,
    "invalid-status-line": invalid_status_line,
    "truncated": truncated,
    "reset": reset,
    "timeout": stall,
}
STATUSES = {
    "401": (401, b'{"errors":[{"code":"unauthorized"}]}'),
    "404": (404, b'{"errors":[{"code":"not_found"}]}'),
    "503": (503, b"<html>busy</html>"),
    "undecodable": (200, b'{"client": 42}'),
}
CREDENTIALS: dict[str, Callable[[], dict[str, Any]]] = {
    "api-key": lambda: {"login": "acme", "secret_key": SECRET_KEY},
    "bearer": lambda: {"access_token": TOKEN},
}


@pytest.fixture(params=[*RAW, *STATUSES, "refused"])
async def failing_base_url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    name: str = request.param
    if name == "refused":
        yield "http://127.0.0.1:9"
    elif name in RAW:
        async with raw_server(RAW[name]) as base_url:
            yield base_url
    else:
        async with serve(status_app(*STATUSES[name])) as base_url:
            yield base_url


@pytest.mark.parametrize("session", ["owned", "injected"])
@pytest.mark.parametrize("credentials", list(CREDENTIALS))
async def test_no_secret_reachable_from_any_failure(
    failing_base_url: str, credentials: str, session: str, aiohttp_failures: list[BaseException]
) -> None:
    # The staging token travels in the owned session's defaults, or in every request's
    # headers with an injected session: aiohttp's frames hold it either way.
    async with contextlib.AsyncExitStack() as stack:
        injected = None
        if session == "injected":
            injected = await stack.enter_async_context(aiohttp.ClientSession())
        qonto = await stack.enter_async_context(
            QontoClient(
                **CREDENTIALS[credentials](),
                staging_token=STAGING_TOKEN,
                base_url=failing_base_url,
                timeout=0.5,
                max_retries=1,
                session=injected,
            )
        )
        VirtualClock().install(qonto)
        with pytest.raises(QontoError) as caught:
            await qonto.clients.get("c1")
    assert_no_secret(caught.value)
    for failure in aiohttp_failures:
        assert_no_secret(failure, pickled=False)


def token_url(base_url: str) -> str:
    """The test server's token endpoint, with user info and a query secret in its URL."""
    host = base_url.removeprefix("http://")
    return f"http://{URL_USER}:{URL_PASSWORD}@{host}/oauth2/token?assertion={QUERY_SECRET}"


def assert_no_url_credentials(*texts: str) -> None:
    """Neither user info nor a query (``assert_no_secret`` looks for the password)."""
    assert [t for t in texts if URL_USER in t or "?assertion" in t] == []


def oauth_credentials(token_url: str) -> OAuthCredentials:
    return OAuthCredentials(
        "client-id",
        CLIENT_SECRET,
        REFRESH_TOKEN,
        access_token=TOKEN,
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),  # refresh at once
        token_url=token_url,
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, b'{"error":"invalid_grant","error_description":"rotated"}'),
        (401, b'{"error":"invalid_client"}'),
        (200, b'{"access_token": 7, "refresh_token": "' + NEW_TOKEN.encode() + b'"}'),
    ],
    ids=["refused", "unauthorized", "undecodable"],
)
async def test_no_secret_reachable_from_a_failed_token_refresh(status: int, body: bytes) -> None:
    async with (
        serve(status_app(status, body)) as base_url,
        QontoClient(oauth=oauth_credentials(token_url(base_url)), base_url=base_url) as qonto,
    ):
        with pytest.raises(QontoError) as caught:
            await qonto.clients.get("c1")
    assert f"POST http://127.0.0.1:{base_url.rpartition(':')[2]}/oauth2/token" in str(caught.value)
    assert_no_url_credentials(str(caught.value), repr(caught.value), repr(qonto))
    assert_no_secret(caught.value)


async def test_no_secret_reachable_when_the_token_endpoint_is_unreachable() -> None:
    async with QontoClient(
        oauth=oauth_credentials(token_url("http://127.0.0.1:9")),
        base_url="http://127.0.0.1:9",
        max_retries=0,
    ) as qonto:
        with pytest.raises(APIConnectionError) as caught:
            await qonto.clients.get("c1")
    assert_no_url_credentials(str(caught.value))
    assert_no_secret(caught.value)


async def test_no_secret_reachable_when_the_refresh_hook_raises() -> None:
    token_body = (
        b'{"access_token": "' + NEW_TOKEN.encode() + b'", "expires_in": 3600, '
        b'"refresh_token": "' + REFRESH_TOKEN.encode() + b'x"}'
    )

    def persist(credentials: OAuthCredentials) -> None:
        raise OSError("disk full")

    async with (
        serve(status_app(200, token_body)) as base_url,
        QontoClient(
            oauth=oauth_credentials(token_url(base_url)),
            base_url=base_url,
            on_token_refresh=persist,
        ) as qonto,
    ):
        with pytest.raises(OSError, match="disk full") as caught:
            await qonto.clients.get("c1")
    assert_no_secret(caught.value)


# -- construction ------------------------------------------------------------------------------


REFUSALS = {
    "base-url-user-info": "base_url must not carry user info",
    "env-base-url-user-info": "base_url must not carry user info",
    "no-login": "login .* is missing",
    "refresh-hook": "on_token_refresh only applies",
    "timeout": "timeout must be positive",
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_no_secret_reachable_from_a_refused_construction(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client refused at construction: ``__init__``'s own frame is in the traceback, with
    every argument (and whatever it read from the environment) among its locals."""
    for name in ("QONTO_LOGIN", "QONTO_SECRET_KEY", "QONTO_ACCESS_TOKEN", "QONTO_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with_user_info = f"http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:9/qonto"
    options: dict[str, Any] = {"staging_token": STAGING_TOKEN, "base_url": "http://127.0.0.1:9"}
    if case == "base-url-user-info":
        options |= {"login": "acme", "secret_key": SECRET_KEY, "base_url": with_user_info}
    elif case == "env-base-url-user-info":
        monkeypatch.setenv("QONTO_BASE_URL", with_user_info)
        monkeypatch.setenv("QONTO_SECRET_KEY", SECRET_KEY)
        options |= {"login": "acme", "base_url": None}
    elif case == "no-login":
        options |= {"secret_key": SECRET_KEY}
    elif case == "refresh-hook":
        options |= {"access_token": TOKEN, "on_token_refresh": lambda credentials: None}
    else:
        options |= {"login": "acme", "secret_key": SECRET_KEY, "timeout": 0}
    with pytest.raises(ValueError, match=REFUSALS[case]) as caught:
        QontoClient(**options)
    if "user-info" in case:
        # Refused at once (aiohttp would refuse every request: user info beside an
        # Authorization header), saying what to pass instead.
        assert "'http://127.0.0.1:9/qonto'" in str(caught.value)
        assert_no_url_credentials(str(caught.value))
    assert_no_secret(caught.value)


# -- webhooks ----------------------------------------------------------------------------------

WEBHOOK_BODY = json.dumps(
    {
        "id": "9c0b4d7e-0000-4000-8000-000000000001",
        "subscription_id": "s1",
        "organization_id": "o1",
        "membership_id": "m1",
        "type": "v1/clients/created",
        "created_at": "2026-01-01T00:00:00Z",
        "data": {"id": "c1", "kind": "company", "name": "Acme"},
    }
).encode()


async def ignore(event: WebhookEvent) -> None:
    pass


async def post_through_asgi(receiver: WebhookReceiver, body: bytes, header: str) -> int:
    messages: list[MutableMapping[str, Any]] = [{"type": "http.request", "body": body}]
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"x-qonto-signature", header.encode())]}
    await asgi_app(receiver)(scope, receive, send)
    return int(sent[0]["status"])


async def post_through_aiohttp(receiver: WebhookReceiver, body: bytes, header: str) -> int:
    app = web.Application()
    app.router.add_post("/hooks", aiohttp_handler(receiver))
    async with serve(app) as base_url, aiohttp.ClientSession() as session:
        sent = session.post(f"{base_url}/hooks", data=body, headers={"X-Qonto-Signature": header})
        async with sent as answer:
            return answer.status


@pytest.mark.parametrize(
    "path", ["verify", "verify-rotation", "verify-str-body", "receiver", "aiohttp", "asgi"]
)
async def test_no_secret_reachable_from_a_refused_webhook_delivery(
    path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A forged delivery: neither the subscription's secret nor the HMAC it gives the forged
    body (which would let the forger in) is reachable from the refusal: what ``verify``
    raises, or what the receiver logs (a log handler such as Sentry's reaches the exception
    in the record's arguments)."""
    signed_at = int(time.time())
    forged = sign(WEBHOOK_BODY, "whsec_the_forgers_own_guess_0000", signed_at)
    expected = sign(WEBHOOK_BODY, WEBHOOK_SECRET, signed_at).partition("v1=")[2]
    receiver = WebhookReceiver(WEBHOOK_SECRET, ignore)
    refusals: list[BaseException] = []
    with caplog.at_level(logging.WARNING, logger="qonto_async.webhooks"):
        if path.startswith("verify"):
            secret: str | list[str] = WEBHOOK_SECRET
            body: Any = WEBHOOK_BODY
            if path == "verify-rotation":
                secret = ["whsec_the_previous_one_00000000", WEBHOOK_SECRET]
            if path == "verify-str-body":  # a caller's mistake: the HMAC raises TypeError
                body = WEBHOOK_BODY.decode()
            with pytest.raises((SignatureMismatchError, TypeError)) as caught:
                verify(body, forged, secret)
            refusals.append(caught.value)
        elif path == "receiver":
            assert (await receiver.receive(WEBHOOK_BODY, forged)).status == 400
        elif path == "aiohttp":
            assert await post_through_aiohttp(receiver, WEBHOOK_BODY, forged) == 400
        else:
            assert await post_through_asgi(receiver, WEBHOOK_BODY, forged) == 400
    for record in caplog.records:
        args = record.args if isinstance(record.args, tuple) else ()
        refusals += [arg for arg in args if isinstance(arg, BaseException)]
    assert refusals, "the refusal is raised, or logged with its exception"
    for refusal in refusals:
        assert_no_secret(refusal, expected)
