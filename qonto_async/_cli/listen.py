"""``qonto-async listen``: receive Qonto's webhooks and apply them to the ledger, or verify
and relay them to a local app (``--forward``), as ``stripe listen`` does.

With the ledger, events land in the tables ``sync`` keeps, through
:meth:`qonto_async.ledger.Ledger.apply` (``v1/clients``, ``v1/client-invoices``,
``v1/transactions``; other types are recorded and ignored): created and updated records are
upserted unless the row is more recent, a deleted client is marked ``deleted_at`` (polling
cannot see deletions; webhooks can). A delivery is answered 200 only once its event is
committed to the ledger; one that cannot be stored in time (the ledger locked by another
writer, a full disk) is answered 5xx, and Qonto delivers it again. A delivery refused (400:
a signature that does not hold, or a signed event that does not decode) gets a line; a
signed one is kept in ``ledger_events`` with the outcome ``refused`` (Qonto will not deliver
it again): see :meth:`qonto_async.ledger.Ledger.refuse`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import click
from aiohttp import web

from ..ledger import Ledger, LedgerError
from ..webhooks import (
    SIGNATURE_HEADER,
    WebhookEvent,
    WebhookPayloadError,
    WebhookReceiver,
    WebhookVerificationError,
    aiohttp_handler,
    describe_delivery,
    verify,
)
from .failures import Failure, UsageFailure, describe_ledger_error, run_async
from .ledger_option import db_option
from .listen_fake import feed_from_fake, made_up_secret

__all__ = ["listen", "listening"]

Echo = Callable[[str], None]


SECRET_LENGTHS = (32, 128)  # what Qonto accepts for a subscription's secret


def ledger_handler(ledger: Ledger, echo: Echo) -> Callable[[WebhookEvent], Awaitable[None]]:
    async def apply(event: WebhookEvent) -> None:
        outcome = await ledger.apply(event)
        record = getattr(event.data, "id", None) if outcome != "ignored" else event.id
        echo(f"{outcome:<8} {event.type} {record}")

    return apply


def report(echo: Echo) -> Callable[[WebhookEvent, BaseException], None]:
    def failed(event: WebhookEvent, error: BaseException) -> None:
        echo(f"failed   {event.type} {event.id}: {error} (answered 5xx: Qonto delivers it again)")

    return failed


def refused(
    ledger: Ledger, echo: Echo
) -> Callable[[bytes, WebhookVerificationError], Awaitable[None]]:
    """A delivery answered 400 gets a line; a signed one whose event does not decode is kept
    in the ledger (``ledger_events``, outcome ``refused``) first: Qonto will not send it
    again. One that cannot be kept raises, and the receiver answers 503."""

    async def keep(body: bytes, error: WebhookVerificationError) -> None:
        signed = isinstance(error, WebhookPayloadError)
        what = describe_delivery(body, signed=signed)
        if not signed:
            echo(f"refused  {what}: {error} (answered 400)")
            return
        try:
            kept = await ledger.refuse(body, str(error))
        except LedgerError as exc:
            echo(f"failed   {what}: refused, and could not be kept: {exc} (answered 503)")
            raise
        echo(f"refused  {what}: {error} (answered 400; kept in ledger_events as {kept})")

    return keep


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
        receiver = WebhookReceiver(
            secrets,
            ledger_handler(ledger, echo),
            acknowledge="after_handling",  # 200 means stored in the ledger
            on_error=report(echo),
            on_refused=refused(ledger, echo),
        )
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


def _check_secrets(secrets: tuple[str, ...]) -> None:
    low, high = SECRET_LENGTHS
    for secret in secrets:
        if not low <= len(secret) <= high:
            raise UsageFailure(
                f"a Qonto webhook secret has {low} to {high} characters; one given has "
                f"{len(secret)}"
            )


@click.command()
@db_option
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    envvar="QONTO_WEBHOOK_SECRET",
    help="The subscription's signing secret, 32 to 128 characters (env QONTO_WEBHOOK_SECRET); "
    "repeat while rotating.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.option("--path", default="/webhooks/qonto", show_default=True)
@click.option("--forward", metavar="URL", help="Verify and relay to URL instead of the ledger.")
@click.option(
    "--fake",
    is_flag=True,
    help="Subscribe an embedded fake Qonto that changes a client or a transaction every "
    "--fake-every seconds (a secret is made up if none is given): see events land, no "
    "account needed.",
)
@click.option(
    "--fake-every", type=click.FloatRange(min=0.05), default=1.0, show_default=True, hidden=True
)
def listen(
    db: str,
    secrets: tuple[str, ...],
    host: str,
    port: int,
    path: str,
    forward: str | None,
    fake: bool,
    fake_every: float,
) -> None:
    """Receive Qonto's webhooks: apply them to the ledger, or relay them with --forward.

    Point a subscription (``qonto.webhook_subscriptions.create``) at the printed URL, made
    public with your proxy or tunnel. A delivery is answered 200 once its event is stored in
    the ledger, 5xx if it could not be (Qonto then delivers it again). Stop with Ctrl-C.
    """
    if fake and not secrets:
        secrets = (made_up_secret(),)
    if not secrets:
        raise UsageFailure("a webhook secret is needed: --secret or QONTO_WEBHOOK_SECRET")
    _check_secrets(secrets)
    if not path.startswith("/"):
        raise UsageFailure("--path starts with /")

    def echo(line: str) -> None:
        click.echo(line)

    async def serve(ledger: Ledger | None) -> None:
        async with listening(
            secrets=secrets,
            ledger=ledger,
            forward=forward,
            host=host,
            port=port,
            path=path,
            echo=echo,
        ) as (url, _):
            target = forward or (ledger.name if ledger is not None else db)
            click.echo(f"listening on {url} -> {target} (Ctrl-C to stop)", err=True)
            if fake:
                await feed_from_fake(url, secrets[0], fake_every, echo)
            await asyncio.Event().wait()

    async def work() -> None:
        if forward:
            await serve(None)
            return
        async with Ledger.open(db) as ledger:
            await serve(ledger)

    try:
        run_async(work)
    except (KeyboardInterrupt, asyncio.CancelledError):
        click.echo("stopped", err=True)  # Ctrl-C is how listen ends: not a failure
    except LedgerError as exc:
        raise describe_ledger_error(exc) from None
    except OSError as exc:
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
