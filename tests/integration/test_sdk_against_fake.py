"""The SDK against FakeQonto over real HTTP on 127.0.0.1.

Faults are mostly scripted (``Faults(sequence=...)``) so each test knows exactly what the
server did. Injected 5xx carry ``Retry-After: 0`` where the point is recovery, not backoff:
the SDK then retries at once. Connection-level faults (drops, truncation) have no header to
shorten the SDK's jittered backoff, so those tests use few faults (a second or so at worst).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from qonto_async import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    OAuthCredentials,
    QontoClient,
    RateLimitError,
    UnprocessableEntityError,
)
from qonto_async.testing import FakeOptions, FakeQonto, Faults, RateLimit

SIZES = {"clients": 12, "client_invoices": 230, "supplier_invoices": 150, "uploads": 2}


def sized_fake(**options: Any) -> FakeQonto:
    return FakeQonto(
        seed=7,
        clients=SIZES["clients"],
        client_invoices=SIZES["client_invoices"],
        supplier_invoices=SIZES["supplier_invoices"],
        uploads=SIZES["uploads"],
        **options,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeQonto]:
    async with sized_fake() as f:
        yield f


def connect(fake: FakeQonto, **options: Any) -> QontoClient:
    options.setdefault("requests_per_second", None)
    return QontoClient(
        login=fake.login, secret_key=fake.secret_key, base_url=fake.base_url, **options
    )


@pytest.fixture
async def qonto(fake: FakeQonto) -> AsyncIterator[QontoClient]:
    async with connect(fake) as client:
        yield client


def assert_each_served_once(fake: FakeQonto, resource: str, ids: list[str]) -> None:
    assert sorted(ids) == sorted(set(ids)), "the SDK yielded a record twice"
    served = fake.stats.served[resource]
    # Every record comes once; the two ends of a keyset window are also on the probe pages
    # around it, so a record is served at most three times (most of them once).
    assert set(ids) <= set(served)
    assert max(served[i] for i in ids) <= 3 if ids else True
    assert sum(served[i] for i in ids) <= len(ids) * 1.5 + 10


# -- reads -----------------------------------------------------------------------------------


async def test_get_each_resource(fake: FakeQonto, qonto: QontoClient) -> None:
    invoice_id = fake.ids("client_invoices")[3]
    raw = fake.record("client_invoices", invoice_id)
    invoice = await qonto.client_invoices.get(invoice_id)
    assert invoice.id == invoice_id
    assert invoice.status == raw["status"]
    assert invoice.total_amount is not None
    assert invoice.total_amount.value == Decimal(raw["total_amount"]["value"])
    assert invoice.total_amount_cents == raw["total_amount_cents"]
    assert invoice.issue_date == dt.date.fromisoformat(raw["issue_date"])
    assert invoice.client is not None
    assert invoice.client.id == raw["client"]["id"]
    assert len(invoice.items or []) == len(raw["items"])

    supplier_id = fake.ids("supplier_invoices")[5]
    supplier = await qonto.supplier_invoices.get(supplier_id)
    assert supplier.id == supplier_id
    assert supplier.status == fake.record("supplier_invoices", supplier_id)["status"]

    for client_id in fake.ids("clients")[:3]:  # the first id is not a valid UUID
        client = await qonto.clients.get(client_id)
        assert client.id == client_id
        assert client.kind in ("company", "individual", "freelancer")


async def test_drafts_with_empty_string_dates_decode(fake: FakeQonto, qonto: QontoClient) -> None:
    drafts = await qonto.client_invoices.list(status="draft").all()
    assert drafts
    assert all(d.finalized_at is None for d in drafts)
    blank = [d for d in drafts if fake.record("client_invoices", d.id)["due_date"] == ""]
    assert blank
    assert all(d.due_date is None for d in blank)


async def test_list_with_status_filter_over_pages(fake: FakeQonto, qonto: QontoClient) -> None:
    expected = fake.count("client_invoices", **{"filter[status]": "paid,unpaid"})
    pages = []
    async for page in qonto.client_invoices.list(
        status=["paid", "unpaid"], per_page=17, prefetch=3
    ).pages():
        pages.append(page)
    ids = [inv.id for page in pages for inv in page.items]
    assert len(ids) == expected
    assert len(pages) >= -(-expected // 17)
    invoices = await qonto.client_invoices.list(status=["paid", "unpaid"], per_page=17).all()
    assert [i.id for i in invoices] == ids  # server order, twice the same
    assert {i.status for i in invoices} == {"paid", "unpaid"}
    created = [i.created_at for i in invoices if i.created_at is not None]
    assert len(created) == len(invoices)
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("prefetch", [1, 4, 16])
async def test_every_record_exactly_once(fake: FakeQonto, prefetch: int) -> None:
    async with connect(fake) as qonto:
        ids = [inv.id async for inv in qonto.client_invoices.list(per_page=9, prefetch=prefetch)]
    assert len(ids) == SIZES["client_invoices"]
    assert_each_served_once(fake, "client_invoices", ids)


async def test_list_with_dates(fake: FakeQonto, qonto: QontoClient) -> None:
    everything = await qonto.client_invoices.list(sort_by="created_at:asc").all()
    lo, hi = everything[40].created_at, everything[120].created_at
    assert lo is not None
    assert hi is not None
    window = await qonto.client_invoices.list(
        created_at_from=lo, created_at_to=hi.isoformat(), sort_by="created_at:asc", per_page=25
    ).all()
    assert [i.id for i in window] == [i.id for i in everything[40:121]]
    as_utc = await qonto.client_invoices.list(created_at_from=lo.astimezone(dt.UTC)).all()
    assert len(as_utc) == SIZES["client_invoices"] - 40
    recent = await qonto.client_invoices.list(
        updated_at_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    ).all()
    assert len(recent) == fake.count(
        "client_invoices", **{"filter[updated_at_from]": "2025-01-01T00:00:00Z"}
    )


async def test_supplier_invoice_filters(fake: FakeQonto, qonto: QontoClient) -> None:
    chosen = await qonto.supplier_invoices.list(status=["paid", "to_review"], per_page=10).all()
    assert len(chosen) == fake.count("supplier_invoices", **{"filter[status]": "paid,to_review"})
    assert {s.status for s in chosen} == {"paid", "to_review"}
    partition = 0
    for due in ("past_and_today", "future", "missing_date"):
        partition += len(await qonto.supplier_invoices.list(due_date=due).all())
    assert partition == SIZES["supplier_invoices"]
    target = fake.record("supplier_invoices", fake.ids("supplier_invoices")[9])
    one = await qonto.supplier_invoices.list(attachment_id=target["attachment_id"]).all()
    assert [s.id for s in one] == [target["id"]]
    by_total = await qonto.supplier_invoices.list(sort_by="total_amount:desc").all()
    totals = [s.total_amount.value for s in by_total if s.total_amount and s.total_amount.value]
    assert totals == sorted(totals, reverse=True)
    no_credit_notes = await qonto.supplier_invoices.list(exclude_credit_notes=True).all()
    assert not any(s.is_credit_note for s in no_credit_notes)


async def test_client_filters(fake: FakeQonto, qonto: QontoClient) -> None:
    # The SDK's default order for clients: oldest change first (Qonto documents
    # filter[updated_at_from|to] for clients, not created_at).
    oldest_change_first = await qonto.clients.list(per_page=5).all()
    updated = [c.updated_at for c in oldest_change_first if c.updated_at is not None]
    assert len(updated) == SIZES["clients"]
    assert updated == sorted(updated)
    everything = await qonto.clients.list(per_page=5, sort_by="name:asc").all()
    assert len(everything) == SIZES["clients"]
    names = [c.display_name.casefold() for c in everything]
    assert names == sorted(names)
    target = everything[4]
    assert target.email is not None
    assert [c.id for c in await qonto.clients.list(email=target.email).all()] == [target.id]
    needle = target.display_name[1:4]
    assert target.id in [c.id for c in await qonto.clients.list(name=needle).all()]


async def test_get_many(fake: FakeQonto, qonto: QontoClient) -> None:
    ids = fake.ids("supplier_invoices")[:30]
    invoices = await qonto.supplier_invoices.get_many(reversed(ids))
    assert [i.id for i in invoices] == ids[::-1]
    assert_each_served_once(fake, "supplier_invoices", ids)
    mixed = await qonto.supplier_invoices.get_many(
        [ids[0], "no-such-id", ids[1]], return_exceptions=True
    )
    assert not isinstance(mixed[0], Exception)
    assert isinstance(mixed[1], NotFoundError)
    assert mixed[1].resource_id == "no-such-id"
    with pytest.raises(NotFoundError) as caught:
        await qonto.supplier_invoices.get_many([ids[0], "no-such-id"])
    assert caught.value.resource_id == "no-such-id"


# -- errors ----------------------------------------------------------------------------------


async def test_unknown_id_is_not_found(fake: FakeQonto, qonto: QontoClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        await qonto.client_invoices.get("4d5418bb-bd0d-4df4-865c-c07afab8bb48")
    error = caught.value
    assert error.status == 404
    assert error.code == "not_found"
    assert error.resource_id == "4d5418bb-bd0d-4df4-865c-c07afab8bb48"
    assert error.trace_id  # from X-Tyk-Trace-Id / the body
    assert fake.stats.count("GET /v2/client_invoices/{id}", 404) == 1  # never retried


async def test_path_traversal_ids_stay_in_their_segment(
    fake: FakeQonto, qonto: QontoClient
) -> None:
    with pytest.raises(NotFoundError):
        await qonto.clients.get("../client_invoices")
    assert fake.stats.count("GET /v2/client_invoices") == 0


async def test_bad_credentials(fake: FakeQonto) -> None:
    async with QontoClient(
        login=fake.login, secret_key="wrong", base_url=fake.base_url, requests_per_second=None
    ) as qonto:
        with pytest.raises(AuthenticationError) as caught:
            await qonto.clients.list().all()
    assert caught.value.status == 401
    assert caught.value.code == "unauthorized"
    assert fake.stats.count(status=401) == 1  # a 401 is never retried blindly


async def test_invalid_parameters_are_typed(fake: FakeQonto, qonto: QontoClient) -> None:
    with pytest.raises(UnprocessableEntityError) as caught:
        await qonto.client_invoices.list(updated_at_from="yesterday").all()
    assert caught.value.errors[0].parameter == "filter[updated_at_from]"
    with pytest.raises(ValueError, match="created_at_from"):  # a keyset bound: read here
        qonto.client_invoices.list(created_at_from="yesterday")
    small = FakeQonto(clients=30, client_invoices=0, options=FakeOptions(max_per_page=20))
    async with small, connect(small) as client:
        with pytest.raises(BadRequestError):
            await client.clients.list(per_page=50).all()


# -- uploads and attachments -----------------------------------------------------------------


async def test_upload_create_and_get(fake: FakeQonto, qonto: QontoClient) -> None:
    created = await qonto.client_invoice_uploads.create(b"%PDF-1.4 test", filename="march.pdf")
    assert created.filename == "march.pdf"
    assert created.content_type == "application/pdf"
    assert created.file_size == len(b"%PDF-1.4 test")
    fetched = await qonto.client_invoice_uploads.get(created.id)  # JSON:API envelope
    assert fetched.id == created.id
    assert fetched.filename == "march.pdf"
    assert len(fake.stats.idempotency_keys) == 1  # the SDK always sends a key
    seeded = fake.ids("client_invoice_uploads")[0]
    assert (await qonto.client_invoice_uploads.get(seeded)).id == seeded


async def test_upload_other_envelope() -> None:
    other = FakeQonto(
        clients=1, client_invoices=0, options=FakeOptions(upload_envelope="client_invoice_upload")
    )
    async with other, connect(other) as qonto:
        upload_id = other.ids("client_invoice_uploads")[1]
        assert (await qonto.client_invoice_uploads.get(upload_id)).id == upload_id


async def test_upload_retry_reuses_the_idempotency_key(fake: FakeQonto, qonto: QontoClient) -> None:
    # The upload is stored, then the answer is cut: the retry must not create a second one.
    fake.faults = Faults(sequence=("truncate", "503"), error_retry_after=0, paths=("*/uploads",))
    created = await qonto.client_invoice_uploads.create(b"\x89PNG\r\n\x1a\n", filename="a.png")
    assert created.content_type == "image/png"
    keys = fake.stats.idempotency_keys
    assert len(keys) == 3
    assert len(set(keys)) == 1
    assert fake.stats.uploads_created == 1
    assert fake.stats.faults == {"truncate": 1, "503": 1}


async def test_attachment_get_and_download(fake: FakeQonto, qonto: QontoClient) -> None:
    invoice = await qonto.client_invoices.get(fake.ids("client_invoices")[0])
    assert invoice.attachment_id is not None
    attachment = await qonto.attachments.get(invoice.attachment_id)
    assert attachment.url is not None
    content = await qonto.attachments.download(invoice.attachment_id)
    assert content.startswith(b"%PDF")
    assert len(content) == int(attachment.file_size or 0)
    assert fake.stats.downloads
    assert all(d.status == 200 for d in fake.stats.downloads)
    assert not any(d.authorization for d in fake.stats.downloads), "credentials leaked to S3"


async def test_download_retries_a_flaky_file_host(fake: FakeQonto, qonto: QontoClient) -> None:
    attachment_id = fake.record("supplier_invoices", fake.ids("supplier_invoices")[0])[
        "attachment_id"
    ]
    fake.faults = Faults(sequence=("503",), error_retry_after=0, paths=("/files/*",))
    assert (await qonto.attachments.download(attachment_id)).startswith(b"%PDF")
    assert [d.status for d in fake.stats.downloads] == [200]
    assert fake.stats.faults == {"503": 1}


# -- faults: recovery ------------------------------------------------------------------------


async def test_recovers_from_a_5xx_burst(fake: FakeQonto) -> None:
    fake.faults = Faults(
        sequence=("500", "502:empty", "503:html", "500", "503"),
        error_retry_after=0,
        paths=("/v2/client_invoices",),
    )
    async with connect(fake, max_retries=5) as qonto:
        ids = [i.id async for i in qonto.client_invoices.list(per_page=20, prefetch=1)]
        assert qonto.stats.retries == 5
    assert len(ids) == SIZES["client_invoices"]
    assert_each_served_once(fake, "client_invoices", ids)
    assert fake.stats.faults_injected == 5


async def test_recovers_from_random_5xx_and_429(fake: FakeQonto) -> None:
    fake.faults = Faults(error_rate=0.2, throttle_rate=0.1, retry_after=0, error_retry_after=0)
    async with connect(fake, max_retries=8) as qonto:
        ids = [i.id async for i in qonto.supplier_invoices.list(per_page=5, prefetch=6)]
        retries = qonto.stats.retries
        assert qonto.stats.rate_limited == fake.stats.faults["429"]
    assert len(ids) == SIZES["supplier_invoices"]
    assert_each_served_once(fake, "supplier_invoices", ids)
    assert fake.stats.faults_injected == retries > 0


async def test_429_retry_after_is_honoured(fake: FakeQonto) -> None:
    fake.faults = Faults(sequence=("429",), retry_after=1)
    async with connect(fake) as qonto:
        loop = asyncio.get_running_loop()
        started = loop.time()
        client = await qonto.clients.get(fake.ids("clients")[1])
        assert loop.time() - started >= 0.95
    assert client.id == fake.ids("clients")[1]


async def test_retry_after_beyond_the_cap_raises_at_once(fake: FakeQonto) -> None:
    fake.faults = Faults(sequence=("429",), retry_after=3600)
    async with connect(fake) as qonto:
        with pytest.raises(RateLimitError) as caught:
            await qonto.clients.get(fake.ids("clients")[1])
    assert caught.value.retry_after == 3600
    assert fake.stats.count("GET /v2/clients/{id}") == 1


async def test_recovers_from_dropped_connections(fake: FakeQonto) -> None:
    # aiohttp silently re-sends a GET once after a disconnect; the third drop reaches the SDK.
    fake.faults = Faults(sequence=("drop", "drop", "drop"), paths=("/v2/client_invoices",))
    async with connect(fake) as qonto:
        ids = [i.id async for i in qonto.client_invoices.list(per_page=50, prefetch=1)]
        assert qonto.stats.retries >= 1
    assert fake.stats.faults["drop"] == 3
    assert len(ids) == SIZES["client_invoices"]
    assert_each_served_once(fake, "client_invoices", ids)


async def test_recovers_from_truncated_bodies(fake: FakeQonto) -> None:
    fake.faults = Faults(sequence=("truncate", "ok", "truncate"), paths=("/v2/client_invoices",))
    async with connect(fake) as qonto:
        ids = [i.id async for i in qonto.client_invoices.list(per_page=40, prefetch=1)]
        assert qonto.stats.retries == 2
    assert fake.stats.faults["truncate"] == 2
    assert_each_served_once(fake, "client_invoices", ids)
    assert len(ids) == SIZES["client_invoices"]


async def test_cut_json_is_a_validation_error(fake: FakeQonto) -> None:
    fake.faults = Faults(sequence=("truncate:json",))
    async with connect(fake) as qonto:
        with pytest.raises(APIResponseValidationError) as caught:
            await qonto.client_invoices.get(fake.ids("client_invoices")[0])
    assert caught.value.status == 200


async def test_recovers_from_the_rate_limiter(fake: FakeQonto) -> None:
    async with sized_fake(rate_limit=RateLimit(20, 0.5)) as limited:
        async with connect(limited, max_retries=5) as qonto:
            ids = [i.id async for i in qonto.supplier_invoices.list(per_page=5, prefetch=8)]
            assert qonto.stats.rate_limited == limited.stats.rate_limited > 0
        assert len(ids) == SIZES["supplier_invoices"]
        assert_each_served_once(limited, "supplier_invoices", ids)


async def test_client_side_limiter_avoids_429s() -> None:
    # The SDK's gate allows a burst of one second's worth, then requests_per_second: any
    # 1 s window holds at most 2 x 20 requests. The fake allows 41 per sliding second.
    async with sized_fake(rate_limit=RateLimit(41, 1.0)) as limited:
        async with connect(limited, requests_per_second=20) as qonto:
            ids = [i.id async for i in qonto.client_invoices.list(per_page=5, prefetch=16)]
        assert len(ids) == SIZES["client_invoices"]  # 46 requests
        assert limited.stats.rate_limited == 0


# -- faults: typed errors --------------------------------------------------------------------


async def test_persistent_html_5xx_is_an_internal_server_error(fake: FakeQonto) -> None:
    fake.faults = Faults(html_rate=1.0, html_status=502)
    async with connect(fake, max_retries=0) as qonto:
        with pytest.raises(InternalServerError) as caught:
            await qonto.clients.list().all()
    assert caught.value.status == 502
    assert "nginx" in (caught.value.body_excerpt or "")


async def test_persistent_empty_5xx_gives_up_after_max_retries(fake: FakeQonto) -> None:
    fake.faults = Faults(error_rate=1.0, error_bodies=("empty",), error_retry_after=0)
    async with connect(fake, max_retries=2) as qonto:
        with pytest.raises(InternalServerError):
            await qonto.clients.get(fake.ids("clients")[0])
    assert fake.stats.count("GET /v2/clients/{id}") == 3


async def test_persistent_drops_are_a_connection_error(fake: FakeQonto) -> None:
    fake.faults = Faults(drop_rate=1.0)
    async with connect(fake, max_retries=0) as qonto:
        with pytest.raises(APIConnectionError):
            await qonto.clients.get(fake.ids("clients")[0])


async def test_slow_server_times_out() -> None:
    slow = FakeQonto(clients=2, client_invoices=0, latency=0.5)
    async with slow, connect(slow, timeout=0.1, max_retries=0) as qonto:
        with pytest.raises(APITimeoutError):
            await qonto.clients.list().all()


async def test_the_client_timeout_holds_for_a_plain_get_and_a_call_may_lengthen_it() -> None:
    """A plain ``get`` leaves the timeout to the client's own session; one that names its own
    passes it."""
    slow = FakeQonto(clients=2, client_invoices=0, latency=0.3)
    async with slow, connect(slow, timeout=0.05, max_retries=0) as qonto:
        client_id = slow.ids("clients")[0]
        with pytest.raises(APITimeoutError):
            await qonto.clients.get(client_id)
        assert (await qonto.clients.get(client_id, timeout=5)).id == client_id


# -- staging and OAuth -----------------------------------------------------------------------


async def test_staging_token() -> None:
    async with FakeQonto(
        clients=3, client_invoices=0, options=FakeOptions(staging_token="stg-42")
    ) as staging:
        async with connect(staging, staging_token="stg-42") as qonto:
            assert len(await qonto.clients.list().all()) == 3
        async with connect(staging, max_retries=0) as qonto:
            with pytest.raises(APIResponseValidationError) as caught:
                await qonto.clients.list().all()
        assert "html" in caught.value.body_excerpt.lower()
        assert staging.stats.staging_rejections == 1


async def test_oauth_refresh_and_rotation(fake: FakeQonto) -> None:
    rotated: list[OAuthCredentials] = []
    credentials = OAuthCredentials(
        fake.client_id, fake.client_secret, fake.refresh_token, token_url=fake.token_url
    )
    async with QontoClient(
        oauth=credentials,
        base_url=fake.base_url,
        requests_per_second=None,
        on_token_refresh=rotated.append,
    ) as qonto:
        ids = fake.ids("clients")
        await qonto.clients.get_many(ids)  # concurrent callers, one refresh
        assert fake.stats.token_refreshes == 1
        assert rotated[-1].refresh_token == fake.refresh_token
        fake.expire_access_tokens()
        await qonto.clients.get(ids[0])  # 401 token_expired -> one refresh -> retried
        assert fake.stats.token_refreshes == 2
        assert rotated[-1].refresh_token == fake.refresh_token
        assert fake.stats.count(status=401) == 1


async def test_bearer_token(fake: FakeQonto) -> None:
    async with QontoClient(
        access_token=fake.access_token, base_url=fake.base_url, requests_per_second=None
    ) as qonto:
        assert len(await qonto.clients.list().all()) == SIZES["clients"]
        fake.expire_access_tokens()
        with pytest.raises(AuthenticationError) as caught:
            await qonto.clients.list().all()
    assert caught.value.code == "token_expired"
