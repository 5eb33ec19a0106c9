"""What exactly-once listing costs: `list()` against the offset engine it replaced.

FakeQonto (20,000 client invoices, no rate limit, every record pre-encoded) runs in its own
spawned process, so client and server each have a core (pinning them made both slower and
the ratio no steadier here). Each round lists every invoice twice,
in alternating order:

  - keyset: `client_invoices.list(per_page=100, prefetch=8)`, the default since the sync issue
    (probe pages of 98 plus keyset windows of 100, see qonto_async/_keyset.py)
  - offset: the same paginator reading pages 1..N by number, as `list()` did before: fast,
    but it skips or repeats records when data changes during the listing

The ratio keyset/offset is taken per round (paired), and its median and spread printed.

Run from the repository root:  python -m benchmarks.listing [--quick] [--rounds N]
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from benchmarks._common import FakeConfig, FakeServer, base_parser, finish, paired, print_table

MODULE = "benchmarks.listing"
PER_PAGE = 100
PREFETCH = 8


def offset_paginator(client: Any, *, prefetch: int = PREFETCH) -> Any:
    """The engine `list()` used before exactly-once listing: pages by number, unverified
    (``.pages()`` as a paginator has them)."""
    from qonto_async._listing.offset import OffsetReader, by_number
    from qonto_async._listing.page import Page

    resource = client.client_invoices
    transport = resource._transport  # a benchmark may look inside; the SDK's tests do not

    async def fetch(query: list[tuple[str, str]]) -> Page[Any]:
        params = [("sort_by", "created_at:desc"), *query]
        decoded, _ = await transport.request_with_answer(
            "GET", resource._path, resource._decode_page, params=params
        )
        return Page(decoded.items, decoded.meta, 0)

    return OffsetReader(
        by_number(fetch, [], PER_PAGE), per_page=PER_PAGE, prefetch=prefetch, page_url=None
    )


async def one_run(fake: FakeServer, mode: str, expected: int) -> dict[str, Any]:
    async with fake.client(requests_per_second=None) as client:
        started = time.perf_counter()
        if mode == "keyset":
            paginator = client.client_invoices.list(per_page=PER_PAGE, prefetch=PREFETCH)
        else:
            paginator = offset_paginator(client)
        ids = [invoice.id async for page in paginator.pages() for invoice in page.items]
        elapsed = time.perf_counter() - started
    if len(ids) != expected or len(set(ids)) != expected:
        raise SystemExit(f"{mode}: {len(ids)} records, {len(set(ids))} distinct")
    return {"seconds": elapsed, "requests": fake.ask("stats")["requests"]}


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else "")
    args = parser.parse_args()
    invoices = 2_000 if args.quick else 20_000
    rounds = args.rounds or (3 if args.quick else 15)
    runs: dict[str, list[dict[str, Any]]] = {"keyset": [], "offset": []}
    options = {"seed": 0, "clients": 50, "client_invoices": invoices, "rate_limit": None}
    with FakeServer(FakeConfig(options)) as fake:
        asyncio.run(one_run(fake, "offset", invoices))  # warm both sides once
        for n in range(rounds):
            order = ("keyset", "offset") if n % 2 == 0 else ("offset", "keyset")
            for mode in order:
                runs[mode].append(asyncio.run(one_run(fake, mode, invoices)))
    seconds = {mode: [r["seconds"] for r in results] for mode, results in runs.items()}
    rows = [
        [
            mode,
            f"{statistics.median(seconds[mode]):.3f} s",
            str(results[0]["requests"]),
            f"{invoices / statistics.median(seconds[mode]):,.0f}/s",
        ]
        for mode, results in runs.items()
    ]
    ratio = paired(seconds["keyset"], seconds["offset"])
    print_table(
        f"Listing {invoices:,} invoices, per_page {PER_PAGE}, prefetch {PREFETCH}, "
        f"{rounds} paired rounds",
        ["engine", "median", "requests", "records/s"],
        rows,
    )
    print(
        f"\nkeyset / offset time: median {ratio.median:.3f}x (min {ratio.minimum:.3f}, "
        f"max {ratio.maximum:.3f}); goal <= 1.15x"
    )
    finish(
        "listing", MODULE, {"invoices": invoices, "rounds": rounds, "runs": runs, "ratio": ratio}
    )


if __name__ == "__main__":
    main()
