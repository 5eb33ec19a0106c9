"""What a client has done so far: ``qonto.stats``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClientStats"]


@dataclass
class ClientStats:
    """Counters since the client was created, for progress lines and summaries."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    failures: int = 0
    budget_waits: int = 0
    """Waits on the client-side rate gate, short ones included (those over a second are also
    logged at INFO)."""
    budget_wait_seconds: float = 0.0
    """How long those waits lasted, in all."""
