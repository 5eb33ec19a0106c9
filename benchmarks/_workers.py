"""What each process of ``benchmarks.many_workers`` runs (a module of its own, so the
spawned processes import it by name)."""

from __future__ import annotations

import asyncio
import io
import time
from typing import Any

from qonto_async import OAuthCredentials, QontoClient, QontoError
from qonto_async.redis import RedisRateLimiter, RedisTokenStore

__all__ = ["oauth_worker", "rate_worker"]


def rate_worker(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_rate_work(job))


async def _rate_work(job: dict[str, Any]) -> dict[str, Any]:
    limiter = None
    if job["redis_url"]:
        limiter = RedisRateLimiter(
            job["redis_url"], key=job["key"], requests_per_second=97, burst=20
        )
    client = QontoClient(
        job["login"], job["secret_key"], base_url=job["base_url"], max_retries=20,
        rate_limiter=limiter,
    )  # fmt: skip
    started = time.time()
    failed = 0
    async with client:
        results = await client.client_invoices.get_many(job["ids"], return_exceptions=True)
        failed = sum(isinstance(r, QontoError) for r in results)
    if limiter is not None:
        await limiter.aclose()
    return {
        "started": started,
        "ended": time.time(),
        "done": len(results) - failed,
        "failed": failed,
        "rate_limited": client.stats.rate_limited,
        "requests": client.stats.requests,
    }


def oauth_worker(job: dict[str, Any]) -> dict[str, Any]:
    return asyncio.run(_bounded(_oauth_work(job), job["seconds"] + 60))


async def _bounded(work: Any, seconds: float) -> dict[str, Any]:
    """``work``, or, if it outlives ``seconds``, where every task of this process stood."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        result: dict[str, Any] = task.result()
        return result
    stacks = []
    for other in asyncio.all_tasks():
        buffer = io.StringIO()
        other.print_stack(file=buffer)
        stacks.append(buffer.getvalue())
    task.cancel()
    return {"done": 0, "failed": ["stuck"], "refreshed": 0, "stuck": stacks}


async def _oauth_work(job: dict[str, Any]) -> dict[str, Any]:
    store = RedisTokenStore(job["redis_url"], key=job["key"]) if job["shared"] else None
    refreshed = 0

    def count(_: OAuthCredentials) -> None:
        nonlocal refreshed
        refreshed += 1

    credentials = OAuthCredentials(
        job["client_id"], job["client_secret"], job["refresh_token"], token_url=job["token_url"]
    )
    failed: list[str] = []
    deadline = time.monotonic() + max(0.0, job["until"] - time.time())
    async with QontoClient(
        oauth=credentials, base_url=job["base_url"], token_store=store,
        on_token_refresh=count, requests_per_second=None,
    ) as client:  # fmt: skip
        done = 0
        while time.monotonic() < deadline:
            try:
                await client.clients.get(job["ids"][done % len(job["ids"])])
                done += 1
            except QontoError as exc:
                failed.append(f"{getattr(exc, 'status', '')} {getattr(exc, 'code', '')}")
                await asyncio.sleep(0.05)
    if store is not None:
        await store.aclose()
    return {"done": done, "failed": failed, "refreshed": refreshed}
