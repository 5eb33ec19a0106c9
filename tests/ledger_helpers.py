"""The public async :class:`qonto_async.ledger.Ledger`, driven from synchronous tests: each
helper opens the ledger, does one thing and closes it, in an event loop of its own."""

from __future__ import annotations

import asyncio
from typing import Any

from qonto_async.ledger import Ledger, Outcome
from qonto_async.webhooks import WebhookEvent


def open_once(db: str) -> int | None:
    """Open (creating or upgrading) and close the ledger at ``db``; the version it was
    upgraded from, if any."""

    async def go() -> int | None:
        async with Ledger.open(db) as ledger:
            return ledger.upgraded_from

    return asyncio.run(go())


def ids(db: str, resource: str, *, deleted: bool = False) -> set[str]:
    async def go() -> set[str]:
        async with Ledger.open(db) as ledger:
            return await ledger.ids(resource, deleted=deleted)

    return asyncio.run(go())


def row(db: str, resource: str, record_id: str) -> dict[str, Any] | None:
    async def go() -> dict[str, Any] | None:
        async with Ledger.open(db) as ledger:
            return await ledger.row(resource, record_id)

    return asyncio.run(go())


def apply(db: str, *events: WebhookEvent) -> list[Outcome]:
    async def go() -> list[Outcome]:
        async with Ledger.open(db) as ledger:
            return [await ledger.apply(event) for event in events]

    return asyncio.run(go())
