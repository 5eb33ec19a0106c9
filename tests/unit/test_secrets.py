"""No credential is reachable from an exception the SDK raises.

Error trackers (Sentry), ``pytest -l``, rich and loguru's ``show_locals`` record more than the
message: the exception's attributes, its ``__cause__``/``__context__`` chain and the locals of
every frame in every traceback. These tests walk that whole graph, for every kind of failure,
and look for the secret in ``repr()`` of everything they find.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from conftest import raw_server, serve
from rich.pretty import pretty_repr

from qonto_async import OAuthCredentials, QontoClient, QontoError
from qonto_async.testing import VirtualClock

SECRET_KEY = "sk_live_graph_secret_0123456789"
TOKEN = "at_live_graph_token_0123456789"
CLIENT_SECRET = "cs_live_graph_client_secret_0123"
REFRESH_TOKEN = "rt_live_graph_refresh_0123456789"
NEW_TOKEN = "at_live_graph_new_token_987654321"
SECRETS = (SECRET_KEY, TOKEN, CLIENT_SECRET, REFRESH_TOKEN, NEW_TOKEN)


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


def assert_no_secret(exc: BaseException) -> None:
    leaks = [text for text in reachable_reprs(exc) for s in SECRETS if s in text]
    assert leaks == [], leaks[:3]


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


@pytest.mark.parametrize("credentials", list(CREDENTIALS))
async def test_no_secret_reachable_from_any_failure(
    failing_base_url: str, credentials: str
) -> None:
    async with QontoClient(
        **CREDENTIALS[credentials](), base_url=failing_base_url, timeout=0.5, max_retries=1
    ) as qonto:
        VirtualClock().install(qonto)
        with pytest.raises(QontoError) as caught:
            await qonto.clients.get("c1")
    assert_no_secret(caught.value)


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
        (200, b'{"access_token": 7, "refresh_token": "' + NEW_TOKEN.encode() + b'"}'),
    ],
    ids=["refused", "undecodable"],
)
async def test_no_secret_reachable_from_a_failed_token_refresh(status: int, body: bytes) -> None:
    async with (
        serve(status_app(status, body)) as base_url,
        QontoClient(
            oauth=oauth_credentials(f"{base_url}/oauth2/token"), base_url=base_url
        ) as qonto,
    ):
        with pytest.raises(QontoError) as caught:
            await qonto.clients.get("c1")
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
            oauth=oauth_credentials(f"{base_url}/oauth2/token"),
            base_url=base_url,
            on_token_refresh=persist,
        ) as qonto,
    ):
        with pytest.raises(OSError, match="disk full") as caught:
            await qonto.clients.get("c1")
    assert_no_secret(caught.value)
