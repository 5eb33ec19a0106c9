"""Receive Qonto's webhooks in a FastAPI (or Starlette) app.

    QONTO_WEBHOOK_SECRET=whsec_... uvicorn examples.webhooks_fastapi:app --port 8080

The route hands the raw body and the ``X-Qonto-Signature`` header to a
:class:`~qonto_async.webhooks.WebhookReceiver`, which verifies, deduplicates, answers at once
and runs ``on_event`` in the background.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from qonto_async.webhooks import SIGNATURE_HEADER, WebhookEvent, WebhookReceiver

seen: list[str] = []


async def on_event(event: WebhookEvent) -> None:
    """Your code: store the change, enqueue a job... Keep it idempotent."""
    seen.append(f"{event.type} {event.id}")


def create_app(
    secret: str, handler: Callable[[WebhookEvent], Awaitable[None]] = on_event
) -> FastAPI:
    receiver = WebhookReceiver(secret, handler)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await receiver.aclose()  # let running handlers finish on shutdown

    app = FastAPI(lifespan=lifespan)

    @app.post("/webhooks/qonto")
    async def qonto_webhook(request: Request) -> Response:
        reply = await receiver.receive(await request.body(), request.headers.get(SIGNATURE_HEADER))
        return Response(reply.body, status_code=reply.status, headers=reply.headers)

    return app


if os.environ.get("QONTO_WEBHOOK_SECRET"):
    app = create_app(os.environ["QONTO_WEBHOOK_SECRET"])
