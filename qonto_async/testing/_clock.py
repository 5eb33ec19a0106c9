"""A virtual clock for tests: the SDK's waits become instant, and are recorded."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._client import QontoClient

__all__ = ["VirtualClock"]


class VirtualClock:
    """Time that moves only when the client waits.

    ``clock.install(qonto)`` makes the client's retry backoffs and rate-gate waits instant:
    each wait advances ``clock.now`` by its length and is appended to ``retry_waits`` or
    ``gate_waits``, so a test can assert on the policy (``Retry-After`` honoured, backoff
    growing, a 429 pausing the whole client) without spending the time::

        clock = VirtualClock()
        clock.install(qonto)
        await qonto.clients.get(client_id)  # against a fake answering 503, then 200
        assert clock.retry_waits == [2.0]
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.retry_waits: list[float] = []
        self.gate_waits: list[float] = []

    def time(self) -> float:
        return self.now

    async def retry_sleep(self, seconds: float) -> None:
        self.retry_waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    async def gate_sleep(self, seconds: float) -> None:
        self.gate_waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def install(self, client: QontoClient) -> None:
        client._use_clock(self.time, self.retry_sleep, self.gate_sleep)
