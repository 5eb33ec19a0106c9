"""Fan a bulk job out to arq workers that share one Qonto budget (and one 429 pause) on Redis.

    # each worker process (as many as you like, on any machine reaching Redis and Qonto):
    REDIS_URL=redis://localhost:6379/0 QONTO_LOGIN=... QONTO_SECRET_KEY=... \\
        arq arq_worker.WorkerSettings            # from the examples/ folder

    # the process that needs the invoices:
    totals = await fetch_all(ids, redis_url)     # shards of SHARD ids, one job each

Each worker's ``QontoClient`` uses a ``RedisRateLimiter`` on the same key, so eight workers
together stay under Qonto's limits instead of each "under the limit" going eight times over.
A failed job's exception comes back to ``fetch_all`` as the same typed ``QontoError``
(status, code, trace id, the id asked for): SDK errors pickle intact.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, ClassVar

from arq import create_pool
from arq.connections import RedisSettings

from qonto_async import QontoClient
from qonto_async.redis import RedisRateLimiter

SHARD = 500
REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")


async def startup(ctx: dict[str, Any]) -> None:
    limiter = RedisRateLimiter(REDIS_URL, key=os.environ.get("QONTO_BUDGET_KEY", "qonto"))
    ctx["limiter"] = limiter
    ctx["qonto"] = QontoClient(
        os.environ["QONTO_LOGIN"], os.environ["QONTO_SECRET_KEY"], rate_limiter=limiter
    )


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["qonto"].aclose()
    await ctx["limiter"].aclose()


async def fetch_invoices(ctx: dict[str, Any], ids: list[str]) -> dict[str, str]:
    """One shard: each invoice's total, as a decimal string."""
    qonto: QontoClient = ctx["qonto"]
    invoices = await qonto.client_invoices.get_many(ids)
    return {
        invoice.id: str(invoice.total_amount.value if invoice.total_amount else None)
        for invoice in invoices
    }


class WorkerSettings:
    functions: ClassVar[list[Any]] = [fetch_invoices]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = RedisSettings.from_dsn(REDIS_URL)
    max_jobs = 4


async def fetch_all(ids: list[str], redis_url: str = REDIS_URL) -> dict[str, str]:
    """Every total, fetched by the workers; the first failed shard raises its error."""
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        jobs = [
            await pool.enqueue_job("fetch_invoices", ids[start : start + SHARD])
            for start in range(0, len(ids), SHARD)
        ]
        totals: dict[str, str] = {}
        for job in jobs:
            assert job is not None
            totals.update(await job.result(timeout=300))
        return totals
    finally:
        await pool.aclose()


if __name__ == "__main__":
    import sys

    wanted = Path(sys.argv[1]).read_text().split()
    print(asyncio.run(fetch_all(wanted)))
