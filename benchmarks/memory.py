"""Memory: peak RSS while streaming 100,000 client invoices through the paginator vs while
collecting 1,000 with `.all()`; and while streaming 1,000 / 10,000 / 100,000 invoices by id with
`iter_many` (whose results are never collected, so the peak must not grow with the count).
The invoices are real-shaped (drafts with blank dates among them); the 100,000-invoice stream
and iter_many run again on draft-free invoices, beside them.

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
    REPO_ROOT,
    ServerConfig,
    ServerProcess,
    base_parser,
    finish,
    print_table,
    rotate,
    spread,
    try_attr,
    unlimited_client,
)
from benchmarks._shapes import invoice_id

MODULE = "benchmarks.memory"
DRAFT_FREE = "real_no_drafts"
PER_PAGE = 100


def _rss_mb() -> float:
    import psutil  # type: ignore[import-untyped,unused-ignore]

    return float(psutil.Process().memory_info().rss) / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _child(mode: str, url: str, total: int, prefetch: int) -> dict[str, Any]:
    base = url if mode == "by_id" else f"{url}/n{total}"
    async with unlimited_client(
        base, max_concurrency=16 if mode == "by_id" else max(prefetch, 1) + 1
    ) as client:
        baseline = _rss_mb()
        t0 = time.perf_counter()
        pages = client.client_invoices.list(per_page=PER_PAGE, prefetch=prefetch)
        count = 0
        cents = 0
        last = None
        if mode in ("stream", "by_id"):
            ids = (invoice_id(i) for i in range(total))
            streamed = pages if mode == "stream" else client.client_invoices.iter_many(ids)
            async for inv in streamed:
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
    # (mode, total, shape, label): real-shaped invoices (drafts among them); the largest stream
    # and iter_many again without drafts, beside them.
    scenarios = [
        ("stream", args.stream_total, "real", f"stream {args.stream_total:,} (async for)"),
        ("collect", args.collect_total, "real", f"collect {args.collect_total:,} (.all())"),
    ]
    for total in args.by_id_totals:
        scenarios.append(("by_id", total, "real", f"iter_many {total:,} by id"))
    if args.reference_total:
        # Sensitivity check: collecting more must show up in the peak, or the probe is blind.
        scenarios.append(
            (
                "reference",
                args.reference_total,
                "real",
                f"collect {args.reference_total:,} (reference)",
            )
        )
    scenarios.append(
        ("stream", args.stream_total, DRAFT_FREE, f"stream {args.stream_total:,}, no draft")
    )
    if args.by_id_totals:
        most = max(args.by_id_totals)
        scenarios.append(("by_id", most, DRAFT_FREE, f"iter_many {most:,} by id, no draft"))
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
    samples: dict[str, list[dict[str, Any]]] = {_key(*sc[:3]): [] for sc in scenarios}
    with ServerProcess(ServerConfig(list_total=args.stream_total)) as server:
        for r in range(args.rounds):
            for mode, total, shape, _ in rotate(scenarios, r):
                url = server.url if shape == "real" else f"{server.url}/shape-{shape}"
                samples[_key(mode, total, shape)].append(run_child(mode, url, total, args.prefetch))
            print(f"  round {r + 1}/{args.rounds} done", flush=True)
    rows = []
    summary: dict[str, Any] = {}
    for mode, total, shape, label in scenarios:
        got = samples[_key(mode, total, shape)]
        summary[_key(mode, total, shape)] = {
            "invoices": total,
            "shape": shape,
            "peak_rss_mb": spread([s["peak_rss_mb"] for s in got]),
            "baseline_rss_mb": spread([s["baseline_rss_mb"] for s in got]),
            "growth_mb": spread([s["peak_rss_mb"] - s["baseline_rss_mb"] for s in got]),
            "invoices_per_s": spread([s["invoices"] / s["seconds"] for s in got]),
            "runs": got,
        }
        s = summary[_key(mode, total, shape)]
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
    by_id = [v for k, v in summary.items() if k.startswith("by_id")]
    if by_id:
        worst = max(s["peak_rss_mb"].median for s in by_id)
        by_id_met = worst <= 60.0
        print_table(
            "Target: iter_many of 100,000 ids peaks under 60 MB RSS",
            ["measure", "value", "goal", "verdict"],
            [
                [
                    "highest iter_many peak (median)",
                    f"{worst:,.1f} MB",
                    "<= 60 MB",
                    "met" if by_id_met else "NOT met",
                ]
            ],
        )
        out["by_id_target"] = {"peak_mb": worst, "goal_mb": 60.0, "met": by_id_met}
    out["scenarios"] = summary
    out["target"] = {"stream_minus_collect_mb": diff, "goal_mb": 50.0, "met": met}
    return out


def _key(mode: str, total: int, shape: str = "real") -> str:
    key = f"by_id_{total}" if mode == "by_id" else mode
    return key if shape == "real" else f"{key}_{shape}"


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
        "--by-id-totals",
        type=int,
        nargs="*",
        default=[1_000, 10_000, 100_000],
        help="iter_many scenarios: how many ids each (none to skip)",
    )
    parser.add_argument(
        "--child", choices=["stream", "collect", "reference", "by_id"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--total", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child, args.url, args.total, args.prefetch))))
        return
    if args.rounds is None:
        args.rounds = 2 if args.quick else 3
    if args.quick:
        args.by_id_totals = [t for t in args.by_id_totals if t <= 10_000]
    finish("memory", MODULE, run(args))


if __name__ == "__main__":
    main()
