"""FakeQonto's bank side over real HTTP, with a bare aiohttp client (no SDK): the
organisation, bank accounts, transactions (every filter, sort and error), labels,
memberships and statements."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from qonto_async.testing import FakeQonto

from .bank_api import STATUSES, BankApi, at, chain_breaks, expected, ms


@pytest.fixture
async def fake() -> AsyncIterator[FakeQonto]:
    async with FakeQonto(seed=7, transactions=600, rate_limit=None) as f:
        yield f


@pytest.fixture
async def api(fake: FakeQonto) -> AsyncIterator[BankApi]:
    async with aiohttp.ClientSession() as session:
        yield BankApi(fake, session)


def records(fake: FakeQonto) -> list[dict[str, Any]]:
    return [fake.record("transactions", tid) for tid in fake.ids("transactions")]


async def test_the_organization_and_its_accounts(fake: FakeQonto, api: BankApi) -> None:
    main, second, external = fake.ids("bank_accounts")
    org = (await api.ok("/v2/organization"))["organization"]
    assert [a["id"] for a in org["bank_accounts"]] == [main, second]
    assert org["bank_accounts"][0]["iban"] == fake.iban
    assert "slug" in org["bank_accounts"][0]
    assert "organization_id" not in org["bank_accounts"][0]
    with_external = await api.ok("/v2/organization", {"include_external_accounts": "true"})
    accounts = with_external["organization"]["bank_accounts"]
    assert [a["id"] for a in accounts] == [main, second, external]
    assert [a["is_external_account"] for a in accounts] == [False, False, True]
    listed = await api.ok("/v2/bank_accounts")
    assert set(listed) == {"bank_accounts"}  # no meta, as Qonto's
    assert [a["id"] for a in listed["bank_accounts"]] == [main, second, external]
    assert listed["bank_accounts"][0]["organization_id"] == org["id"]
    page2 = await api.ok("/v2/bank_accounts", {"per_page": "2", "page": "2"})
    assert [a["id"] for a in page2["bank_accounts"]] == [external]
    one = await api.ok(f"/v2/bank_accounts/{second}")
    assert one["bank_account"] == listed["bank_accounts"][1]
    assert (await api.get("/v2/bank_accounts/nope")).status == 404
    assert (await api.get("/v2/bank_accounts", {"per_page": "101"})).status == 400


async def test_balances_follow_the_chain_of_every_account(fake: FakeQonto, api: BankApi) -> None:
    everything = records(fake)
    for account_id in fake.ids("bank_accounts"):
        mine = [r for r in everything if r["bank_account_id"] == account_id]
        assert mine, "every account has transactions"
        assert chain_breaks(mine) == []
        done = sorted(
            (r for r in mine if r["status"] == "completed"),
            key=lambda r: (ms(r["settled_at"]), r["id"]),
        )
        account = (await api.ok(f"/v2/bank_accounts/{account_id}"))["bank_account"]
        assert account["balance_cents"] == done[-1]["settled_balance_cents"]
        pending = sum(
            r["amount_cents"] * (1 if r["side"] == "credit" else -1)
            for r in mine
            if r["status"] == "pending"
        )
        assert account["authorized_balance_cents"] == account["balance_cents"] + pending
        for r in mine:
            assert r["amount_cents"] > 0
            assert r["amount"] == r["amount_cents"] / 100
            if r["status"] != "completed":
                assert r["settled_at"] is None
                assert r["settled_balance"] is None
                assert r["settled_balance_cents"] is None
            assert at(r["updated_at"]) >= max(at(r["emitted_at"]), ms(r["settled_at"]) or 0)


async def test_every_operation_type_status_and_nested_object(fake: FakeQonto) -> None:
    everything = records(fake)
    ops = collections.Counter(r["operation_type"] for r in everything)
    assert {"card", "transfer", "income", "direct_debit", "cheque", "swift_income"} <= set(ops)
    assert {"qonto_fee", "direct_debit_collection"} <= set(ops)
    assert {r["status"] for r in everything} == set(STATUSES)
    cheque = next(r for r in everything if r["operation_type"] == "cheque")
    assert cheque["subject_type"] == "check"
    assert set(cheque["check"]) == {"check_number", "check_key"}
    transfer = next(r for r in everything if r["operation_type"] == "transfer")
    assert transfer["transfer"]["counterparty_account_number_format"] == "IBAN"
    card = next(r for r in everything if r["operation_type"] == "card")
    assert len(card["card_last_digits"]) == 4
    assert "transfer" not in card
    external = fake.ids("bank_accounts")[-1]
    theirs = [r for r in everything if r["bank_account_id"] == external]
    assert all(r["is_external_transaction"] for r in theirs)


async def test_an_account_selector_is_required(fake: FakeQonto, api: BankApi) -> None:
    main, second, external = fake.ids("bank_accounts")
    missing = await api.get("/v2/transactions")
    assert missing.status == 422
    assert missing.json()["errors"][0]["code"] == "missing"
    assert missing.json()["errors"][0]["detail"] == "bank_account_id or iban is missing"
    external_iban = fake.record("bank_accounts", external)["iban"]
    assert (await api.get("/v2/transactions", {"iban": external_iban})).status == 404
    assert (await api.get("/v2/transactions", {"bank_account_id": "nope"})).status == 404
    by_id = await api.ok("/v2/transactions", {"bank_account_id": external})
    assert by_id["meta"]["total_count"] > 0
    by_iban = await api.ok("/v2/transactions", {"iban": fake.iban})
    assert {t["bank_account_id"] for t in by_iban["transactions"]} == {main}
    second_iban = fake.record("bank_accounts", second)["iban"]
    both = await api.ok("/v2/transactions", {"bank_account_id": main, "iban": second_iban})
    assert both == by_iban  # bank_account_id wins


async def test_status_defaults_to_completed_and_reads_brackets_only(
    fake: FakeQonto, api: BankApi
) -> None:
    main = fake.ids("bank_accounts")[0]
    everything = records(fake)
    default, total = await api.transactions([("bank_account_id", main)])
    assert [t["id"] for t in default] == expected(everything, main)
    assert total == len(default)
    bare, _ = await api.transactions([("bank_account_id", main), ("status", "pending")])
    assert bare == default  # not an array: ignored, as Rails ignores it
    both = [("status[]", "pending"), ("status[]", "declined")]
    got, total = await api.transactions([("bank_account_id", main), *both])
    assert [t["id"] for t in got] == expected(everything, main, statuses=("pending", "declined"))
    assert {t["status"] for t in got} == {"pending", "declined"}
    assert total == len(got)
    wrong = await api.get("/v2/transactions", {"bank_account_id": main, "status[]": "reversed"})
    assert wrong.status == 422
    assert wrong.json()["errors"][0]["code"] == "not_in_list"


@pytest.mark.parametrize("key", ["updated_at", "settled_at", "emitted_at"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_sorts_with_ties_by_id_and_nulls_like_postgres(
    fake: FakeQonto, api: BankApi, key: str, direction: str
) -> None:
    main = fake.ids("bank_accounts")[0]
    sort = f"{key}:{direction}"
    params = [("bank_account_id", main), ("sort_by", sort), ("per_page", "37")]
    params += [("status[]", s) for s in STATUSES]
    got, total = await api.transactions(params)
    everything = records(fake)
    assert [t["id"] for t in got] == expected(everything, main, statuses=STATUSES, sort=sort)
    assert total == len(got) == len({t["id"] for t in got})
    if key == "settled_at":  # null settled_at: last ascending, first descending
        nulls = [t["settled_at"] is None for t in got]
        assert nulls == sorted(nulls, reverse=direction == "desc")


async def test_default_sort_is_settled_at_desc(fake: FakeQonto, api: BankApi) -> None:
    main = fake.ids("bank_accounts")[0]
    default, _ = await api.transactions([("bank_account_id", main)])
    explicit, _ = await api.transactions(
        [("bank_account_id", main), ("sort_by", "settled_at:desc")]
    )
    assert default == explicit
    bad = await api.get("/v2/transactions", {"bank_account_id": main, "sort_by": "amount:asc"})
    assert bad.status == 422


@pytest.mark.parametrize("key", ["updated_at", "settled_at", "emitted_at"])
async def test_windows_are_inclusive_on_every_key(fake: FakeQonto, api: BankApi, key: str) -> None:
    main = fake.ids("bank_accounts")[0]
    everything = records(fake)
    stamps = sorted(r[key] for r in everything if r["bank_account_id"] == main and r[key])
    lo, hi = stamps[len(stamps) // 4], stamps[len(stamps) // 2]
    statuses = [("status[]", s) for s in STATUSES]
    for sort in ("updated_at:asc", "settled_at:desc", "emitted_at:asc"):
        params = [("bank_account_id", main), (f"{key}_from", lo), (f"{key}_to", hi), *statuses]
        got, total = await api.transactions([*params, ("sort_by", sort)])
        want = expected(
            everything, main, statuses=STATUSES, windows={key: (ms(lo), ms(hi))}, sort=sort
        )
        assert [t["id"] for t in got] == want
        assert total == len(want)
        assert lo in [t[key] for t in got]
        assert hi in [t[key] for t in got]
    just_after = lo[:-1] + "001Z"  # 1 µs after a record's millisecond: it is out
    base = [("bank_account_id", main), *statuses, ("per_page", "100")]
    after = await api.ok("/v2/transactions", [*base, (f"{key}_from", just_after)])
    before = await api.ok("/v2/transactions", [*base, (f"{key}_to", just_after)])
    assert lo not in [t[key] for t in after["transactions"]]
    assert after["meta"]["total_count"] + before["meta"]["total_count"] == len(stamps)
    day = await api.ok("/v2/transactions", [("bank_account_id", main), (f"{key}_to", hi[:10])])
    assert all(t[key] is None or t[key][:10] <= hi[:10] for t in day["transactions"])
    bad = await api.get("/v2/transactions", {"bank_account_id": main, f"{key}_from": "soon"})
    assert bad.status == 422


async def test_side_operation_type_attachments_and_windows_together(
    fake: FakeQonto, api: BankApi
) -> None:
    main = fake.ids("bank_accounts")[0]
    everything = records(fake)
    stamps = sorted(r["emitted_at"] for r in everything if r["bank_account_id"] == main)
    lo, hi = stamps[10], stamps[-10]
    cases: list[tuple[list[tuple[str, str]], dict[str, Any]]] = [
        ([("side", "credit")], {"side": "credit"}),
        ([("side", "debit")], {"side": "debit"}),
        (
            [("operation_type[]", "card"), ("operation_type[]", "income")],
            {"operation_types": ("card", "income")},
        ),
        ([("with_attachments", "true")], {"with_attachments": True}),
        ([("with_attachments", "false")], {"with_attachments": False}),
        (
            [("side", "debit"), ("emitted_at_from", lo), ("updated_at_to", hi)],
            {
                "side": "debit",
                "windows": {"emitted_at": (ms(lo), None), "updated_at": (None, ms(hi))},
            },
        ),
    ]
    statuses = [("status[]", s) for s in STATUSES]
    for params, rules in cases:
        for sort in ("settled_at:desc", "updated_at:asc"):
            query = [("bank_account_id", main), *statuses, *params, ("sort_by", sort)]
            got, total = await api.transactions(query)
            want = expected(everything, main, statuses=STATUSES, sort=sort, **rules)
            assert [t["id"] for t in got] == want, params
            grouped: dict[str, list[str]] = collections.defaultdict(list)
            for name, value in query:
                grouped[name].append(value)
            counted = fake.count("transactions", **grouped)
            assert total == len(want) == counted
            assert want, params
    assert (
        await api.get("/v2/transactions", {"bank_account_id": main, "side": "up"})
    ).status == 422
    bad = await api.get("/v2/transactions", {"bank_account_id": main, "with_attachments": "y"})
    assert bad.status == 422


async def test_includes_embed_only_what_is_asked(fake: FakeQonto, api: BankApi) -> None:
    main = fake.ids("bank_accounts")[0]
    plain = await api.ok("/v2/transactions", {"bank_account_id": main, "with_attachments": "true"})
    first = plain["transactions"][0]
    assert not {"attachments", "labels", "vat_details"} & set(first)
    asked = [("bank_account_id", main), ("with_attachments", "true")]
    asked += [("includes[]", "attachments"), ("includes[]", "labels")]
    rich = (await api.ok("/v2/transactions", asked))["transactions"][0]
    assert "vat_details" not in rich
    assert [a["id"] for a in rich["attachments"]] == rich["attachment_ids"]
    assert [label["id"] for label in rich["labels"]] == rich["label_ids"]
    attachment = rich["attachments"][0]
    assert set(attachment) >= {"id", "file_name", "file_size", "file_content_type", "url"}
    download = await api.request("GET", attachment["url"], auth=False)
    assert download.status == 200
    assert download.body.startswith(b"%PDF")
    tid = rich["id"]
    one = await api.ok(f"/v2/transactions/{tid}", [("includes[]", "vat_details")])
    assert set(one["transaction"]["vat_details"]) == {"items"}
    assert "attachments" not in one["transaction"]
    bare = (await api.ok(f"/v2/transactions/{tid}"))["transaction"]
    assert bare == fake.record("transactions", tid)
    assert (await api.get("/v2/transactions/nope")).status == 404
    wrong = await api.get(f"/v2/transactions/{tid}", {"includes[]": "everything"})
    assert wrong.status == 422
    listed = await api.ok(f"/v2/transactions/{tid}/attachments")
    assert set(listed) == {"attachments"}  # no meta
    assert [a["id"] for a in listed["attachments"]] == rich["attachment_ids"]
    got = await api.ok(f"/v2/attachments/{rich['attachment_ids'][0]}")
    assert got["attachment"]["file_name"] == attachment["file_name"]


async def test_pagination_limits_and_honest_totals(fake: FakeQonto, api: BankApi) -> None:
    main = fake.ids("bank_accounts")[0]
    for per_page in ("0", "101", "x"):
        answer = await api.get("/v2/transactions", {"bank_account_id": main, "per_page": per_page})
        assert answer.status == 400
        assert answer.json()["errors"][0]["source"]["parameter"] == "per_page"
    assert (await api.get("/v2/transactions", {"bank_account_id": main, "page": "0"})).status == 400
    first = await api.ok("/v2/transactions", {"bank_account_id": main, "per_page": "1"})
    total = first["meta"]["total_count"]
    assert first["meta"]["total_pages"] == total
    hundred = await api.ok("/v2/transactions", {"bank_account_id": main, "per_page": "100"})
    assert len(hundred["transactions"]) == min(100, total)
    past = await api.ok(
        "/v2/transactions", {"bank_account_id": main, "page": str(total + 1), "per_page": "1"}
    )
    assert past["transactions"] == []
    assert past["meta"]["next_page"] is None


async def test_labels_memberships_and_statements(fake: FakeQonto, api: BankApi) -> None:
    labels = await api.ok("/v2/labels")
    assert labels["meta"]["total_count"] == len(labels["labels"]) == len(fake.ids("labels"))
    by_id = {label["id"]: label for label in labels["labels"]}
    child = next(label for label in labels["labels"] if label["parent_id"] is not None)
    assert by_id[child["parent_id"]]["parent_id"] is None
    assert (await api.ok(f"/v2/labels/{child['id']}"))["label"] == child
    assert (await api.get("/v2/labels/nope")).status == 404
    paged = await api.ok("/v2/labels", {"per_page": "2", "page": "2"})
    assert paged["labels"] == labels["labels"][2:4]
    members = await api.ok("/v2/memberships")
    assert members["meta"]["total_count"] == len(members["memberships"]) >= 2
    main, second, _external = fake.ids("bank_accounts")
    every = (await api.ok("/v2/statements", {"sort_by": "period:asc"}))["meta"]["total_count"]
    asc = await api.ok("/v2/statements", {"bank_account_ids[]": second, "sort_by": "period:asc"})
    periods = [s["period"] for s in asc["statements"]]
    assert periods == sorted(periods, key=lambda p: (p[3:], p[:2]))
    assert {s["bank_account_id"] for s in asc["statements"]} == {second}
    both = [("bank_account_ids[]", main), ("bank_account_ids[]", second)]
    assert (await api.ok("/v2/statements", both))["meta"]["total_count"] == every
    by_iban = await api.ok("/v2/statements", {"ibans[]": fake.iban})
    assert {s["bank_account_id"] for s in by_iban["statements"]} == {main}
    mixed = await api.get("/v2/statements", {"ibans[]": fake.iban, "bank_account_ids[]": main})
    assert mixed.status == 422
    window = {"period_from": "02-2024", "period_to": "04-2024", "bank_account_ids[]": main}
    got = await api.ok("/v2/statements", window)
    assert [s["period"] for s in got["statements"]] == ["04-2024", "03-2024", "02-2024"]
    assert (await api.get("/v2/statements", {"period_from": "2024-02"})).status == 422
    statement = got["statements"][0]
    assert (await api.ok(f"/v2/statements/{statement['id']}"))["statement"]["period"] == "04-2024"
    assert (await api.get("/v2/statements/nope")).status == 404
    pdf = await api.request("GET", statement["file"]["file_url"], auth=False)
    assert pdf.status == 200
    assert pdf.body.startswith(b"%PDF")
    assert str(len(pdf.body)) == statement["file"]["file_size"]


async def test_the_same_seed_gives_the_same_bank() -> None:
    one = FakeQonto(seed=11, transactions=200)
    two = FakeQonto(seed=11, transactions=200)
    other = FakeQonto(seed=12, transactions=200)
    ids = one.ids("transactions")
    assert ids == two.ids("transactions") != other.ids("transactions")
    assert [one.record("transactions", t) for t in ids] == [
        two.record("transactions", t) for t in ids
    ]
    assert one.ids("bank_accounts") == two.ids("bank_accounts")
    assert one.ids("statements") == two.ids("statements")
