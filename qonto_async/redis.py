"""Many processes, one Qonto budget and one OAuth token: Redis-backed pieces.

``pip install 'qonto-async[redis]'``. ``RedisRateLimiter`` shares the rate gate (Qonto's
limits are per IP and per organisation, not per process); ``RedisTokenStore`` shares OAuth
tokens, so one process refreshes while the others wait for and reuse the new token;
``RedisSeenEvents`` lets several webhook receivers recognise each other's events. See the
README's "Running many workers".
"""

from __future__ import annotations

from ._redis.gate import RateLimiterUnavailableError, RedisRateLimiter
from ._redis.seen_events import RedisSeenEvents
from ._redis.token_store import RedisTokenStore

__all__ = ["RateLimiterUnavailableError", "RedisRateLimiter", "RedisSeenEvents", "RedisTokenStore"]
