"""The retry policy: what is retried, how long to wait, and the idempotency rule.

Retried: connection errors, timeouts, 408, 429, 500, 502, 503 and 504, for idempotent methods
and for writes that carry an idempotency key (the same key on every attempt). A write without
a key may have happened when its answer is lost, so it is never sent twice.

Wait: ``Retry-After`` when the answer has one (capped: a longer one is raised at once),
otherwise exponential backoff with full jitter.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt, wait_random_exponential
from tenacity.retry import retry_base

from ..errors import APIConnectionError, APIStatusError, QontoError

__all__ = ["IDEMPOTENT_METHODS", "RETRYABLE_STATUSES", "Retrier", "RetryPolicy", "brief"]

R = TypeVar("R")
Sleep = Callable[[float], Awaitable[None]]
OnRetry = Callable[[QontoError, float], None]

logger = logging.getLogger("qonto_async")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods that are safe to send twice; any other is, only with an idempotency key."""


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")

    def accepts(self, exc: BaseException | None) -> bool:
        """Whether this failure is worth another attempt (the wait it asks for included)."""
        if isinstance(exc, APIConnectionError):
            return True
        if isinstance(exc, APIStatusError) and exc.status in RETRYABLE_STATUSES:
            return exc.retry_after is None or exc.retry_after <= self.retry_after_cap
        return False


def brief(exc: BaseException | None) -> str:
    """One short line for a log: what failed, with the trace id, without the body excerpt."""
    if isinstance(exc, APIStatusError):
        parts = [str(exc.status), exc.method, exc.url]
        if exc.resource_id is not None:
            parts.append(f"(id {exc.resource_id!r})")
        if exc.code:
            parts.append(exc.code)
        if exc.trace_id:
            parts.append(f"[trace_id {exc.trace_id}]")
        text = " ".join(parts)
    else:
        text = str(exc)
    return " ".join(text.split())  # a log line stays one line, whatever a server put in it


class _RetryWhen(retry_base):
    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        return self._policy.accepts(outcome.exception() if outcome is not None else None)


class Retrier:
    """Runs the attempts that follow a failed first one.

    Most requests succeed at once, and building a tenacity ``AsyncRetrying`` costs about as
    much CPU as the rest of a request (``benchmarks/throughput.py --profile``). So the first
    attempt runs bare, and only a failure worth retrying gets its own ``AsyncRetrying``
    (never shared between requests), whose attempt 1 replays that failure: waits, logging
    and counting all follow the one policy.
    """

    def __init__(self, policy: RetryPolicy, *, sleep: Sleep, on_retry: OnRetry) -> None:
        self.policy = policy
        self.sleep = sleep
        self._on_retry = on_retry
        self._backoff = wait_random_exponential(
            multiplier=policy.backoff_base, max=policy.backoff_cap
        )
        self._retry_when = _RetryWhen(policy)

    async def after_failure(
        self,
        first_failure: QontoError,
        attempt: Callable[[int], Awaitable[R]],
        *,
        repeatable: bool,
    ) -> R:
        """Retry ``attempt(n)`` for n = 2, 3... as the policy allows, or raise the failure.

        The error finally raised records how many attempts were made.
        """
        if not (repeatable and self.policy.max_retries and self.policy.accepts(first_failure)):
            first_failure._record_attempts(1)
            raise first_failure
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_retries + 1),
            wait=self._wait,
            retry=self._retry_when,
            before_sleep=self._before_sleep,
            sleep=self.sleep,
            reraise=True,
        )
        number = 1
        try:
            async for try_ in retrying:
                number = try_.retry_state.attempt_number
                with try_:
                    if number == 1:
                        raise first_failure
                    return await attempt(number)
        except QontoError as exc:
            exc._record_attempts(number)
            raise
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, APIStatusError) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        if isinstance(exc, QontoError):
            self._on_retry(exc, wait)
        logger.warning(
            "retrying in %.2fs after attempt %d: %s", wait, state.attempt_number, brief(exc)
        )
