"""A framework-agnostic webhook receiver: verify, deduplicate, acknowledge, process.

Qonto wants a 2xx within about a second, redelivers otherwise (with a growing delay, for a few
days), and may deliver an event twice. :meth:`WebhookReceiver.receive` verifies a delivery and
answers in one of two modes (``acknowledge=``); what each promises is in the class docstring.
Whatever the mode, the answer says what happened:

- 200: handled or being handled (see the mode), or a duplicate of an event taken already;
- 400: not a verified Qonto event (the reason is in the body; Qonto's retries will not help);
- 500: (``"after_handling"``) the handler raised; Qonto delivers the event again;
- 503 with ``Retry-After``: not taken now, deliver it again later: ``max_pending`` handlers
  are running (back-pressure), the ``seen`` store is down, the handler ran past
  ``handler_timeout`` (``"after_handling"``), or the receiver is closing.

A handler's failure goes to ``on_error`` (by default, a log line); an ``on_error`` that raises
is logged too. Call :meth:`aclose` on shutdown: it waits for the handlers still running.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ._errors import SeenEventsUnavailableError, WebhookPayloadError, WebhookVerificationError
from ._events import WebhookEvent, decode_event
from ._signature import DEFAULT_TOLERANCE, check_secrets, check_signature, redact_secrets

if TYPE_CHECKING:
    from .._redis.seen_events import SeenEvents

__all__ = [
    "Acknowledge",
    "ReceiverStats",
    "Reply",
    "WebhookReceiver",
    "claimed_event",
    "describe_delivery",
]

logger = logging.getLogger("qonto_async.webhooks")

Handler = Callable[[WebhookEvent], Awaitable[object]]
ErrorHook = Callable[[WebhookEvent, BaseException], object]
RefusedHook = Callable[[bytes, WebhookVerificationError], object]
Acknowledge = Literal["on_receipt", "after_handling"]
"""When a delivery is answered 2xx: see :class:`WebhookReceiver`."""


class _Outcome(enum.Enum):
    HANDLED = "handled"
    FAILED = "failed"
    TIMED_OUT = "timed out"


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
    """Handlers that raised or (``"after_handling"``) ran past ``handler_timeout``."""
    timed_out: int = 0
    """Handlers cancelled at ``handler_timeout`` (``"after_handling"``; also in ``failed``)."""
    unavailable: int = 0
    """Calls to the ``seen`` store that failed (a claim's delivery was answered 503)."""


_SHOWN = 80  # characters of an id or a type a log line shows


def claimed_event(body: bytes) -> tuple[str | None, str | None]:
    """The event id and type a delivery's body names, when it is a JSON object naming them as
    strings (read leniently: the body may be what was refused), else None."""
    try:
        parsed = json.loads(body.decode("utf-8", "replace"), strict=False)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    return _shown(parsed.get("id")), _shown(parsed.get("type"))


def _shown(value: object) -> str | None:
    return value[:_SHOWN] if isinstance(value, str) else None


def describe_delivery(body: bytes, *, signed: bool) -> str:
    """A delivery as a log line names it: its event id and type (never its data), and whether
    the signature held (an unverified body's id is only what it claims)."""
    event_id, kind = claimed_event(body)
    what = f"event {event_id!r}" if event_id else "an event with no id"
    what += f" ({kind or 'no type'})"
    return what if signed else f"{what}, signature not verified"


def _log_failure(event: WebhookEvent, error: BaseException) -> None:
    logger.error("webhook handler failed for %s %s: %r", event.type, event.id, error)


class WebhookReceiver:
    """Receives Qonto's deliveries for ``handler`` (``async def handler(event) -> None``).

    ``secret`` is the subscription's signing secret, or several while one is rotated;
    ``remember`` is how many event ids are kept to recognise redeliveries; ``seen`` (such as
    ``qonto_async.redis.RedisSeenEvents``) shares that memory with the other processes that
    receive for the same subscription.

    ``acknowledge`` says when Qonto gets its 2xx, and so what a 2xx promises:

    - ``"on_receipt"`` (the default): 200 as soon as the delivery is verified and taken; the
      handler runs afterwards, in a task. The answer is fast whatever the handler does, but
      it only promises that the event *arrived*: Qonto will not deliver it again, so an
      event whose handler raises, or whose process dies meanwhile, is lost unless the handler
      stored it durably first. (A failed event is forgotten here, which helps only if Qonto
      delivers it again anyway.)
    - ``"after_handling"``: the answer waits for the handler, and a 2xx promises that it
      returned. 200 once it returned; 500 if it raised; 503 with ``Retry-After`` if it has
      not returned ``handler_timeout`` seconds (default 0.8, inside Qonto's one second)
      after ``receive`` was called, and then it is cancelled. Before a 5xx the event id is
      released (here and in ``seen``), so Qonto's redelivery runs the handler again: every
      event is handled at least once while Qonto goes on retrying. The handler must be quick
      (store the event, enqueue a job) and idempotent (it may be cancelled part-way and run
      again); one that always outlasts ``handler_timeout`` is never acknowledged. A delivery
      of an event whose handler is running here waits for that handler's outcome. One
      limit: with a shared ``seen``, a delivery of an event another process has claimed is
      answered 200 "duplicate" even while that process's handler is still running (the
      store cannot tell running from done). Qonto delivers again only after a failed or late
      answer, and that process answers within ``handler_timeout``, releasing a failed event
      first; so this loses an event only if Qonto sends it twice at once and the first
      handler then fails.

    In both modes ``on_error(event, error)`` hears of each failure (``error`` is a
    ``TimeoutError`` for a handler past ``handler_timeout``); it may be a coroutine function,
    and in ``"after_handling"`` it runs before the answer, so keep it quick. If it raises,
    that is logged.
    A delivery refused (400: not signed by a secret given, or signed but not an event that
    decodes, a :class:`WebhookPayloadError`) is logged as a warning naming the event id and
    type it claims, and given to ``on_refused(body, error)`` when set (it may be a
    coroutine function; it runs before the answer): keep a signed one there, since Qonto
    does not deliver a 4xx again. If it raises, that is logged and the delivery answered
    503, so Qonto delivers it again.
    ``max_pending`` bounds the handlers running at once (beyond it, 503 with ``Retry-After``);
    a delivery holds its place from before it asks ``seen``, so a slow store cannot let more
    through. A store that fails is logged as a :class:`SeenEventsUnavailableError` and the
    delivery answered 503.
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
        acknowledge: Acknowledge = "on_receipt",
        handler_timeout: float = 0.8,
        on_refused: RefusedHook | None = None,
    ) -> None:
        self._secrets = redact_secrets(secret)
        del secret  # the caller's plain string: not a local of a frame that raises
        check_secrets(self._secrets)
        if max_pending < 1 or remember < 1:
            raise ValueError("max_pending and remember must be at least 1")
        if acknowledge not in ("on_receipt", "after_handling"):
            raise ValueError(
                f"acknowledge is 'on_receipt' or 'after_handling', not {acknowledge!r}"
            )
        if not handler_timeout > 0:
            raise ValueError("handler_timeout must be a positive number of seconds")
        self._handler = handler
        self._tolerance = tolerance
        self._max_pending = max_pending
        self._remember = remember
        self._retry_after = retry_after
        self._on_error = on_error
        self._on_refused = on_refused
        self._clock = clock
        self._after_handling = acknowledge == "after_handling"
        self._handler_timeout = handler_timeout
        self._seen: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._shared_seen = seen
        self._tasks: set[asyncio.Task[_Outcome]] = set()
        self._running: dict[str, asyncio.Task[_Outcome]] = {}  # after_handling: by event id
        self._reserved = 0  # slots held by deliveries awaiting ``seen``
        self._closed = False
        self.stats = ReceiverStats()

    def __repr__(self) -> str:
        return f"WebhookReceiver(pending={len(self._tasks)}, stats={self.stats})"

    @property
    def pending(self) -> int:
        """Handlers still running."""
        return len(self._tasks)

    def _is_closed(self) -> bool:  # a call: mypy would take an earlier check as still holding
        return self._closed

    def _later(self, reason: str) -> Reply:
        return Reply(503, reason, {"Retry-After": str(self._retry_after)})

    async def receive(self, body: bytes, signature: str | None) -> Reply:
        """Handle one delivery: ``body`` exactly as received, ``signature`` the value of its
        ``X-Qonto-Signature`` header (None when absent). Never raises for a delivery: every
        outcome is a :class:`Reply` to send back."""
        deadline = asyncio.get_running_loop().time() + self._handler_timeout
        if self._closed:
            return self._later("shutting down")
        try:
            check_signature(
                body, signature, self._secrets, tolerance=self._tolerance, now=self._clock()
            )
            event = decode_event(body)
        except WebhookVerificationError as exc:
            self.stats.rejected += 1
            logger.warning(
                "webhook delivery refused (answered 400, Qonto will not deliver it again): %s: %s",
                describe_delivery(body, signed=isinstance(exc, WebhookPayloadError)),
                exc,
            )
            return await self._refuse(body, exc)
        if event.id in self._seen:
            self.stats.duplicates += 1
            return Reply(200, "duplicate")
        running = self._running.get(event.id)
        if running is not None:  # after_handling: its handler is running for another delivery
            await asyncio.wait({running})
            if not running.cancelled() and running.result() is _Outcome.HANDLED:
                self.stats.duplicates += 1
                return Reply(200, "duplicate")
            return self._later("not handled yet")
        if len(self._tasks) + self._reserved >= self._max_pending:
            self.stats.deferred += 1
            return self._later("busy")
        self._reserved += 1  # held across the await below, released on every path
        try:
            if self._shared_seen is not None:
                try:
                    claimed = await self._shared_seen.claim(event.id)
                except Exception as exc:
                    self.stats.unavailable += 1
                    _log_store_failure("claim", event, exc)
                    return self._later("seen-events store unavailable")
                if not claimed:
                    self.stats.duplicates += 1  # another process took it
                    return Reply(200, "duplicate")
                if self._is_closed():  # closed while we asked: give the event back
                    await self._release(event)
                    return self._later("shutting down")
            if not self._after_handling:
                self._remember_id(event.id)
            self.stats.accepted += 1
            task = asyncio.get_running_loop().create_task(self._handle(event, deadline))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        finally:
            self._reserved -= 1
        if not self._after_handling:
            return Reply(200, "ok")
        self._running[event.id] = task
        task.add_done_callback(lambda done: self._forget_running(event.id, done))
        await asyncio.wait({task})  # bounded by handler_timeout; a cancelled receive() leaves it
        if task.cancelled():
            return self._later("shutting down")
        outcome = task.result()
        if outcome is _Outcome.HANDLED:
            return Reply(200, "ok")
        if outcome is _Outcome.TIMED_OUT:
            return self._later(f"handler timed out after {self._handler_timeout} s")
        return Reply(500, "handler failed")

    def _forget_running(self, event_id: str, task: asyncio.Task[_Outcome]) -> None:
        if self._running.get(event_id) is task:
            del self._running[event_id]

    def _remember_id(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > self._remember:
            self._seen.popitem(last=False)

    async def _handle(self, event: WebhookEvent, deadline: float) -> _Outcome:
        timeout = asyncio.timeout_at(deadline if self._after_handling else None)
        try:
            async with timeout:
                await self._handler(event)
        except asyncio.CancelledError:
            if self._after_handling:  # cancelled by aclose(): Qonto gets a 503, so release
                await self._release(event)
            raise
        except Exception as exc:
            error: BaseException = exc
            outcome = _Outcome.FAILED
            if isinstance(exc, TimeoutError) and timeout.expired():
                self.stats.timed_out += 1
                outcome = _Outcome.TIMED_OUT
                error = TimeoutError(
                    f"the handler did not finish within {self._handler_timeout} s of the "
                    "delivery and was cancelled; Qonto will deliver the event again"
                )
            self.stats.failed += 1
            await self._release(event)  # a redelivery may try again
            await self._report(event, error)
            return outcome
        self.stats.handled += 1
        if self._after_handling:
            self._remember_id(event.id)
        return _Outcome.HANDLED

    async def _release(self, event: WebhookEvent) -> None:
        self._seen.pop(event.id, None)
        if self._shared_seen is None:
            return
        try:
            await self._shared_seen.forget(event.id)
        except Exception as exc:
            self.stats.unavailable += 1
            _log_store_failure("forget", event, exc)

    async def _refuse(self, body: bytes, refusal: WebhookVerificationError) -> Reply:
        """400, once ``on_refused`` heard of it (503 if it raised, which is logged)."""
        if self._on_refused is not None:
            try:
                result = self._on_refused(body, refusal)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("webhook on_refused raised: the delivery is answered 503")
                return self._later("the refused delivery could not be kept")
        return Reply(400, str(refusal))

    async def _report(self, event: WebhookEvent, error: BaseException) -> None:
        try:
            result = self._on_error(event, error)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("webhook on_error raised for %s %s", event.type, event.id)

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


def _log_store_failure(action: str, event: WebhookEvent, exc: Exception) -> None:
    error = SeenEventsUnavailableError(
        f"the seen-events store could not {action} event {event.id} ({type(exc).__name__}: {exc})"
    )
    error.__cause__ = exc
    if action == "claim":
        consequence = "answered 503, Qonto will deliver it again"
    else:
        consequence = "its id stays claimed there, so a redelivery may be taken as a duplicate"
    logger.error("%s: %s", error, consequence, exc_info=error)
