"""CPU instructions per request, counted by valgrind: get_many against bare aiohttp.

Wall-clock throughput on a shared machine moves 15-25% from one round to the next, more than
the few percent that separate ``get_many`` from bare aiohttp + msgspec. An instruction count
does not depend on the neighbours. Each contender of ``benchmarks.throughput`` runs twice
under callgrind, fetching ``--low`` then ``--high`` client invoices by id from the same local
server (outside valgrind, on its own CPU); the difference, over the extra requests, is what
one request costs with start-up and imports cancelled out.

Instructions are not time: cache misses are not weighed, and the kernel's work (the same
sockets and syscalls for every contender) is not counted, so the throughput ratio where the
client's CPU is the bottleneck lies between 1 and the instruction ratio. What this prices
exactly is the Python and C work each client does per request.

Needs valgrind (``apt-get install valgrind``); without it the run says so and stops.
Run from the repository root:  python -m benchmarks.instructions [--quick]
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from typing import Any

from benchmarks._common import (
    ServerConfig,
    ServerProcess,
    base_parser,
    finish,
    paired,
    print_table,
    rotate,
    spread,
)
from benchmarks._shapes import LABELS, SHAPES, invoice_id
from benchmarks.throughput import CONTENDERS, check_results

MODULE = "benchmarks.instructions"
WARM = 200
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
_CONTENDERS = {c.key: c for c in CONTENDERS}


async def _child(key: str, n: int, url: str) -> None:
    """Inside valgrind: open the contender, warm it, fetch ``n`` ids, check them."""
    ids = [invoice_id(i) for i in range(n)]
    async with _CONTENDERS[key].opener(url, 64) as fetch:
        check_results(ids[:WARM], await fetch(ids[:WARM]))
        check_results(ids, await fetch(ids))


def _count(key: str, n: int, url: str) -> int:
    """Instructions of one whole child process, from callgrind's summary line."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        "-m",
        MODULE,
        "--child",
        key,
        str(n),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{key} under valgrind failed ({done.returncode}): {done.stderr[-800:]}")
    return int(found.group(1))


def run(args: Any) -> dict[str, Any]:
    keys = [k for k in args.contenders if k in _CONTENDERS]
    low, high = args.low, args.high
    if high <= low:
        raise SystemExit("--high must be more than --low")
    results: dict[str, Any] = {
        "config": {
            "low": low,
            "high": high,
            "rounds": args.rounds,
            "concurrency": 64,
            "shape": args.shape,
            "contenders": keys,
        },
        "contenders": {k: _CONTENDERS[k].label for k in keys},
    }
    if shutil.which("valgrind") is None:
        results["unavailable"] = "valgrind is not installed (apt-get install valgrind)"
        print(results["unavailable"])
        return results
    per_request: dict[str, list[float]] = {k: [] for k in keys}
    config = ServerConfig(n_ids=high, qodev_variant=False, shape=args.shape)
    with ServerProcess(config) as server:
        print(f"CPU affinity: {server.pinned or 'not set'}; invoices {LABELS[args.shape]}")
        for r in range(args.rounds):
            for key in rotate(keys, r):
                counts = [_count(key, n, server.url) for n in (low, high)]
                per_request[key].append((counts[1] - counts[0]) / (high - low))
                print(f"  round {r + 1}: {key} {per_request[key][-1]:,.0f} per request", flush=True)
    base = per_request.get("b")
    rows = []
    results["per_request"] = {}
    for key in keys:
        values = per_request[key]
        entry: dict[str, Any] = {"instructions": spread(values), "rounds": values}
        if base and key != "b":
            entry["ratio_to_b"] = paired(values, base)
        results["per_request"][key] = entry
        ratio = entry.get("ratio_to_b")
        rows.append(
            [
                _CONTENDERS[key].label,
                entry["instructions"].fmt(",.0f"),
                "1.000" if key == "b" else (ratio.fmt(".3f") if ratio else "n/a"),
            ]
        )
    print_table(
        f"Instructions per request at concurrency 64 ({high - low:,} requests counted, "
        f"median [min–max] over {args.rounds} rounds)",
        ["contender", "instructions", "÷ (b)"],
        rows,
    )
    return results


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        asyncio.run(_child(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
        return
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--low", type=int, default=None, help="requests of the shorter run")
    parser.add_argument("--high", type=int, default=None, help="requests of the longer run")
    parser.add_argument("--shape", choices=sorted(SHAPES), default="real")
    parser.add_argument("--contenders", nargs="+", choices=sorted(_CONTENDERS), default=["b", "c"])
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.low = args.low or (100 if args.quick else 300)
    args.high = args.high or (400 if args.quick else 1300)
    finish("instructions", MODULE, run(args))


if __name__ == "__main__":
    main()
