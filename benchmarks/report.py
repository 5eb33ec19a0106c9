"""Run the benchmark suite once and write the README's Performance table from its results.

    python -m benchmarks.report          # run every benchmark, then rewrite the table
    python -m benchmarks.report --no-run # rewrite the table from benchmarks/results/*.json

The table between the ``performance-table`` markers of README.md is generated, never edited by
hand: every figure is a median with its [min-max] spread over alternating rounds, and every row
names the command that measured it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from benchmarks._common import REPO_ROOT, RESULTS_DIR, Spread, paired

README = REPO_ROOT / "README.md"
BEGIN = "<!-- performance-table: begin (python -m benchmarks.report writes it) -->"
END = "<!-- performance-table: end -->"

# What the suite runs: each benchmark's own command line.
SUITE: dict[str, list[str]] = {
    "throughput": ["--concurrency", "1", "64", "--requests", "2000"],
    "instructions": [],
    "decode": [],
    "bulk_export": [],
    "memory": [],
    "listing": [],
    "sync": [],
    "ledger": [],
    "many_workers": [],
    "transactions": [],
}


def run_suite(quick: bool) -> None:
    for name, extra in SUITE.items():
        cmd = [sys.executable, "-m", f"benchmarks.{name}", *extra, *(["--quick"] if quick else [])]
        print(f"$ {' '.join(cmd[1:])}", flush=True)
        subprocess.run(cmd, cwd=REPO_ROOT, check=True)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RESULTS_DIR / f"{name}.json").read_text())
    return data


def _s(spread: dict[str, Any] | None, spec: str, unit: str = "") -> str:
    """``median [min–max]`` of a serialised Spread."""
    return Spread(**spread).fmt(spec, unit, lone="") if spread else "n/a"


def _cmd(data: dict[str, Any]) -> str:
    return f"`{data['command']}`"


def throughput_rows(data: dict[str, Any]) -> list[str]:
    rows = []
    rounds = data["config"]["rounds"]
    for shape in data.get("shapes", {}).values():
        for conc, by in sorted(shape["by_concurrency"].items(), key=lambda kv: -int(kv[0])):
            c, b = by.get("c", {}), by.get("b", {})
            if c.get("status") != "ok" or b.get("status") != "ok":
                continue
            versus = [f"**{_paired(c, b)}** bare aiohttp + msgspec"]
            if by.get("b0", {}).get("status") == "ok":
                versus.append(f"{_paired(c, by['b0'])} the same with native dates")
            for key, label in (("d", "httpx + pydantic v2"), ("e", "qodev-qonto-api")):
                other = by.get(key, {})
                if other.get("status") == "ok":
                    times = c["requests_per_s"]["median"] / other["requests_per_s"]["median"]
                    versus.append(
                        f"**{times:.1f}x** {label}" if times < 10 else f"**{times:.0f}x** {label}"
                    )
            rows.append(
                f"| {data['config']['requests_per_round']:,} client invoices by id "
                f"({shape['label']}), concurrency {conc}, {rounds} paired rounds | `get_many` "
                f"{_s(c['requests_per_s'], ',.0f', ' req/s')}: {', '.join(versus)} "
                f"| {_cmd(data)} |"
            )
    return rows


def _paired(num: dict[str, Any], den: dict[str, Any]) -> str:
    """Median [min–max] of per-round req/s ratios (contenders alternate inside a round)."""
    ratio = paired(
        [x["requests_per_s"] for x in num["rounds"]], [y["requests_per_s"] for y in den["rounds"]]
    )
    return f"{ratio.median:.2f}x [{ratio.minimum:.2f}–{ratio.maximum:.2f}]"


def instructions_rows(data: dict[str, Any]) -> list[str]:
    if "unavailable" in data:
        return []
    config, per = data["config"], data["per_request"]
    if "c" not in per or "b" not in per:
        return []
    counted = config["high"] - config["low"]
    return [
        f"| CPU instructions per request at concurrency 64 (valgrind; {counted:,} "
        f"requests counted, {config['rounds']} rounds) | `get_many` "
        f"{_s(per['c']['instructions'], ',.0f')}, bare aiohttp + msgspec "
        f"{_s(per['b']['instructions'], ',.0f')}: **{_s(per['c']['ratio_to_b'], '.3f', 'x')}** "
        f"| {_cmd(data)} |"
    ]


def decode_rows(data: dict[str, Any]) -> list[str]:
    page = data["payloads"]["page_100"]["contenders"]
    ours, pyd = page["ours"], page.get("pydantic", {})
    rows = [
        f"| decoding a page of 100 client invoices, µs per invoice | ours "
        f"{_s(ours['us_per_object'], '.1f')}, pydantic v2 "
        f"{_s(pyd.get('us_per_object'), '.1f')} (**{pyd['ratio_to_ours']['median']:.1f}x**) "
        f"| {_cmd(data)} |"
    ]
    drafts = data.get("drafts_head_to_head", {})
    for key, what, num, den in (
        ("ratio", "real-shaped page with drafts vs without", "drafts", "no_drafts"),
        (
            "ours_over_native_dates",
            "draft-free page, ours vs msgspec's native dates (which reject drafts)",
            "no_drafts",
            "native_no_drafts",
        ),
    ):
        if key in drafts:
            per = drafts["us_per_invoice"]
            rows.append(
                f"| {what}, µs per invoice | {_s(per[num], '.1f')} vs {_s(per[den], '.1f')}: "
                f"{_s(drafts[key], '.2f', 'x')} | {_cmd(data)} |"
            )
    return rows


def bulk_rows(data: dict[str, Any]) -> list[str]:
    rows = []
    for mode in data.get("modes", {}).values():
        rows.append(
            f"| {mode.get('label', 'bulk export')} | {_s(mode['seconds'], ',.2f', ' s')}, "
            f"{_s(mode['ratio_to_limit'], '.2f', 'x')} the rate-limit bound, "
            f"{mode['server_429s']} 429s, {mode['records_lost']} lost | {_cmd(data)} |"
        )
    return rows


def memory_rows(data: dict[str, Any]) -> list[str]:
    rows = []
    for key, scenario in data["scenarios"].items():
        mode = key.split("_real")[0]
        what = (
            f"`iter_many` over {scenario['invoices']:,} ids"
            if mode.startswith("by_id")
            else {
                "stream": f"streaming {scenario['invoices']:,} listed invoices",
                "collect": f"collecting {scenario['invoices']:,} with `.all()`",
                "reference": f"collecting {scenario['invoices']:,} (reference)",
            }.get(mode, mode)
        )
        if scenario.get("shape", "real") != "real":
            what += ", no draft"
        rows.append(
            f"| peak RSS, {what} | {_s(scenario['peak_rss_mb'], ',.1f', ' MB')} | {_cmd(data)} |"
        )
    return rows


def listing_rows(data: dict[str, Any]) -> list[str]:
    runs = data["runs"]
    requests = {mode: results[0]["requests"] for mode, results in runs.items()}
    return [
        f"| exactly-once listing of {data['invoices']:,} invoices vs offset pages, time | "
        f"{_s(data['ratio'], '.3f', 'x')}, {requests['keyset']} vs {requests['offset']} "
        f"requests | {_cmd(data)} |"
    ]


def sync_rows(data: dict[str, Any]) -> list[str]:
    first, second = data["initial"], data["incremental"]
    return [
        f"| `qonto-async sync`, {data['invoices']:,} invoices, rate limit on: initial, then "
        f"after {second['changed']:,} changed | {first['seconds']:.2f} s and "
        f"{first['requests']} requests, then {second['seconds']:.2f} s and "
        f"{second['requests']} requests | {_cmd(data)} |"
    ]


def sync_bound_rows(data: dict[str, Any]) -> list[str]:
    first = data["initial"]
    bound = first["requests"] / 90.0  # the SDK's default requests_per_second
    return [
        f"| `qonto-async sync`, initial run against the rate-limit bound | "
        f"{first['seconds'] / bound:.2f}x ({first['seconds']:.2f} s against {bound:.2f} s) | "
        f"{_cmd(data)} |"
    ]


def ledger_rows(data: dict[str, Any]) -> list[str]:
    rows = []
    for name in ("SQLite", "PostgreSQL"):
        if name in data:
            found = data[name]
            rows.append(
                f"| ledger writes, {data['rows']:,} rows (about 4 KB of JSON each), {name} | "
                f"{found['new_rows_per_s']:,.0f} rows/s new (one page per commit), "
                f"{found['grouped_rows_per_s']:,.0f} rows/s (8 pages per commit), "
                f"{found['same_rows_per_s']:,.0f} rows/s unchanged | {_cmd(data)} |"
            )
    return rows


def many_workers_rows(data: dict[str, Any]) -> list[str]:
    shared, alone = data["rate"]["Redis gate"], data["rate"]["gate per process"]
    tokens = data["oauth"]["RedisTokenStore"]
    return [
        f"| 8 processes under Qonto's limits: shared Redis gate vs a gate each | "
        f"{shared['requests_per_second']:.1f} vs {alone['requests_per_second']:.1f} req/s, "
        f"{shared['answered_429']} vs {alone['answered_429']} 429s | {_cmd(data)} |",
        f"| 8 processes on OAuth, tokens expired {tokens['expiries']} times: RedisTokenStore | "
        f"{tokens['refreshes']} refreshes (one per expiry, plus the first), "
        f"{tokens['errors_surfaced']} errors | {_cmd(data)} |",
    ]


def transactions_rows(data: dict[str, Any]) -> list[str]:
    limited, decode = data["rate_limited"], data["decode"]
    rate, runs = limited["client_requests_per_second"], limited["runs"]
    rows = []
    for mode, what in (("list", "listed (every account)"), ("sync", "synced to a SQLite ledger")):
        if runs.get(mode):
            rows.append(
                f"| {limited['transactions']:,} transactions {what}, rate limit on | "
                f"{_s(limited['seconds'][mode], ',.2f', ' s')} for {runs[mode][0]['requests']} "
                f"requests: **{_s(limited['ratio'][mode], '.2f', 'x')}** the rate-limit bound "
                f"(requests / {rate:g} req/s) | {_cmd(data)} |"
            )
    per, ratio = decode["us_per_transaction"], decode["ratio_to_ours"]
    rows.append(
        f"| decoding a page of 100 transactions, µs per transaction | ours "
        f"{_s(per['ours'], '.1f')}, pydantic v2 {_s(per['pydantic'], '.1f')} "
        f"(**{ratio['pydantic']['median']:.1f}x**), msgspec to dicts "
        f"{_s(per['msgspec_raw'], '.1f')} | {_cmd(data)} |"
    )
    return rows


def table() -> str:
    lines = [
        BEGIN,
        f"Generated by `python -m benchmarks.report` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d} from one run of the suite; medians with "
        "[min–max] over alternating rounds.",
        "",
        "| what | result | command |",
        "|---|---|---|",
    ]
    for name, rows in (
        ("throughput", throughput_rows),
        ("instructions", instructions_rows),
        ("decode", decode_rows),
        ("bulk_export", bulk_rows),
        ("memory", memory_rows),
        ("listing", listing_rows),
        ("sync", sync_rows),
        ("sync", sync_bound_rows),
        ("ledger", ledger_rows),
        ("many_workers", many_workers_rows),
        ("transactions", transactions_rows),
    ):
        path = RESULTS_DIR / f"{name}.json"
        if path.exists():
            lines += rows(_load(name))
    lines.append(END)
    return "\n".join(lines)


def write_readme() -> None:
    text = README.read_text(encoding="utf-8")
    start, stop = text.index(BEGIN), text.index(END) + len(END)
    README.write_text(text[:start] + table() + text[stop:], encoding="utf-8")
    print(f"wrote the Performance table of {README}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-run", action="store_true", help="use the results already there")
    parser.add_argument("--quick", action="store_true", help="smoke run (not for the README)")
    args = parser.parse_args(argv)
    if not args.no_run:
        run_suite(args.quick)
    write_readme()


if __name__ == "__main__":
    main()
