"""The bank side's requests on the wire: paths, array parameters as Qonto expects them
(``status[]=``, ``operation_type[]=``, ``includes[]=``), bare filter names, and what is
refused before any request."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from typing import Any

import pytest
from aioresponses import aioresponses as AioResponses
from conftest import BASE_URL

from qonto_async import QontoClient

META = {"current_page": 1, "next_page": None, "prev_page": None, "total_pages": 1}


def txn(n: int, account: str = "acc-1", **fields: Any) -> dict[str, Any]:
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "id": f"t-{account}-{n}",
        "transaction_id": f"ref-{n}",
        "amount": 1.5,
        "amount_cents": 150,
        "local_amount": 1.5,
        "local_amount_cents": 150,
        "currency": "EUR",
        "local_currency": "EUR",
        "side": "debit",
        "operation_type": "card",
        "status": "completed",
        "label": "Shop",
        "emitted_at": stamp,
        "settled_at": stamp,
        "updated_at": stamp,
        "label_ids": [],
        "attachment_ids": [],
        "attachment_lost": False,
        "attachment_required": True,
        "subject_type": "card",
        "bank_account_id": account,
        "is_external_transaction": False,
        **fields,
    }


def page(items: list[dict[str, Any]], key: str = "transactions") -> dict[str, Any]:
    return {key: items, "meta": {**META, "total_count": len(items), "per_page": 100}}


def sent(mock: AioResponses) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Every request as (method, path, query pairs), in the order made."""
    out = []
    for (method, url), calls in mock.requests.items():
        for call in calls:
            params = call.kwargs.get("params") or []
            out.append((method, url.path, [(str(k), str(v)) for k, v in params]))
    return out


def any_url(path: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(BASE_URL + path)}(\?.*)?$")


async def test_one_account_sends_every_status_and_the_filters_by_their_bare_names(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(any_url("/v2/transactions"), payload=page([]), repeat=True)
    await qonto.transactions.list(
        bank_account_id="acc-1",
        side="debit",
        operation_type=["card", "transfer"],
        settled_at_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        settled_at_to=dt.date(2025, 1, 31),
        emitted_at_from="2024-12-01T00:00:00Z",
        with_attachments=True,
        includes=["labels", "attachments"],
    ).all()
    ((method, path, query), *_) = sent(http_mock)
    assert (method, path) == ("GET", "/v2/transactions")
    assert [v for k, v in query if k == "status[]"] == ["pending", "declined", "completed"]
    assert [v for k, v in query if k == "operation_type[]"] == ["card", "transfer"]
    assert [v for k, v in query if k == "includes[]"] == ["labels", "attachments"]
    pairs = dict(query)
    assert pairs["bank_account_id"] == "acc-1"
    assert pairs["side"] == "debit"
    assert pairs["settled_at_from"] == "2025-01-01T00:00:00Z"
    assert pairs["settled_at_to"] == "2025-01-31"
    assert pairs["emitted_at_from"] == "2024-12-01T00:00:00Z"
    assert pairs["with_attachments"] == "true"
    assert pairs["sort_by"] == "updated_at:asc"  # the exact walk's order
    assert not any(k.startswith("filter[") or k in ("status", "iban") for k, _ in query)


async def test_one_status_and_the_iban_selector(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(any_url("/v2/transactions"), payload=page([]), repeat=True)
    await qonto.transactions.list(iban="FR7616798000010000005663951", status="completed").all()
    await qonto.transactions.list(bank_account_id="acc-9", iban="FR76", status=["pending"]).all()
    first, *rest = sent(http_mock)
    assert [v for k, v in first[2] if k == "status[]"] == ["completed"]
    assert dict(first[2])["iban"] == "FR7616798000010000005663951"
    second = next(q for _, _, q in rest if ("bank_account_id", "acc-9") in q)
    assert "iban" not in dict(second)  # Qonto reads bank_account_id first: only it is sent
    assert [v for k, v in second if k == "status[]"] == ["pending"]


async def test_updated_at_bounds_are_the_walks_own_bare_bounds(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(any_url("/v2/transactions"), payload=page([txn(1)]), repeat=True)
    items = await qonto.transactions.list(
        bank_account_id="acc-1",
        updated_at_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        updated_at_to=dt.datetime(2025, 2, 1, tzinfo=dt.UTC),
    ).all()
    assert [t.id for t in items] == ["t-acc-1-1"]
    first, *later = [dict(query) for _, _, query in sent(http_mock)]
    assert first["updated_at_from"].startswith("2025-01-01T00:00:00")
    assert first["updated_at_to"].startswith("2025-02-01T00:00:00")
    for pairs in later:  # the walk narrows its window, never past the caller's bounds
        assert "2025-01-01T00:00:00" <= pairs["updated_at_from"] <= "2025-02-01T00:00:00Z"
        assert "filter[updated_at_from]" not in pairs


async def test_a_sort_by_settled_at_reads_by_page_number_with_the_bare_change_check(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.get(any_url("/v2/transactions"), payload=page([txn(1), txn(2)]), repeat=True)
    items = await qonto.transactions.list(bank_account_id="acc-1", sort_by="settled_at:desc").all()
    assert {t.id for t in items} == {"t-acc-1-1", "t-acc-1-2"}
    queries = [dict(q) for _, _, q in sent(http_mock)]
    assert queries[0]["sort_by"] == "settled_at:desc"
    assert all("filter[updated_at_from]" not in q for q in queries)


async def test_without_an_account_every_account_of_the_organization_is_read(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    organization = {
        "organization": {
            "id": "org-1",
            "slug": "acme",
            "bank_accounts": [
                {"id": "acc-1", "iban": "FR1", "name": "Main", "status": "active", "main": True},
                {"id": "acc-2", "iban": "FR2", "name": "Taxes", "status": "active"},
                {"slug": "old-style", "iban": "FR3", "name": "No id"},
            ],
        }
    }
    http_mock.get(any_url("/v2/organization"), payload=organization, repeat=True)

    def by_account(url: Any, **kwargs: Any) -> Any:
        from aioresponses import CallbackResult

        query = dict(kwargs["params"])
        account = query.get("bank_account_id") or query.get("iban")
        assert account is not None
        return CallbackResult(payload=page([txn(1, account), txn(2, account)]))

    http_mock.get(any_url("/v2/transactions"), callback=by_account, repeat=True)
    items = await qonto.transactions.list(status="completed", include_external_accounts=True).all()
    assert sorted(t.id for t in items) == sorted(
        f"t-{a}-{n}" for a in ("acc-1", "acc-2", "FR3") for n in (1, 2)
    )
    org_query = next(q for _, p, q in sent(http_mock) if p == "/v2/organization")
    assert org_query == [("include_external_accounts", "true")]
    selectors = {
        (k, v)
        for _, p, q in sent(http_mock)
        if p == "/v2/transactions"
        for k, v in q
        if k in ("bank_account_id", "iban")
    }
    assert selectors == {
        ("bank_account_id", "acc-1"),
        ("bank_account_id", "acc-2"),
        ("iban", "FR3"),
    }


async def test_get_with_includes(qonto: QontoClient, http_mock: AioResponses) -> None:
    http_mock.get(
        any_url("/v2/transactions/t-1"),
        payload={"transaction": txn(1, labels=[{"id": "l1", "name": "Ops", "parent_id": None}])},
    )
    transaction = await qonto.transactions.get("t-1", includes=["labels", "vat_details"])
    assert transaction.labels is not None
    ((_, path, query),) = sent(http_mock)
    assert path == "/v2/transactions/t-1"
    assert query == [("includes[]", "labels"), ("includes[]", "vat_details")]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": "reversed"},
        {"status": []},
        {"side": "both"},
        {"includes": ["receipts"]},
        {"sort_by": "amount:asc"},
        {"operation_type": [""]},
        {"per_page": 101},
        {"bank_account_id": ""},
        {"settled_at_from": dt.datetime(2025, 1, 1)},  # naive: ambiguous
    ],
)
async def test_bad_filters_fail_before_any_request(
    qonto: QontoClient, http_mock: AioResponses, kwargs: dict[str, Any]
) -> None:
    options = {"bank_account_id": "acc-1", **kwargs}
    with pytest.raises((ValueError, TypeError)):
        await qonto.transactions.list(**options).all()
    assert sent(http_mock) == []


async def test_statements_labels_memberships_and_accounts(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    statement = {
        "id": "s-1",
        "bank_account_id": "acc-1",
        "period": "08-2024",
        "file": {"file_name": "s.pdf", "file_content_type": "application/pdf",
                 "file_size": "16966", "file_url": "http://files.test/s.pdf"},
    }  # fmt: skip
    http_mock.get(any_url("/v2/statements"), payload=page([statement], "statements"), repeat=True)
    statements = await qonto.statements.list(
        bank_account_ids=["acc-1", "acc-2"], period_from=dt.date(2024, 1, 5), period_to="12-2024"
    ).all()
    assert [s.period for s in statements] == ["08-2024"]
    query = sent(http_mock)[0][2]
    assert [v for k, v in query if k == "bank_account_ids[]"] == ["acc-1", "acc-2"]
    assert ("period_from", "01-2024") in query
    assert ("period_to", "12-2024") in query
    with pytest.raises(ValueError, match="not both"):
        qonto.statements.list(bank_account_ids="a", ibans="b")
    with pytest.raises(ValueError, match="MM-YYYY"):
        qonto.statements.list(period_from="2024-01")

    http_mock.get(
        any_url("/v2/labels"), payload=page([{"id": "l", "name": "x"}], "labels"), repeat=True
    )
    assert [label.id for label in await qonto.labels.list().all()] == ["l"]
    members = [{"id": "m", "first_name": "A", "last_name": "B", "role": "owner"}]
    http_mock.get(any_url("/v2/memberships"), payload=page(members, "memberships"), repeat=True)
    assert [m.role for m in await qonto.memberships.list().all()] == ["owner"]
    # no meta at all: read until a short page
    http_mock.get(
        any_url("/v2/bank_accounts"),
        payload={"bank_accounts": [{"id": "acc-1", "name": "Main"}]},
        repeat=True,
    )
    assert [a.id for a in await qonto.bank_accounts.list().all()] == ["acc-1"]


async def test_attachment_upload_is_one_file_part_with_an_idempotency_key(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.post(any_url("/v2/transactions/t-1/attachments"), body=b"", status=200)
    await qonto.transaction_attachments.create(
        "t-1", b"%PDF-1.4 receipt", filename="receipt.pdf", idempotency_key="receipt-t-1"
    )
    ((_, _), (call,)) = next(iter(http_mock.requests.items()))
    assert call.kwargs["headers"]["X-Qonto-Idempotency-Key"] == "receipt-t-1"
    with pytest.raises(ValueError, match="PDF, JPEG or PNG"):
        await qonto.transaction_attachments.create("t-1", b"x", filename="notes.txt")


async def test_attachment_removals_hit_their_paths(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    http_mock.delete(any_url("/v2/transactions/t-1/attachments/a-1"), body=b"")
    http_mock.delete(any_url("/v2/transactions/t-1/attachments"), body=b"")
    await qonto.transaction_attachments.delete("t-1", "a-1")
    await qonto.transaction_attachments.delete_all("t-1")
    assert [(m, p) for m, p, _ in sent(http_mock)] == [
        ("DELETE", "/v2/transactions/t-1/attachments/a-1"),
        ("DELETE", "/v2/transactions/t-1/attachments"),
    ]


async def test_the_change_feeds_clock_asks_the_accounts_list(
    qonto: QontoClient, http_mock: AioResponses
) -> None:
    now = email.utils.format_datetime(dt.datetime.now(dt.UTC), usegmt=True)
    http_mock.get(
        any_url("/v2/bank_accounts"),
        payload={"bank_accounts": []},
        headers={"Date": now},
        repeat=True,
    )
    http_mock.get(
        any_url("/v2/organization"),
        payload={"organization": {"id": "o", "bank_accounts": [{"id": "acc-1"}]}},
        repeat=True,
    )
    http_mock.get(any_url("/v2/transactions"), payload=page([txn(1)]), repeat=True)
    feed = qonto.transactions.changes(dt.datetime(2024, 12, 1, tzinfo=dt.UTC))
    assert [t.id async for t in feed] == ["t-acc-1-1"]
    requests = sent(http_mock)
    assert [p for _, p, _ in requests][:3] == [
        "/v2/bank_accounts",  # the list needs an account: the clock is asked elsewhere
        "/v2/organization",
        "/v2/transactions",
    ]
    walk = dict(requests[2][2])
    assert walk["bank_account_id"] == "acc-1"
    assert walk["updated_at_from"].startswith("2024-11-30T23:55:00")  # 5 minutes' overlap
    assert "updated_at_to" in walk
    assert feed.cursor.startswith("qcc1.")
