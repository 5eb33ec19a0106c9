"""Receive Qonto's webhooks in an aiohttp app.

    QONTO_WEBHOOK_SECRET=whsec_... python examples/webhooks_aiohttp.py

The endpoint answers within milliseconds (Qonto retries anything slower than a second) and
runs ``on_event`` afterwards; a redelivered event is recognised and not run twice.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from aiohttp import web

from qonto_async.webhooks import (
    ClientCreated,
    ClientDeleted,
    ClientInvoiceUpdated,
    WebhookEvent,
    WebhookReceiver,
    aiohttp_handler,
)

RECEIVER = web.AppKey("receiver", WebhookReceiver)


async def on_event(event: WebhookEvent) -> None:
    """Your code: here it only prints. Keep it idempotent (Qonto may deliver twice)."""
    match event:
        case ClientCreated(data=client):
            print(f"new client {client.id}: {client.name}")
        case ClientDeleted(data=client):
            print(f"client {client.id} deleted")
        case ClientInvoiceUpdated(data=invoice):
            print(f"invoice {invoice.number} is now {invoice.status}")
        case _:
            print(f"{event.type} {event.id}")


def create_app(
    secret: str, handler: Callable[[WebhookEvent], Awaitable[None]] = on_event
) -> web.Application:
    app = web.Application()
    receiver = app[RECEIVER] = WebhookReceiver(secret, handler)
    app.router.add_post("/webhooks/qonto", aiohttp_handler(receiver))

    async def finish_pending(app: web.Application) -> None:
        await app[RECEIVER].aclose()  # let running handlers finish on shutdown

    app.on_shutdown.append(finish_pending)
    return app


if __name__ == "__main__":
    web.run_app(create_app(os.environ["QONTO_WEBHOOK_SECRET"]), port=8080)
