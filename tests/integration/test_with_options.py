"""``with_options`` (another timeout or retry budget over the same pool, gate and stats) and
``with_raw_response`` (what Qonto answered beside the record)."""

from __future__ import annotations

import pytest

from qonto_async import (
    APITimeoutError,
    ClientClosedError,
    ClientInvoice,
    InternalServerError,
    NotFoundError,
    QontoClient,
    RawResponse,
)
from qonto_async.testing import FakeQonto, Faults, VirtualClock


def connect(fake: FakeQonto) -> QontoClient:
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, max_retries=3
    )


async def test_fewer_retries_for_one_call_and_the_same_stats() -> None:
    async with FakeQonto(clients=3) as fake, connect(fake) as qonto:
        VirtualClock().install(qonto)
        client_id = fake.ids("clients")[0]
        fake.faults = Faults(sequence=("503", "ok"), error_retry_after=0)
        with pytest.raises(InternalServerError):
            await qonto.with_options(max_retries=0).clients.get(client_id)
        fake.faults = Faults(sequence=("503", "ok"), error_retry_after=0)
        assert (await qonto.clients.get(client_id)).id == client_id  # the parent still retries
        assert qonto.stats.requests == 3  # one stats for both
        assert qonto.stats.retries == 1


async def test_a_shorter_timeout_for_one_call() -> None:
    async with FakeQonto(clients=3, latency=0.3) as fake, connect(fake) as qonto:
        quick = qonto.with_options(timeout=0.05, max_retries=0)
        with pytest.raises(APITimeoutError):
            await quick.clients.get(fake.ids("clients")[0])
        assert (await qonto.clients.get(fake.ids("clients")[0])).id == fake.ids("clients")[0]


async def test_closing_the_derived_client_closes_nothing_and_the_parent_closes_both() -> None:
    async with FakeQonto(clients=3) as fake:
        qonto = connect(fake)
        async with qonto.with_options(timeout=5) as derived:
            await derived.clients.get(fake.ids("clients")[0])
        assert not qonto.is_closed
        await qonto.clients.get(fake.ids("clients")[0])  # same pool, still open
        assert qonto.max_concurrency == derived.max_concurrency
        await qonto.aclose()
        assert derived.is_closed
        with pytest.raises(ClientClosedError):
            await derived.clients.get(fake.ids("clients")[0])
    with pytest.raises(ValueError, match="timeout"):
        qonto.with_options(timeout=0)
    with pytest.raises(ValueError, match="max_retries"):
        qonto.with_options(max_retries=-1)


async def test_with_raw_response_keeps_status_headers_and_trace_id() -> None:
    async with FakeQonto(client_invoices=5) as fake, connect(fake) as qonto:
        VirtualClock().install(qonto)
        invoice_id = fake.ids("client_invoices")[0]
        fake.faults = Faults(sequence=("503", "ok"), error_retry_after=0)
        raw: RawResponse[ClientInvoice] = await qonto.client_invoices.with_raw_response.get(
            invoice_id
        )
        assert raw.parsed.id == invoice_id
        assert raw.status == 200
        assert raw.attempts == 2
        assert raw.trace_id is not None
        assert raw.headers["X-Tyk-Trace-Id"] == raw.trace_id
        assert "Authorization" not in raw.headers
        assert raw.trace_id in repr(raw)
        with pytest.raises(NotFoundError):
            await qonto.clients.with_raw_response.get("no-such-client")
