"""Bodies as real clients send them, over real HTTP on loopback, to the aiohttp handler and
to the ASGI app under uvicorn: in pieces, chunked, large, and too large (413 as soon as more
than ``max_body`` arrived, not after buffering it all)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aiohttp
import pytest

from qonto_async.webhooks import WebhookEvent, WebhookReceiver, sign

from .test_receiver import SECRET, SERVERS, Mount

MB = 1024 * 1024


def signed(event_id: str, *, padding: int = 0) -> tuple[bytes, str]:
    """A signed delivery of at least ``padding`` bytes (an unknown field, ignored)."""
    envelope = {
        "id": event_id,
        "type": "v1/clients/created",
        "data": {"id": "c1", "name": "Acme", "notes": "x" * padding},
    }
    body = json.dumps(envelope).encode()
    return body, sign(body, SECRET, int(time.time()))


async def raw_post(url: str, head_lines: list[str], pieces: list[bytes]) -> tuple[int, bytes]:
    """POST ``pieces`` on a plain TCP connection, one write each, 50 ms apart; the status and
    body of the answer."""
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", *head_lines]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        for n, piece in enumerate(pieces):
            if n:
                await asyncio.sleep(0.05)
            writer.write(piece)
            await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=30)  # Connection: close
    finally:
        writer.close()
        await writer.wait_closed()
    head_bytes, _, content = answer.partition(b"\r\n\r\n")
    status = int(head_bytes.split(b"\r\n", 1)[0].split()[1])
    if b"transfer-encoding: chunked" in head_bytes.lower():
        content = dechunked(content)
    return status, content


def dechunked(data: bytes) -> bytes:
    out = b""
    for _ in range(len(data)):  # bounded: each pass consumes bytes
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out, data = out + data[:size], data[size + 2 :]
    raise AssertionError("an unterminated chunked answer")


def chunked(data: bytes, pieces: int) -> list[bytes]:
    size = -(-len(data) // pieces)
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    return [f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks] + [b"0\r\n\r\n"]


async def receiving() -> tuple[WebhookReceiver, list[str]]:
    handled: list[str] = []

    async def handler(event: WebhookEvent) -> None:
        handled.append(event.id)

    return WebhookReceiver(SECRET, handler), handled


@pytest.mark.parametrize("mount", SERVERS)
async def test_a_body_sent_in_two_writes_50_ms_apart_is_read_whole(mount: Mount) -> None:
    receiver, handled = await receiving()
    body, signature = signed("split", padding=2000)
    head = [
        f"X-Qonto-Signature: {signature}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    half = len(body) // 2
    async with mount(receiver) as url:
        status, text = await raw_post(url, head, [body[:half], body[half:]])
        await receiver.drain()
    await receiver.aclose()
    assert (status, text) == (200, b"ok")
    assert handled == ["split"]


@pytest.mark.parametrize("mount", SERVERS)
async def test_a_chunked_body_is_read_whole(mount: Mount) -> None:
    receiver, handled = await receiving()
    body, signature = signed("chunked", padding=5000)
    head = [
        f"X-Qonto-Signature: {signature}",
        "Content-Type: application/json",
        "Transfer-Encoding: chunked",
        "Connection: close",
    ]
    async with mount(receiver) as url:
        status, text = await raw_post(url, head, chunked(body, 4))
        await receiver.drain()
    await receiver.aclose()
    assert (status, text) == (200, b"ok")
    assert handled == ["chunked"]


@pytest.mark.parametrize("mount", SERVERS)
async def test_a_600_kb_body_from_an_aiohttp_client_is_read_whole(mount: Mount) -> None:
    receiver, handled = await receiving()
    deliveries = [signed(f"big-{n}", padding=600 * 1024) for n in range(3)]
    async with mount(receiver) as url, aiohttp.ClientSession() as session:
        answers = []
        for body, signature in deliveries:
            headers = {"X-Qonto-Signature": signature, "Content-Type": "application/json"}
            async with session.post(url, data=body, headers=headers) as response:
                answers.append((response.status, await response.text()))
        await receiver.drain()
    await receiver.aclose()
    assert answers == [(200, "ok")] * 3
    assert handled == ["big-0", "big-1", "big-2"]


@pytest.mark.parametrize("mount", SERVERS)
async def test_a_50_mb_chunked_body_is_refused_413_before_it_is_all_sent(mount: Mount) -> None:
    receiver, handled = await receiving()
    sent = 0
    sent_when_answered: list[int] = []

    async def fifty_megabytes() -> AsyncIterator[bytes]:
        nonlocal sent
        chunk = b"[" * (64 * 1024)
        for _ in range(50 * MB // len(chunk)):  # bounded: 800 chunks
            if sent_when_answered:
                return  # the answer came: stop sending (aiohttp would otherwise go on)
            sent += len(chunk)
            yield chunk
            await asyncio.sleep(0)

    _, signature = signed("huge")
    headers = {"X-Qonto-Signature": signature, "Content-Type": "application/json"}
    async with (
        mount(receiver) as url,
        aiohttp.ClientSession() as session,
        session.post(url, data=fifty_megabytes(), headers=headers) as response,
    ):
        sent_when_answered.append(sent)
        status = response.status
    await receiver.aclose()
    assert status == 413
    assert handled == []
    assert sent_when_answered[0] < 50 * MB  # answered while the body was still coming
