"""``qonto-async listen``: receive Qonto's webhooks and apply them to the ledger, or verify
and relay them to a local app (``--forward``), as ``stripe listen`` does.

With the ledger, events land in the tables ``sync`` keeps: created and updated records are
upserted, a deleted client is marked ``deleted_at`` (polling cannot see deletions; webhooks
can). Polling and webhooks together keep the ledger exact: webhooks bring changes within
seconds, and the next ``sync`` catches any event that was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import click
from aiohttp import web

from .. import Client, ClientInvoice
from ..webhooks import (
    SIGNATURE_HEADER,
    ClientDeleted,
    WebhookEvent,
    WebhookReceiver,
    WebhookVerificationError,
    aiohttp_handler,
    verify,
)
from .failures import Failure, Interrupted, UsageFailure, describe_ledger_error, run_async
from .ledger import Ledger, LedgerError

__all__ = ["listen", "listening"]

Echo = Callable[[str], None]


def ledger_handler(ledger: Ledger, echo: Echo) -> Callable[[WebhookEvent], Awaitable[None]]:
    async def apply(event: WebhookEvent) -> None:
        data = event.data
        if isinstance(data, Client):
            resource = "clients"
        elif isinstance(data, ClientInvoice):
            resource = "client_invoices"
        else:
            echo(f"ignored  {event.type} {event.id}")
            return
        ledger.apply_event(resource, data, deleted=isinstance(event, ClientDeleted))
        echo(f"applied  {event.type} {data.id}")

    return apply


def relay(
    url: str, secrets: tuple[str, ...], echo: Echo
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A handler that verifies a delivery and passes it on unchanged (same body, same
    signature), answering what the local app answered."""

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        signature = request.headers.get(SIGNATURE_HEADER)
        try:
            event = verify(body, signature, secrets)
        except WebhookVerificationError as exc:
            echo(f"refused  {exc}")
            return web.Response(status=400, text=str(exc))
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature or ""}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.post(url, data=body, headers=headers) as answer,
            ):
                status, text = answer.status, await answer.text()
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            echo(f"failed   {event.type} {event.id} -> {url}: {type(exc).__name__}")
            return web.Response(status=502, text="the local app did not answer")
        echo(f"forwarded {event.type} {event.id} -> {url} [{status}]")
        return web.Response(status=status, text=text)

    return handle


@contextlib.asynccontextmanager
async def listening(
    *,
    secrets: tuple[str, ...],
    ledger: Ledger | None,
    forward: str | None,
    host: str,
    port: int,
    path: str,
    echo: Echo,
) -> AsyncIterator[tuple[str, WebhookReceiver | None]]:
    """Serve the webhook endpoint; yields its URL (and the receiver, in ledger mode)."""
    app = web.Application()
    receiver: WebhookReceiver | None = None
    if forward is not None:
        app.router.add_post(path, relay(forward, secrets, echo))
    else:
        assert ledger is not None
        receiver = WebhookReceiver(secrets, ledger_handler(ledger, echo))
        app.router.add_post(path, aiohttp_handler(receiver))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        yield f"http://{host}:{bound}{path}", receiver
    finally:
        if receiver is not None:
            await receiver.aclose()
        await runner.cleanup()


@click.command()
@click.option(
    "--db",
    default="ledger.sqlite",
    show_default=True,
    help="The ledger: a SQLite file, or a postgresql:// URL.",
)
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    envvar="QONTO_WEBHOOK_SECRET",
    help="The subscription's signing secret (env QONTO_WEBHOOK_SECRET); repeat while rotating.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--path", default="/webhooks/qonto", show_default=True)
@click.option("--forward", metavar="URL", help="Verify and relay to URL instead of the ledger.")
def listen(
    db: str, secrets: tuple[str, ...], host: str, port: int, path: str, forward: str | None
) -> None:
    """Receive Qonto's webhooks: apply them to the ledger, or relay them with --forward.

    Point a subscription (``qonto.webhook_subscriptions.create``) at the printed URL, made
    public with your proxy or tunnel. Stop with Ctrl-C.
    """
    if not secrets:
        raise UsageFailure("a webhook secret is needed: --secret or QONTO_WEBHOOK_SECRET")
    if not path.startswith("/"):
        raise UsageFailure("--path starts with /")

    def echo(line: str) -> None:
        click.echo(line)

    async def work() -> None:
        try:
            ledger = None if forward else Ledger(db)
        except LedgerError as exc:
            raise describe_ledger_error(exc) from None
        try:
            async with listening(
                secrets=secrets,
                ledger=ledger,
                forward=forward,
                host=host,
                port=port,
                path=path,
                echo=echo,
            ) as (url, _):
                target = forward or db
                click.echo(f"listening on {url} -> {target} (Ctrl-C to stop)", err=True)
                await asyncio.Event().wait()
        finally:
            if ledger is not None:
                ledger.close()

    try:
        run_async(work)
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise Interrupted("stopped") from None
    except OSError as exc:
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
