"""Memory: peak RSS while streaming 100,000 client invoices through the paginator vs while
collecting 1,000 with `.all()`.

Every scenario runs in a fresh Python subprocess (so each peak is its own, from
`resource.getrusage(RUSAGE_SELF).ru_maxrss`), against the raw local server in another process
(so the server's memory is never counted). Scenarios alternate over the rounds.

Run from the repository root:  python -m benchmarks.memory [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

from benchmarks._common import (
    LOGIN,
    REPO_ROOT,
    SECRET_KEY,
    ServerConfig,
    ServerProcess,
    base_parser,
    finish,
    invoice_id,
    print_table,
    rotate,
    spread,
    try_attr,
)

MODULE = "benchmarks.memory"
PER_PAGE = 100


def _rss_mb() -> float:
    import psutil  # type: ignore[import-untyped,unused-ignore]

    return float(psutil.Process().memory_info().rss) / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _child(mode: str, url: str, total: int, prefetch: int) -> dict[str, Any]:
    from qonto_async import QontoClient

    base = f"{url}/n{total}"
    async with QontoClient(
        login=LOGIN,
        secret_key=SECRET_KEY,
        base_url=base,
        requests_per_second=None,
        max_concurrency=max(prefetch, 1) + 1,
    ) as client:
        baseline = _rss_mb()
        t0 = time.perf_counter()
        pages = client.client_invoices.list(per_page=PER_PAGE, prefetch=prefetch)
        count = 0
        cents = 0
        last = None
        if mode == "stream":
            async for inv in pages:
                count += 1
                cents += inv.total_amount_cents or 0
                last = inv.id
        else:
            invoices = await pages.all()
            count = len(invoices)
            cents = sum(inv.total_amount_cents or 0 for inv in invoices)
            last = invoices[-1].id if invoices else None
        elapsed = time.perf_counter() - t0
    if count != total or last != invoice_id(total - 1):
        raise RuntimeError(f"{mode}: got {count} invoices (last {last!r}), expected {total}")
    return {
        "mode": mode,
        "invoices": count,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": _peak_mb(),
        "seconds": elapsed,
        "checksum_cents": cents,
    }


def run_child(mode: str, url: str, total: int, prefetch: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        MODULE,
        "--child",
        mode,
        "--url",
        url,
        "--total",
        str(total),
        "--prefetch",
        str(prefetch),
    ]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} child failed: {proc.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run(args: Any) -> dict[str, Any]:
    scenarios = [
        ("stream", args.stream_total, f"stream {args.stream_total:,} (async for)"),
        ("collect", args.collect_total, f"collect {args.collect_total:,} (.all())"),
    ]
    if args.reference_total:
        # Sensitivity check: collecting more must show up in the peak, or the probe is blind.
        scenarios.append(
            ("reference", args.reference_total, f"collect {args.reference_total:,} (reference)")
        )
    out: dict[str, Any] = {
        "config": {
            "stream_total": args.stream_total,
            "collect_total": args.collect_total,
            "reference_total": args.reference_total,
            "per_page": PER_PAGE,
            "prefetch": args.prefetch,
            "rounds": args.rounds,
            "quick": args.quick,
        }
    }
    _, reason = try_attr("qonto_async", "QontoClient")
    if reason:
        print(reason)
        out["status"] = reason
        return out
    samples: dict[str, list[dict[str, Any]]] = {k: [] for k, _, _ in scenarios}
    with ServerProcess(ServerConfig(list_total=args.stream_total)) as server:
        for r in range(args.rounds):
            for mode, total, _ in rotate(scenarios, r):
                samples[mode].append(run_child(mode, server.url, total, args.prefetch))
            print(f"  round {r + 1}/{args.rounds} done", flush=True)
    rows = []
    summary: dict[str, Any] = {}
    for mode, total, label in scenarios:
        got = samples[mode]
        summary[mode] = {
            "invoices": total,
            "peak_rss_mb": spread([s["peak_rss_mb"] for s in got]),
            "baseline_rss_mb": spread([s["baseline_rss_mb"] for s in got]),
            "growth_mb": spread([s["peak_rss_mb"] - s["baseline_rss_mb"] for s in got]),
            "invoices_per_s": spread([s["invoices"] / s["seconds"] for s in got]),
            "runs": got,
        }
        s = summary[mode]
        rows.append(
            [
                label,
                s["peak_rss_mb"].fmt(",.1f"),
                s["baseline_rss_mb"].fmt(",.1f"),
                s["growth_mb"].fmt(",.1f"),
                s["invoices_per_s"].fmt(",.0f"),
            ]
        )
    print_table(
        f"Peak RSS per fresh process, MB, median [min–max] of {args.rounds} alternating rounds "
        f"(per_page {PER_PAGE}, prefetch {args.prefetch})",
        ["scenario", "peak RSS", "RSS before listing", "growth", "invoices/s"],
        rows,
    )
    diffs = [
        s["peak_rss_mb"] - c["peak_rss_mb"]
        for s, c in zip(samples["stream"], samples["collect"], strict=True)
    ]
    diff = spread(diffs)
    met = diff.median <= 50.0
    print_table(
        "Target: streaming peak within 50 MB of the collecting peak",
        ["measure", "value", "goal", "verdict"],
        [
            [
                "stream peak - collect peak (per round)",
                diff.fmt(",.1f") + " MB",
                "<= 50 MB",
                "met" if met else "NOT met",
            ]
        ],
    )
    out["scenarios"] = summary
    out["target"] = {"stream_minus_collect_mb": diff, "goal_mb": 50.0, "met": met}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = base_parser("memory benchmark")
    parser.add_argument("--stream-total", type=int, default=100_000)
    parser.add_argument("--collect-total", type=int, default=1_000)
    parser.add_argument("--prefetch", type=int, default=8)
    parser.add_argument(
        "--reference-total",
        type=int,
        default=10_000,
        help="also collect this many as a sensitivity check (0 to skip)",
    )
    parser.add_argument(
        "--child", choices=["stream", "collect", "reference"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child, args.url, args.total, args.prefetch))))
        return
    if args.rounds is None:
        args.rounds = 2 if args.quick else 3
    finish("memory", MODULE, run(args))


if __name__ == "__main__":
    main()
