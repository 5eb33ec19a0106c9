"""The receiver behind a web framework: an aiohttp handler, and an ASGI application for
Starlette, FastAPI or any ASGI server. Both read the raw body to its end (the signature covers
its exact bytes), however it is framed (``Content-Length`` arriving in pieces, chunked), and
refuse a body over ``max_body`` bytes with 413 as soon as that much arrived, without holding
more than ``max_body`` bytes of it."""

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
    from aiohttp.http_exceptions import HttpProcessingError

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > max_body:
            return _too_large()
        # To the end of the body, whatever its framing (Content-Length in several TCP
        # segments, chunked): one read() returns only what has arrived so far.
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := await request.content.readany():  # bounded: each adds bytes
                size += len(chunk)
                if size > max_body:
                    return _too_large()  # at once; aiohttp discards the rest as it comes
                chunks.append(chunk)
        except (ConnectionError, HttpProcessingError):
            return web.Response(status=400, text="incomplete body")  # the sender went away
        reply = await receiver.receive(b"".join(chunks), request.headers.get(SIGNATURE_HEADER))
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)

    def _too_large() -> web.Response:
        response = web.Response(status=413, text="too large")
        response.force_close()  # the unread rest of the body makes the connection unusable
        return response

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
            key = name.decode("latin-1").lower()
            if key == SIGNATURE_HEADER.lower():
                signature = value.decode("latin-1")
            elif key == "content-length" and value.isdigit() and int(value) > max_body:
                await _answer(send, Reply(413, "too large"))
                return
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
