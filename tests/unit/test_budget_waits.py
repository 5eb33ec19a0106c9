"""Every wait on the client-side budget is counted in ``stats`` (its seconds too); long ones
are also said (one INFO line). Client-side limiting can be switched off entirely."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL

from qonto_async import QontoClient
from qonto_async.testing import VirtualClock

BODY = {"client": {"id": "c1"}}
URL = re.compile(re.escape(f"{BASE_URL}/v2/clients/") + r".*")


async def fetch_with_clock(count: int, **limits: Any) -> tuple[QontoClient, VirtualClock]:
    """``count`` gets through a client with these limits, on a virtual clock."""
    async with QontoClient(login="l", secret_key="s", base_url=BASE_URL, **limits) as qonto:
        clock = VirtualClock()
        clock.install(qonto)
        for n in range(count):
            await qonto.clients.get(f"c{n}")
    return qonto, clock


def waits_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "qonto_async" and r.levelno == logging.INFO and "rate limit" in r.getMessage()
    ]


async def test_a_wait_for_the_ten_minute_budget_is_logged_and_counted(
    http_mock: AioResponses, caplog: pytest.LogCaptureFixture
) -> None:
    http_mock.get(URL, payload=BODY, repeat=True)
    with caplog.at_level(logging.INFO, logger="qonto_async"):
        qonto, clock = await fetch_with_clock(
            3, requests_per_second=None, requests_per_10_minutes=2
        )
    assert clock.gate_waits == [pytest.approx(600.0)]
    assert waits_logged(caplog) == [
        "rate limit: waiting 600.0s for the 10-minute budget (2 requests)"
    ]
    assert qonto.stats.budget_waits == 1
    assert qonto.stats.budget_wait_seconds == pytest.approx(600.0)


async def test_short_waits_are_counted_but_not_logged(
    http_mock: AioResponses, caplog: pytest.LogCaptureFixture
) -> None:
    http_mock.get(URL, payload=BODY, repeat=True)
    with caplog.at_level(logging.INFO, logger="qonto_async"):
        qonto, clock = await fetch_with_clock(14, requests_per_second=10.0)
    assert clock.gate_waits == [pytest.approx(0.1)] * 4  # burst of 10, then one every 0.1 s
    assert waits_logged(caplog) == []
    assert qonto.stats.budget_waits == 4
    assert qonto.stats.budget_wait_seconds == pytest.approx(0.4)


async def test_many_short_waits_add_up_in_the_stats(
    http_mock: AioResponses, caplog: pytest.LogCaptureFixture
) -> None:
    http_mock.get(URL, payload=BODY, repeat=True)
    with caplog.at_level(logging.INFO, logger="qonto_async"):
        qonto, clock = await fetch_with_clock(44, requests_per_second=2.0)
    assert clock.gate_waits == [pytest.approx(0.5)] * 42  # 21 s, in half-second waits
    assert waits_logged(caplog) == []
    assert qonto.stats.budget_waits == 42
    assert qonto.stats.budget_wait_seconds == pytest.approx(21.0)


async def test_long_and_short_waits_are_all_counted_only_long_ones_logged(
    http_mock: AioResponses, caplog: pytest.LogCaptureFixture
) -> None:
    http_mock.get(URL, payload=BODY, repeat=True)
    with caplog.at_level(logging.INFO, logger="qonto_async"):
        qonto, _ = await fetch_with_clock(5, requests_per_second=2.0, requests_per_10_minutes=4)
    # two at once, two half-second waits, then the window: 600 s after the first request
    assert len(waits_logged(caplog)) == 1
    assert qonto.stats.budget_waits == 3
    assert qonto.stats.budget_wait_seconds == pytest.approx(600.0)


async def test_a_long_per_second_wait_names_that_limit(
    http_mock: AioResponses, caplog: pytest.LogCaptureFixture
) -> None:
    http_mock.get(URL, payload=BODY, repeat=True)
    with caplog.at_level(logging.INFO, logger="qonto_async"):
        await fetch_with_clock(2, requests_per_second=0.5)
    assert waits_logged(caplog) == ["rate limit: waiting 2.0s for requests_per_second (0.5/s)"]


async def test_rate_limiter_false_switches_client_side_limiting_off(
    http_mock: AioResponses,
) -> None:
    http_mock.get(URL, payload=BODY, repeat=True)
    qonto, clock = await fetch_with_clock(
        50, requests_per_second=1.0, requests_per_10_minutes=3, rate_limiter=False
    )
    assert clock.gate_waits == []
    assert qonto.stats.requests == 50
