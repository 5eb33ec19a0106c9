"""Retries, error mapping and decoding in the transport, with HTTP mocked by aioresponses."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL, SECRET_KEY

from qonto_async import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    QontoClient,
    RateLimitError,
    UnprocessableEntityError,
)
from qonto_async._http.answers import parse_retry_after
from qonto_async.testing import VirtualClock

FIXTURES = Path(__file__).parent.parent / "fixtures"
INVOICE = (FIXTURES / "client_invoice.json").read_bytes()
INVOICE_ID = "4d5418bb-bd0d-4df4-865c-c07afab8bb48"
URL = f"{BASE_URL}/v2/client_invoices/{INVOICE_ID}"


def requests_to(mock: AioResponses, url: str) -> list[Any]:
    return [call for (method, u), calls in mock.requests.items() if str(u) == url for call in calls]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_transient_status_then_success(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock, status: int
) -> None:
    http_mock.get(URL, status=status)
    http_mock.get(URL, status=status)
    http_mock.get(URL, body=INVOICE)
    invoice = await qonto.client_invoices.get(INVOICE_ID)
    assert invoice.total_amount is not None
    assert invoice.total_amount.value == Decimal("12.52")
    assert len(requests_to(http_mock, URL)) == 3
    assert len(sleeps.retry_waits) == 2
    # full jitter: attempt n waits within [0, 0.5 * 2**(n-1)]
    assert 0 <= sleeps.retry_waits[0] <= 0.5
    assert 0 <= sleeps.retry_waits[1] <= 1.0
    assert qonto.stats.retries == 2


async def test_gives_up_after_max_retries_with_attempt_count(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    for _ in range(4):
        http_mock.get(URL, status=503, payload={"errors": [{"code": "service_unavailable"}]})
    with pytest.raises(InternalServerError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert len(requests_to(http_mock, URL)) == 4
    assert len(sleeps.retry_waits) == 3
    err = caught.value
    assert err.status == 503
    assert err.code == "service_unavailable"
    assert err.attempts == 4
    assert "after 4 attempts" in str(err)
    assert err.resource_id == INVOICE_ID


async def test_max_retries_zero_disables_retries(http_mock: AioResponses) -> None:
    http_mock.get(URL, status=500)
    async with QontoClient(
        login="l", secret_key="s", base_url=BASE_URL, max_retries=0, requests_per_second=None
    ) as client:
        with pytest.raises(InternalServerError):
            await client.client_invoices.get(INVOICE_ID)
    assert len(requests_to(http_mock, URL)) == 1


async def test_backoff_is_capped(http_mock: AioResponses, sleeps: VirtualClock) -> None:
    for _ in range(9):
        http_mock.get(URL, status=502)
    http_mock.get(URL, body=INVOICE)
    async with QontoClient(
        login="l", secret_key="s", base_url=BASE_URL, max_retries=9, requests_per_second=None
    ) as client:
        sleeps.install(client)
        await client.client_invoices.get(INVOICE_ID)
    assert len(sleeps.retry_waits) == 9
    assert max(sleeps.retry_waits) <= 8.0


async def test_429_retry_after_seconds(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    http_mock.get(URL, status=429, headers={"Retry-After": "1"})
    http_mock.get(URL, body=INVOICE)
    await qonto.client_invoices.get(INVOICE_ID)
    assert sleeps.retry_waits == [1.0]
    assert qonto.stats.rate_limited == 1
    assert sleeps.gate_waits == []  # the retry's own sleep already covered the pause


async def test_429_pauses_every_request_of_the_client(http_mock: AioResponses) -> None:
    other = f"{BASE_URL}/v2/client_invoices/other"
    http_mock.get(URL, status=429, headers={"Retry-After": "3"})
    http_mock.get(URL, body=INVOICE)
    http_mock.get(other, body=INVOICE)
    async with QontoClient(
        login="l", secret_key="s", base_url=BASE_URL, requests_per_second=None
    ) as client:

        class AnotherRequestMeanwhile(VirtualClock):
            async def retry_sleep(self, seconds: float) -> None:
                # While the throttled request waits out its Retry-After, another one starts:
                # it must wait for the same pause, not go straight to Qonto.
                await client.client_invoices.get("other")
                await super().retry_sleep(seconds)

        clock = AnotherRequestMeanwhile()
        clock.install(client)
        await client.client_invoices.get(INVOICE_ID)
    assert clock.gate_waits == [3.0]
    assert clock.retry_waits == [3.0]


async def test_429_retry_after_http_date(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    http_mock.get(URL, status=429, headers={"Retry-After": email.utils.format_datetime(when)})
    http_mock.get(URL, body=INVOICE)
    await qonto.client_invoices.get(INVOICE_ID)
    assert len(sleeps.retry_waits) == 1
    assert 3.0 <= sleeps.retry_waits[0] <= 5.0


async def test_429_retry_after_over_cap_raises_at_once(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    http_mock.get(URL, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert caught.value.retry_after == 3600.0
    assert sleeps.retry_waits == []
    assert len(requests_to(http_mock, URL)) == 1


async def test_429_without_retry_after_backs_off(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    http_mock.get(URL, status=429)
    http_mock.get(URL, body=INVOICE)
    await qonto.client_invoices.get(INVOICE_ID)
    assert len(sleeps.retry_waits) == 1
    assert 0 <= sleeps.retry_waits[0] <= 0.5


async def test_503_retry_after_is_honoured(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    http_mock.get(URL, status=503, headers={"Retry-After": "2"})
    http_mock.get(URL, body=INVOICE)
    await qonto.client_invoices.get(INVOICE_ID)
    assert sleeps.retry_waits == [2.0]


async def test_connection_error_then_success(
    qonto: QontoClient, http_mock: AioResponses, sleeps: VirtualClock
) -> None:
    http_mock.get(URL, exception=aiohttp.ServerDisconnectedError())
    http_mock.get(
        URL,
        exception=aiohttp.ClientConnectorError(
            connection_key=None,  # type: ignore[arg-type]
            os_error=OSError(111, "refused"),
        ),
    )
    http_mock.get(URL, body=INVOICE)
    invoice = await qonto.client_invoices.get(INVOICE_ID)
    assert invoice.id == INVOICE_ID
    assert len(sleeps.retry_waits) == 2


async def test_connection_errors_exhausted(qonto: QontoClient, http_mock: AioResponses) -> None:
    for _ in range(4):
        http_mock.get(URL, exception=aiohttp.ClientPayloadError("truncated"))
    with pytest.raises(APIConnectionError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert caught.value.attempts == 4
    assert caught.value.resource_id == INVOICE_ID
    assert "ClientPayloadError" in str(caught.value)


async def test_timeout_maps_to_api_timeout_error(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    for _ in range(4):
        http_mock.get(URL, exception=TimeoutError())
    with pytest.raises(APITimeoutError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert isinstance(caught.value, APIConnectionError)
    assert caught.value.attempts == 4


ERROR_BODY = {
    "errors": [
        {
            "code": "invalid_parameter",
            "detail": "status is invalid",
            "source": {"parameter": "filter[status]", "pointer": "/status"},
            "status": "422",
        },
        {"code": "second", "detail": "another"},
    ],
    "trace_id": "trace-from-body",
}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
    ],
)
async def test_client_errors_not_retried_and_mapped(
    qonto: QontoClient,
    http_mock: AioResponses,
    sleeps: VirtualClock,
    status: int,
    cls: type[APIStatusError],
) -> None:
    http_mock.get(URL, status=status, payload=ERROR_BODY)
    with pytest.raises(cls) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    err = caught.value
    assert type(err) is cls
    assert len(requests_to(http_mock, URL)) == 1
    assert sleeps.retry_waits == []
    assert (err.status, err.method, err.url) == (status, "GET", URL)
    assert err.code == "invalid_parameter"
    assert err.detail == "status is invalid"
    assert err.trace_id == "trace-from-body"
    assert len(err.errors) == 2
    assert err.errors[0].parameter == "filter[status]"
    assert err.errors[0].pointer == "/status"
    assert err.errors[0].status == "422"
    assert err.resource_id == INVOICE_ID
    text = str(err)
    for part in (str(status), "invalid_parameter", "status is invalid", "trace-from-body"):
        assert part in text


async def test_trace_id_header_wins(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(URL, status=404, payload=ERROR_BODY, headers={"X-Tyk-Trace-Id": "hdr-trace"})
    with pytest.raises(NotFoundError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert caught.value.trace_id == "hdr-trace"


@pytest.mark.parametrize(
    ("body", "content_type", "excerpt"),
    [
        (b"", "application/json", None),
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", "<html><body>"),
        (b'{"errors": [', "application/json", '{"errors": ['),
    ],
)
async def test_error_without_usable_json_body(
    qonto: QontoClient,
    http_mock: AioResponses,
    body: bytes,
    content_type: str,
    excerpt: str | None,
) -> None:
    for _ in range(4):
        http_mock.get(URL, status=502, body=body, content_type=content_type)
    with pytest.raises(InternalServerError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    err = caught.value
    assert err.code is None
    assert err.errors == ()
    if excerpt is None:
        assert err.body_excerpt is None
    else:
        assert err.body_excerpt is not None
        assert err.body_excerpt.startswith(excerpt)
        assert excerpt in str(err)


async def test_html_200_is_a_validation_error(qonto: QontoClient, http_mock: AioResponses) -> None:
    page = b"<!DOCTYPE html><html><title>Qonto - Sign in</title>" + b"x" * 1000
    http_mock.get(URL, body=page, content_type="text/html", headers={"X-Tyk-Trace-Id": "t-9"})
    with pytest.raises(APIResponseValidationError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    err = caught.value
    assert err.status == 200
    assert err.body_excerpt.startswith("<!DOCTYPE html>")
    assert len(err.body_excerpt) <= 200
    assert err.resource_id == INVOICE_ID
    assert err.trace_id == "t-9"
    assert "JSON" in err.where or "json" in err.where.lower()


async def test_truncated_json_is_a_validation_error(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(URL, body=INVOICE[: len(INVOICE) // 2])
    with pytest.raises(APIResponseValidationError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert "truncated" in caught.value.where.lower() or "invalid" in caught.value.where.lower()


async def test_wrong_shape_names_the_path(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(URL, payload={"client_invoice": {"id": "x", "total_amount_cents": "lots"}})
    with pytest.raises(APIResponseValidationError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert "$.client_invoice.total_amount_cents" in caught.value.where


async def test_missing_envelope_is_a_validation_error(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(URL, payload={})
    with pytest.raises(APIResponseValidationError):
        await qonto.client_invoices.get(INVOICE_ID)


def test_parse_retry_after() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_logging_one_debug_line_per_attempt_and_warning_before_retry(
    qonto: QontoClient, http_mock: AioResponses, caplog: pytest.LogCaptureFixture
) -> None:
    http_mock.get(URL, status=503, headers={"X-Tyk-Trace-Id": "tr-1"})
    http_mock.get(URL, body=INVOICE, headers={"X-Tyk-Trace-Id": "tr-2"})
    with caplog.at_level(logging.DEBUG, logger="qonto_async"):
        await qonto.client_invoices.get(INVOICE_ID)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(debug) == 2
    assert re.search(
        r"GET /v2/client_invoices/\S+ -> 503 in [\d.]+ ms \(attempt 1, trace_id tr-1\)", debug[0]
    )
    assert "attempt 2" in debug[1]
    assert "-> 200" in debug[1]
    assert len(warnings) == 1
    assert "retrying in" in warnings[0]
    assert all(SECRET_KEY not in r.getMessage() for r in caplog.records)


async def test_redirects_are_not_followed_with_credentials(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(URL, status=302, headers={"Location": "http://elsewhere.test/steal"})
    http_mock.get("http://elsewhere.test/steal", body=INVOICE)
    with pytest.raises(APIStatusError) as caught:
        await qonto.client_invoices.get(INVOICE_ID)
    assert caught.value.status == 302
    assert requests_to(http_mock, "http://elsewhere.test/steal") == []


async def test_retry_warning_is_one_short_line_without_the_body(
    qonto: QontoClient, http_mock: AioResponses, caplog: pytest.LogCaptureFixture
) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"nginx " * 100
    http_mock.get(URL, status=502, body=page, content_type="text/html")
    http_mock.get(URL, body=INVOICE)
    with caplog.at_level(logging.WARNING, logger="qonto_async"):
        await qonto.client_invoices.get(INVOICE_ID)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "502 GET" in warning
    assert INVOICE_ID in warning
    assert "nginx" not in warning
    assert len(warning) < 200
