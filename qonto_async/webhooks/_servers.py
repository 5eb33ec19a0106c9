"""The receiver behind a web framework: an aiohttp handler, and an ASGI application for
Starlette, FastAPI or any ASGI server. Both read the raw body (the signature covers its exact
bytes) and refuse a body over ``max_body`` bytes with 413."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._receiver import Reply, WebhookReceiver

__all__ = ["SIGNATURE_HEADER", "aiohttp_handler", "asgi_app"]

SIGNATURE_HEADER = "X-Qonto-Signature"
MAX_BODY = 1024 * 1024

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def aiohttp_handler(receiver: WebhookReceiver, *, max_body: int = MAX_BODY) -> Any:
    """``app.router.add_post("/webhooks/qonto", aiohttp_handler(receiver))``."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > max_body:
            return web.Response(status=413, text="too large")
        body = await request.content.read(max_body + 1)
        if len(body) > max_body:
            return web.Response(status=413, text="too large")
        reply = await receiver.receive(body, request.headers.get(SIGNATURE_HEADER))
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)

    return handle


def asgi_app(
    receiver: WebhookReceiver, *, max_body: int = MAX_BODY
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app answering POSTs: ``app.mount("/webhooks/qonto", asgi_app(receiver))`` in
    Starlette or FastAPI."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _answer(send, Reply(405, "POST only", {"Allow": "POST"}))
            return
        signature = None
        for name, value in scope.get("headers", []):
            if name.decode("latin-1").lower() == SIGNATURE_HEADER.lower():
                signature = value.decode("latin-1")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_body:
                await _answer(send, Reply(413, "too large"))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await _answer(send, await receiver.receive(b"".join(chunks), signature))

    return app


async def _answer(send: Send, reply: Reply) -> None:
    body = reply.body.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    headers += [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
