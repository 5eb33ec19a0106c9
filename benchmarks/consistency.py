"""The listing defect of offset pages, and `list()` beside it: records lost and repeated.

Against FakeQonto, each scenario lists client invoices twice, once with the offset engine
`list()` used before exactly-once listing (`benchmarks.listing.offset_paginator`) and once with
`list()`, while the data changes:

  - 300 invoices, per_page 100: one invoice already served is deleted after page 1;
  - 1,000 invoices: 150 are created after page 2;
  - 2,000 invoices, prefetch 8: the fake creates and deletes records between requests (churn).

"missing" counts invoices that existed from the first request to the last and were never
yielded; "duplicates" counts ids yielded more than once.

Run from the repository root:  python -m benchmarks.consistency
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

from benchmarks._common import finish, print_table
from benchmarks.listing import offset_paginator

MODULE = "benchmarks.consistency"

SCENARIOS: dict[str, dict[str, Any]] = {
    "300, a served one deleted after page 1": {"size": 300, "prefetch": 1, "delete_after": 1},
    "1,000, 150 created after page 2": {"size": 1000, "prefetch": 1, "create_after": 2},
    "2,000, prefetch 8, churn": {"size": 2000, "prefetch": 8, "churn": True},
}


async def one(engine: str, scenario: dict[str, Any]) -> dict[str, int]:
    from qonto_async import QontoClient
    from qonto_async.testing import Churn, FakeQonto

    async with (
        FakeQonto(seed=3, client_invoices=scenario["size"], rate_limit=None) as fake,
        QontoClient(
            login=fake.login,
            secret_key=fake.secret_key,
            base_url=fake.base_url,
            requests_per_second=None,
        ) as client,
    ):
        before = set(fake.ids("client_invoices"))
        prefetch = scenario["prefetch"]
        paginator = (
            offset_paginator(client, prefetch=prefetch)
            if engine == "offset"
            else client.client_invoices.list(per_page=100, prefetch=prefetch)
        )
        if scenario.get("churn"):
            fake.churn = Churn(seed=7, creates=0.5, deletes=0.5, resources=("client_invoices",))
        ids: list[str] = []
        async for page in paginator.pages():
            ids += [invoice.id for invoice in page.items]
            if page.number == scenario.get("delete_after"):
                fake.delete("client_invoices", page.items[0].id)
            if page.number == scenario.get("create_after"):
                for _ in range(150):
                    fake.create("client_invoices")
        fake.churn = None
    deleted = {rid for action, _, rid in fake.stats.changes if action == "deleted"}
    counts = collections.Counter(ids)
    return {
        "yielded": len(ids),
        "missing": len((before - deleted) - set(ids)),
        "duplicates": sum(n - 1 for n in counts.values()),
    }


def main() -> None:
    results: dict[str, dict[str, dict[str, int]]] = {}
    rows = []
    for name, scenario in SCENARIOS.items():
        results[name] = {}
        for engine in ("offset", "keyset"):
            outcome = asyncio.run(one(engine, scenario))
            results[name][engine] = outcome
            rows.append(
                [
                    name,
                    "offset pages (before)" if engine == "offset" else "list() (now)",
                    f"{outcome['yielded']:,}",
                    str(outcome["missing"]),
                    str(outcome["duplicates"]),
                ]
            )
    print_table(
        "Listing while the data changes",
        ["scenario", "engine", "yielded", "missing", "duplicates"],
        rows,
    )
    if any(r["keyset"]["missing"] or r["keyset"]["duplicates"] for r in results.values()):
        raise SystemExit("list() lost or repeated a record")
    finish("consistency", MODULE, {"scenarios": results})


if __name__ == "__main__":
    main()
