"""A framework-agnostic webhook receiver: verify, deduplicate, acknowledge, then process.

Qonto wants a 2xx within about a second and redelivers otherwise, so duplicates are normal.
:meth:`WebhookReceiver.receive` verifies the delivery, answers at once, and runs the user's
async handler in a background task. The answer says what happened:

- 200: accepted (the handler runs now), or a duplicate of an event already accepted;
- 400: not a verified Qonto event (the reason is in the body; Qonto's retries will not help);
- 503 with ``Retry-After``: ``max_pending`` handlers are still running, so Qonto should
  deliver again later (back-pressure instead of an unbounded pile of tasks).

An event whose handler raised is forgotten, so a redelivery runs it again; the error goes to
``on_error`` (by default, a log line). Call :meth:`aclose` on shutdown: it waits for the
handlers still running.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ._errors import WebhookVerificationError
from ._events import WebhookEvent, decode_event
from ._signature import DEFAULT_TOLERANCE, check_signature

if TYPE_CHECKING:
    from .._redis.seen_events import SeenEvents

__all__ = ["ReceiverStats", "Reply", "WebhookReceiver"]

logger = logging.getLogger("qonto_async.webhooks")

Handler = Callable[[WebhookEvent], Awaitable[object]]
ErrorHook = Callable[[WebhookEvent, BaseException], object]


@dataclass(frozen=True)
class Reply:
    """What to answer Qonto: ``status``, a short ``body`` and extra ``headers``."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ReceiverStats:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    deferred: int = 0
    """Deliveries answered 503 because ``max_pending`` handlers were running."""
    handled: int = 0
    failed: int = 0


def _log_failure(event: WebhookEvent, error: BaseException) -> None:
    logger.error("webhook handler failed for %s %s: %r", event.type, event.id, error)


class WebhookReceiver:
    """Receives Qonto's deliveries for ``handler`` (``async def handler(event) -> None``).

    ``secret`` is the subscription's signing secret, or several while one is rotated;
    ``remember`` is how many event ids are kept to recognise redeliveries; ``seen`` (such as
    ``qonto_async.redis.RedisSeenEvents``) shares that memory with the other processes that
    receive for the same subscription.
    """

    def __init__(
        self,
        secret: str | Sequence[str],
        handler: Handler,
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        max_pending: int = 100,
        remember: int = 100_000,
        retry_after: int = 30,
        on_error: ErrorHook = _log_failure,
        clock: Callable[[], float] = time.time,
        seen: SeenEvents | None = None,
    ) -> None:
        self._secrets = (secret,) if isinstance(secret, str) else tuple(secret)
        if not self._secrets or not all(isinstance(s, str) and s for s in self._secrets):
            raise ValueError("a webhook secret is a non-empty string")
        if max_pending < 1 or remember < 1:
            raise ValueError("max_pending and remember must be at least 1")
        self._handler = handler
        self._tolerance = tolerance
        self._max_pending = max_pending
        self._remember = remember
        self._retry_after = retry_after
        self._on_error = on_error
        self._clock = clock
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._shared_seen = seen
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.stats = ReceiverStats()

    def __repr__(self) -> str:
        return f"WebhookReceiver(pending={len(self._tasks)}, stats={self.stats})"

    @property
    def pending(self) -> int:
        """Handlers still running."""
        return len(self._tasks)

    async def receive(self, body: bytes, signature: str | None) -> Reply:
        """Handle one delivery: ``body`` exactly as received, ``signature`` the value of its
        ``X-Qonto-Signature`` header (None when absent)."""
        if self._closed:
            return Reply(503, "shutting down", {"Retry-After": str(self._retry_after)})
        try:
            check_signature(
                body, signature, self._secrets, tolerance=self._tolerance, now=self._clock()
            )
            event = decode_event(body)
        except WebhookVerificationError as exc:
            self.stats.rejected += 1
            logger.warning("webhook delivery refused: %s", exc)
            return Reply(400, str(exc))
        if event.id in self._seen:
            self.stats.duplicates += 1
            return Reply(200, "duplicate")
        if len(self._tasks) >= self._max_pending:
            self.stats.deferred += 1
            return Reply(503, "busy", {"Retry-After": str(self._retry_after)})
        if self._shared_seen is not None and not await self._shared_seen.claim(event.id):
            self.stats.duplicates += 1  # another process took it
            return Reply(200, "duplicate")
        self._remember_id(event.id)
        self.stats.accepted += 1
        task = asyncio.get_running_loop().create_task(self._handle(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Reply(200, "ok")

    def _remember_id(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)

    async def _handle(self, event: WebhookEvent) -> None:
        try:
            await self._handler(event)
        except Exception as exc:
            self.stats.failed += 1
            self._seen.pop(event.id, None)  # a redelivery may try again
            if self._shared_seen is not None:
                await self._shared_seen.forget(event.id)
            self._on_error(event, exc)
        else:
            self.stats.handled += 1

    async def drain(self) -> None:
        """Wait until the handlers running now (and those they start) are done (wrap it in
        ``asyncio.timeout`` to bound the wait)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self, grace: float | None = 30.0) -> None:
        """Stop accepting deliveries (503) and wait for the running handlers; those still
        running after ``grace`` seconds are cancelled."""
        self._closed = True
        try:
            async with asyncio.timeout(grace):
                await self.drain()
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
