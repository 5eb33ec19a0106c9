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
import multiprocessing.connection
import statistics
import time
from dataclasses import dataclass
from typing import Any

from benchmarks._common import ChildServer, base_parser, finish, print_table, serve_commands, spread

MODULE = "benchmarks.listing"
PER_PAGE = 100
PREFETCH = 8


@dataclass(frozen=True)
class FakeConfig:
    invoices: int


def _fake_main(config: FakeConfig, conn: multiprocessing.connection.Connection) -> None:
    from qonto_async.testing import FakeQonto

    async def main() -> None:
        fake = FakeQonto(seed=0, clients=50, client_invoices=config.invoices, rate_limit=None)
        fake.warm("client_invoices")

        def stats(_: Any) -> dict[str, Any]:
            result = {"requests": fake.stats.total_requests}
            fake.stats.reset()
            return result

        async with fake:
            conn.send({"url": fake.base_url, "login": fake.login, "secret_key": fake.secret_key})
            await serve_commands(conn, stats)

    asyncio.run(main())


def offset_paginator(client: Any, *, prefetch: int = PREFETCH) -> Any:
    """The engine `list()` used before exactly-once listing: pages by number, unverified."""
    from qonto_async._listing.page import Page
    from qonto_async._listing.paginator import Paginator

    resource = client.client_invoices
    transport = resource._transport  # a benchmark may look inside; the SDK's tests do not

    async def fetch(query: list[tuple[str, str]]) -> Page[Any]:
        params = [("sort_by", "created_at:desc"), *query]
        decoded, _ = await transport.request_with_answer(
            "GET", resource._path, resource._decode_page, params=params
        )
        return Page(decoded.items, decoded.meta, 0)

    return Paginator(per_page=PER_PAGE, prefetch=prefetch, fetch=fetch)


async def one_run(fake: ChildServer, mode: str, expected: int) -> dict[str, Any]:
    from qonto_async import QontoClient

    async with QontoClient(
        login=fake.hello["login"],
        secret_key=fake.hello["secret_key"],
        base_url=fake.url,
        requests_per_second=None,
    ) as client:
        started = time.perf_counter()
        if mode == "keyset":
            paginator = client.client_invoices.list(per_page=PER_PAGE, prefetch=PREFETCH)
        else:
            paginator = offset_paginator(client)
        ids = [invoice.id async for invoice in paginator]
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
    ratios: list[float] = []
    with ChildServer(_fake_main, FakeConfig(invoices)) as fake:
        asyncio.run(one_run(fake, "offset", invoices))  # warm both sides once
        for n in range(rounds):
            order = ("keyset", "offset") if n % 2 == 0 else ("offset", "keyset")
            pair = {mode: asyncio.run(one_run(fake, mode, invoices)) for mode in order}
            for mode, result in pair.items():
                runs[mode].append(result)
            ratios.append(pair["keyset"]["seconds"] / pair["offset"]["seconds"])
    rows = []
    for mode, results in runs.items():
        seconds = [r["seconds"] for r in results]
        rows.append(
            [
                mode,
                f"{statistics.median(seconds):.3f} s",
                str(results[0]["requests"]),
                f"{invoices / statistics.median(seconds):,.0f}/s",
            ]
        )
    ratio = spread(ratios)
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
