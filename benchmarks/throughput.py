"""Throughput by id: the same client invoices fetched one by one at several concurrencies.

The invoices are real-shaped (FakeQonto's: drafts with blank dates, nulls, individuals and
companies), then the same without drafts, each shape a run of its own (``--shape``): models that
cannot read a blank date fail on the first and are measured on the second.

Contenders, run in alternating (rotated) order inside every round, all against the same local
server process that serves prebuilt response bytes:

  (a) bare aiohttp GET + read(), no decoding - the ceiling of our transport
  (b) bare aiohttp + msgspec decode into our `ClientInvoice`
  (b0) the same with msgspec's native date parser (faster, cannot read a draft's blank dates)
  (c) qonto_async `client_invoices.get_many(ids)`
  (d) httpx AsyncClient + pydantic v2 equivalent model (`model_validate_json`)
  (e) qodev-qonto-api `QontoClient.get_client_invoice(id)` (httpx + pydantic, from PyPI)

Run from the repository root:  python -m benchmarks.throughput [--quick] [--profile]
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks._common import (
    AUTH_HEADER,
    LOGIN,
    NOT_AVAILABLE,
    RESULTS_DIR,
    SECRET_KEY,
    ServerConfig,
    ServerProcess,
    Spread,
    Stopwatch,
    base_parser,
    finish,
    fmt_ratio,
    measure_server_ceiling,
    paired,
    print_table,
    rotate,
    settle,
    spread,
    try_attr,
    unlimited_client,
)
from benchmarks._native_twin import native_envelope_decoder
from benchmarks._shapes import LABELS, SHAPES, invoice_id, seed_client_invoice

MODULE = "benchmarks.throughput"
CONCURRENCIES = (1, 16, 64)

Fetch = Callable[[Sequence[str]], Awaitable[list[Any]]]
Opener = Callable[[str, int], AbstractAsyncContextManager[Fetch]]


async def pool_map(
    fn: Callable[[str], Awaitable[Any]], ids: Sequence[str], concurrency: int
) -> list[Any]:
    """A fixed pool of `concurrency` workers; results in input order."""
    results: list[Any] = [None] * len(ids)
    work = iter(enumerate(ids))

    async def worker() -> None:
        for i, item in work:
            results[i] = await fn(item)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(ids)))))
    return results


# --------------------------------------------------------------------------------------------
# Contenders
# --------------------------------------------------------------------------------------------


HEADERS = {"Authorization": AUTH_HEADER, "Accept": "application/json"}
Retried = Callable[[Callable[[str], Awaitable[Any]]], Callable[[str], Awaitable[Any]]]


@asynccontextmanager
async def open_aiohttp(
    url: str,
    concurrency: int,
    decode: Callable[[bytes], Any] | None = None,
    retried: Retried | None = None,
) -> AsyncIterator[Fetch]:
    """Bare aiohttp GET + read(), each body decoded by `decode` if given: (a) without, (b)
    and (b0) with; `retried` wraps each request (the --profile ablation)."""
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), headers=HEADERS
    ) as session:
        base = f"{url}/v2/client_invoices/"

        async def one(id_: str) -> Any:
            async with session.get(base + id_) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}")
                return body if decode is None else decode(body)

        each = one if retried is None else retried(one)
        yield lambda ids: pool_map(each, ids, concurrency)


def open_aiohttp_msgspec(url: str, concurrency: int) -> AbstractAsyncContextManager[Fetch]:
    from qonto_async.models import decode_client_invoice

    return open_aiohttp(url, concurrency, decode_client_invoice)


def open_aiohttp_msgspec_native(url: str, concurrency: int) -> AbstractAsyncContextManager[Fetch]:
    """(b) with msgspec's native date parser: a little faster, and fails on drafts."""
    from qonto_async.models import ClientInvoice

    decoder = native_envelope_decoder("client_invoice", ClientInvoice)
    return open_aiohttp(url, concurrency, lambda body: decoder.decode(body).client_invoice)


def open_aiohttp_msgspec_tenacity(url: str, concurrency: int) -> AbstractAsyncContextManager[Fetch]:
    """(b) with one tenacity AsyncRetrying per request, as the SDK's transport does: used by
    --profile to price that layer without a profiler's distortion."""
    from tenacity import (
        AsyncRetrying,
        retry_if_exception_type,
        stop_after_attempt,
        wait_random_exponential,
    )

    from qonto_async.models import decode_client_invoice

    def retried(one: Callable[[str], Awaitable[Any]]) -> Callable[[str], Awaitable[Any]]:
        async def each(id_: str) -> Any:
            retrying = AsyncRetrying(
                stop=stop_after_attempt(4),
                wait=wait_random_exponential(multiplier=0.5, max=8),
                retry=retry_if_exception_type(aiohttp.ClientError),
                reraise=True,
            )
            async for attempt in retrying:
                with attempt:
                    return await one(id_)
            raise AssertionError("unreachable")

        return each

    return open_aiohttp(url, concurrency, decode_client_invoice, retried)


@asynccontextmanager
async def open_qonto_async(url: str, concurrency: int) -> AsyncIterator[Fetch]:
    async with unlimited_client(url, max_concurrency=concurrency) as client:
        yield client.client_invoices.get_many


@asynccontextmanager
async def open_httpx_pydantic(url: str, concurrency: int) -> AsyncIterator[Fetch]:
    # Imported here: benchmarks.instructions runs the other contenders under valgrind, where
    # every import costs forty times what it does outside.
    import httpx

    from benchmarks._pydantic_models import ClientInvoiceResponse

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=HEADERS, limits=limits) as client:

        async def one(id_: str) -> Any:
            resp = await client.get(f"/v2/client_invoices/{id_}")
            resp.raise_for_status()
            return ClientInvoiceResponse.model_validate_json(resp.content).client_invoice

        yield lambda ids: pool_map(one, ids, concurrency)


@asynccontextmanager
async def open_qodev(url: str, concurrency: int) -> AsyncIterator[Fetch]:
    from qodev_qonto_api import QontoClient as QodevClient

    # qodev's base_url includes /v2. Its ClientInvoice model types items[].discount as `str`
    # and rejects Qonto's documented object, so it is pointed at a copy of the same invoices
    # without that key (see README). Its httpx pool is the library default (max 100
    # connections, 20 kept alive): qodev offers no way to change it.
    async with QodevClient(
        login=LOGIN, secret_key=SECRET_KEY, base_url=f"{url}/qodev/v2"
    ) as client:
        yield lambda ids: pool_map(client.get_client_invoice, ids, concurrency)


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    opener: Opener
    requires: tuple[tuple[str, str], ...] = ()

    def unavailable(self) -> str | None:
        for module, attr in self.requires:
            _, reason = try_attr(module, attr)
            if reason:
                return reason
        return None


CONTENDERS = (
    Contender("a", "(a) aiohttp GET+read (ceiling)", open_aiohttp),
    Contender(
        "b",
        "(b) aiohttp + msgspec model",
        open_aiohttp_msgspec,
        (("qonto_async.models", "decode_client_invoice"),),
    ),
    Contender(
        "b0",
        "(b0) (b) with native dates",
        open_aiohttp_msgspec_native,
        (("qonto_async.models", "ClientInvoice"),),
    ),
    Contender(
        "c",
        "(c) qonto_async get_many",
        open_qonto_async,
        (("qonto_async", "QontoClient"),),
    ),
    Contender("d", "(d) httpx + pydantic v2", open_httpx_pydantic),
    Contender(
        "e",
        "(e) qodev-qonto-api",
        open_qodev,
        (("qodev_qonto_api", "QontoClient"),),
    ),
)


def qodev_seed_check() -> str:
    """Can qodev-qonto-api decode Qonto's documented client invoice as it is?"""
    try:
        from qodev_qonto_api import ClientInvoice as QodevInvoice
    except ImportError as exc:
        return f"qodev-qonto-api not installed ({exc})"
    try:
        QodevInvoice.model_validate(seed_client_invoice())
    except Exception as exc:
        first = str(exc).splitlines()[:3]
        return (
            "qodev-qonto-api rejects the documented seed invoice ("
            + " / ".join(line.strip() for line in first)
            + "); (e) is served the same invoices without items[].discount"
        )
    return "qodev-qonto-api decodes the documented seed invoice"


def result_id(result: Any) -> str | None:
    if isinstance(result, bytes):
        return result.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode()
    return getattr(result, "id", None)


def check_results(ids: Sequence[str], results: Sequence[Any]) -> None:
    if len(results) != len(ids):
        raise RuntimeError(f"{len(results)} results for {len(ids)} ids")
    for i in {0, len(ids) // 2, len(ids) - 1}:
        if result_id(results[i]) != ids[i]:
            raise RuntimeError(f"result {i} is {result_id(results[i])!r}, expected {ids[i]!r}")


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    requests_per_s: float
    cpu_us_per_request: float
    server_cpu_util: float


async def measure(
    contender: Contender, server: ServerProcess, ids: Sequence[str], concurrency: int
) -> Sample:
    async with contender.opener(server.url, concurrency) as fetch:
        warm = ids[: max(2 * concurrency, 50)]
        check_results(warm, await fetch(warm))  # connections open, caches warm
        settle()
        s0 = server.cpu_seconds()
        with Stopwatch() as sw:
            results = await fetch(ids)
        s1 = server.cpu_seconds()
        check_results(ids, results)
        del results
    n = len(ids)
    return Sample(n / sw.wall, sw.cpu / n * 1e6, (s1 - s0) / sw.wall)


async def run(args: Any) -> dict[str, Any]:
    n = args.requests
    ids = [invoice_id(i) for i in range(n)]
    available = []
    skipped: dict[str, str] = {}
    for c in CONTENDERS:
        reason = c.unavailable()
        if c.key not in args.contenders:
            reason = "not asked for (--contenders)"
        if reason:
            skipped[c.key] = reason
            print(f"{c.label}: {reason}", flush=True)
        else:
            available.append(c)

    results: dict[str, Any] = {
        "config": {
            "requests_per_round": n,
            "rounds": args.rounds,
            "concurrencies": list(args.concurrency),
            "shapes": list(args.shape),
            "contenders": list(args.contenders),
            "quick": args.quick,
        },
        "contenders": {c.key: c.label for c in CONTENDERS},
        "unavailable": skipped,
        "shapes": {},
    }
    results["qodev_seed_check"] = qodev_seed_check()
    print(f"(e): {results['qodev_seed_check']}")
    for shape in args.shape:
        print(f"\n== Invoices {LABELS[shape]} ({shape})", flush=True)
        results["shapes"][shape] = await run_shape(args, shape, ids, available, skipped)
    return results


async def run_shape(
    args: Any,
    shape: str,
    ids: Sequence[str],
    available: Sequence[Contender],
    skipped: dict[str, str],
) -> dict[str, Any]:
    out: dict[str, Any] = {"label": LABELS[shape], "server_ceiling": {}, "by_concurrency": {}}
    config = ServerConfig(n_ids=len(ids), qodev_variant=True, shape=shape)
    with ServerProcess(config) as server:
        out["pinned"] = server.pinned
        print(f"CPU affinity: {server.pinned or 'not set (one CPU, or not Linux)'}")
        paths = [f"/v2/client_invoices/{i}" for i in ids]
        ceil_rows = []
        for conc in args.concurrency:
            ceiling = await measure_server_ceiling(server, paths, conc, 1.0 if args.quick else 2.0)
            out["server_ceiling"][str(conc)] = ceiling
            ceil_rows.append(
                [
                    str(conc),
                    f"{ceiling['requests_per_s']:,.0f}",
                    f"{ceiling['server_cpu_util']:.0%}",
                    f"{ceiling['driver_cpu_util']:.0%}",
                ]
            )
        print_table(
            "Local server ceiling (raw keep-alive client, no HTTP library, no decoding)",
            ["concurrency", "req/s", "server CPU", "driver CPU"],
            ceil_rows,
        )

        for conc in args.concurrency:
            samples: dict[str, list[Sample]] = {c.key: [] for c in available}
            errors: dict[str, str] = {}
            for r in range(args.rounds):
                for c in rotate(available, r):
                    if c.key in errors:
                        continue
                    try:
                        samples[c.key].append(await measure(c, server, ids, conc))
                    except Exception as exc:  # e.g. a model that cannot read drafts
                        errors[c.key] = f"{type(exc).__name__}: {str(exc)[:300]}"
                        print(f"{c.label} failed at concurrency {conc}: {errors[c.key]}")
                print(f"  concurrency {conc}: round {r + 1}/{args.rounds} done", flush=True)
            out["by_concurrency"][str(conc)] = summarize(conc, samples, errors, skipped)
            print_concurrency(conc, out["by_concurrency"][str(conc)])
    out["targets"] = targets(out, max(args.concurrency))
    print_targets(out["targets"])
    return out


def _ratio(num: list[Sample], den: list[Sample], attr: str) -> Spread:
    return paired([getattr(x, attr) for x in num], [getattr(y, attr) for y in den])


def summarize(
    conc: int,
    samples: dict[str, list[Sample]],
    errors: dict[str, str],
    skipped: dict[str, str],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    base = samples.get("a", [])
    for c in CONTENDERS:
        got = samples.get(c.key, [])
        if c.key in skipped or c.key in errors or not got:
            out[c.key] = {"status": skipped.get(c.key) or errors.get(c.key) or "no samples"}
            continue
        out[c.key] = {
            "status": "ok",
            "requests_per_s": spread([s.requests_per_s for s in got]),
            "cpu_us_per_request": spread([s.cpu_us_per_request for s in got]),
            "server_cpu_util": spread([s.server_cpu_util for s in got]),
            "rps_ratio_to_a": _ratio(got, base, "requests_per_s") if base else None,
            "cpu_ratio_to_a": _ratio(got, base, "cpu_us_per_request") if base else None,
            "rounds": [s.__dict__ for s in got],
        }
    return out


def print_concurrency(conc: int, summary: dict[str, Any]) -> None:
    rows = []
    notes = []
    for c in CONTENDERS:
        s = summary[c.key]
        if s["status"] != "ok":
            rows.append([c.label, "—", "—", "—", "—", "—"])
            notes.append(f"  {c.label}: {s['status']}")
            continue
        rr: Spread | None = s["rps_ratio_to_a"]
        cr: Spread | None = s["cpu_ratio_to_a"]
        rows.append(
            [
                c.label,
                s["requests_per_s"].fmt(",.0f"),
                rr.fmt(".2f") if rr else "n/a",
                s["cpu_us_per_request"].fmt(",.0f"),
                cr.fmt(".2f") if cr else "n/a",
                f"{s['server_cpu_util'].median:.0%}",
            ]
        )
    print_table(
        f"Concurrency {conc}: median [min–max] over rounds",
        ["contender", "req/s", "req/s ÷ (a)", "client CPU µs/req", "CPU ÷ (a)", "server CPU"],
        rows,
    )
    for note in notes:
        print(note)


def _median_ratio(by: dict[str, Any], num: str, den: str) -> Spread | None:
    a, b = by.get(num, {}), by.get(den, {})
    if a.get("status") != "ok" or b.get("status") != "ok":
        return None
    return paired(
        [r["requests_per_s"] for r in a["rounds"]], [r["requests_per_s"] for r in b["rounds"]]
    )


def targets(results: dict[str, Any], conc: int) -> dict[str, Any]:
    by = results["by_concurrency"].get(str(conc), {})
    out: dict[str, Any] = {"concurrency": conc}
    for name, num, den, goal in (
        ("c_over_b", "c", "b", 0.95),
        ("c_over_b0", "c", "b0", 0.95),
        ("c_over_d", "c", "d", 5.0),
        ("c_over_e", "c", "e", 5.0),
    ):
        ratio = _median_ratio(by, num, den)
        value = None if ratio is None else ratio.median
        out[name] = {
            "value": value,
            "spread": ratio,
            "goal": goal,
            "met": None if value is None else value >= goal,
        }
    return out


def print_targets(t: dict[str, Any]) -> None:
    labels = {
        "c_over_b": "(c) ÷ (b) req/s",
        "c_over_b0": "(c) ÷ (b0) req/s",
        "c_over_d": "(c) ÷ (d) req/s",
        "c_over_e": "(c) ÷ (e) req/s",
    }
    rows = []
    for key, label in labels.items():
        v = t[key]
        met = v["met"]
        verdict = NOT_AVAILABLE if met is None else ("met" if met else "NOT met")
        rows.append([label, fmt_ratio(v["value"]), f">= {v['goal']:g}x", verdict])
    print_table(
        f"Targets at concurrency {t['concurrency']} (median of per-round ratios)",
        ["ratio", "value", "goal", "verdict"],
        rows,
    )


# --------------------------------------------------------------------------------------------
# Profiling (c) against (b)
# --------------------------------------------------------------------------------------------


def _frame_key(frame: Any) -> str:
    path = frame.file_path or ""
    short = "/".join(Path(path).parts[-2:]) if path else "built-in"
    return f"{frame.function} ({short}:{frame.line_no})"


def _package(path: str | None, caller: str) -> str:
    """The distribution or stdlib module a frame belongs to; C functions count for their caller."""
    if not path or path.startswith("<"):
        return caller
    parts = Path(path).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].split(".")[0]
    for ours in ("qonto_async", "benchmarks"):
        if ours in parts:
            return ours
    stdlib = next((i for i, p in enumerate(parts) if p.startswith("python3")), None)
    if stdlib is not None and stdlib + 1 < len(parts):
        return parts[stdlib + 1].removesuffix(".py")
    return Path(path).stem


def _flat_profile(session: Any, top: int) -> dict[str, list[Any]]:
    """From a pyinstrument session, each as (name, seconds, share of all samples):
    functions by self time, packages by self time, qonto_async functions by inclusive time."""
    root = session.root_frame()
    if root is None:
        return {"functions": [], "packages": [], "qonto_async": []}
    self_time: dict[str, float] = {}
    by_package: dict[str, float] = {}
    inclusive: dict[str, float] = {}
    stack: list[tuple[Any, str, str, frozenset[str]]] = [
        (root, _frame_key(root), "asyncio", frozenset())
    ]
    while stack:
        frame, key, package, on_path = stack.pop()
        if frame.is_synthetic or not frame.children:  # "[self]" leaves carry the parent's time
            self_time[key] = self_time.get(key, 0.0) + frame.time
            by_package[package] = by_package.get(package, 0.0) + frame.time
            if frame.is_synthetic:
                continue
        if "qonto_async" in (frame.file_path or "") and key not in on_path:
            inclusive[key] = inclusive.get(key, 0.0) + frame.time
        child_path = on_path | {key}
        for child in frame.children:
            if child.is_synthetic:
                stack.append((child, key, package, child_path))
            else:
                pkg = _package(child.file_path, package)
                stack.append((child, _frame_key(child), pkg, child_path))
    whole = root.time or 1.0

    def ranked(d: dict[str, float], n: int) -> list[Any]:
        best = sorted(d.items(), key=lambda kv: kv[1], reverse=True)[:n]
        return [(k, v, v / whole) for k, v in best]

    return {
        "functions": ranked(self_time, top),
        "packages": ranked(by_package, 15),
        "qonto_async": ranked(inclusive, top),
    }


async def profile(args: Any) -> dict[str, Any]:
    from pyinstrument import Profiler

    conc = max(args.concurrency)
    n = args.requests
    ids = [invoice_id(i) for i in range(n)]
    out: dict[str, Any] = {"concurrency": conc, "requests": n, "profiles": {}}
    chosen = [c for c in CONTENDERS if c.key in ("b", "c")]
    with ServerProcess(ServerConfig(n_ids=n, shape=args.shape[0])) as server:
        for c in chosen:
            reason = c.unavailable()
            if reason:
                out["profiles"][c.key] = {"status": reason}
                print(f"{c.label}: {reason}")
                continue
            async with c.opener(server.url, conc) as fetch:
                await fetch(ids[:200])
                settle()
                profiler = Profiler(interval=0.001, async_mode="disabled")
                with Stopwatch() as sw:
                    profiler.start()
                    for _ in range(args.rounds):
                        await fetch(ids)
                    profiler.stop()
            prof = _flat_profile(profiler.last_session, 20)
            html = RESULTS_DIR / f"throughput_profile_{c.key}.html"
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            html.write_text(profiler.output_html(), encoding="utf-8")
            total_requests = n * args.rounds
            cpu_us = sw.cpu / total_requests * 1e6
            out["profiles"][c.key] = {
                "status": "ok",
                "cpu_us_per_request_under_profiler": cpu_us,
                "html": str(html),
                **{
                    name: [{"name": f, "seconds": sec, "share": sh} for f, sec, sh in rows]
                    for name, rows in prof.items()
                },
            }
            print_table(
                f"{c.label} at concurrency {conc}: top self time ({total_requests} requests, "
                f"{cpu_us:,.0f} CPU µs/req under the profiler; HTML: {html.name})",
                ["function (file:line)", "self s", "share"],
                [[f[:90], f"{sec:.3f}", f"{sh:.1%}"] for f, sec, sh in prof["functions"]],
            )
            if prof["qonto_async"]:
                print_table(
                    f"{c.label}: qonto_async functions by inclusive time",
                    ["function (file:line)", "incl. s", "share"],
                    [[f[:90], f"{sec:.3f}", f"{sh:.1%}"] for f, sec, sh in prof["qonto_async"]],
                )
        # Ablation without the profiler: what one AsyncRetrying per request costs on its own.
        ablation = [c for c in CONTENDERS if c.key in ("b", "c") and c.unavailable() is None]
        if len(ablation) == 2:
            ablation.insert(
                1,
                Contender(
                    "b+tenacity",
                    "(b) + one tenacity AsyncRetrying per request",
                    open_aiohttp_msgspec_tenacity,
                ),
            )
            cpu: dict[str, list[float]] = {c.key: [] for c in ablation}
            for r in range(max(3, args.rounds)):
                for c in rotate(ablation, r):
                    sample = await measure(c, server, ids, conc)
                    cpu[c.key].append(sample.cpu_us_per_request)
            base = spread(cpu["b"]).median
            out["ablation_cpu_us_per_request"] = {k: spread(v) for k, v in cpu.items()}
            print_table(
                f"Ablation at concurrency {conc}, no profiler: client CPU µs per request, "
                "median [min–max]",
                ["contender", "CPU µs/req", "extra vs (b)"],
                [
                    [
                        c.label,
                        spread(cpu[c.key]).fmt(",.0f"),
                        f"{spread(cpu[c.key]).median - base:+,.0f}",
                    ]
                    for c in ablation
                ],
            )
    done = {k: v for k, v in out["profiles"].items() if v.get("status") == "ok"}
    if done:
        packages = sorted({p["name"] for v in done.values() for p in v["packages"]})
        rows = []
        for pkg in packages:
            cells = [pkg]
            for v in done.values():
                share = next((p["share"] for p in v["packages"] if p["name"] == pkg), 0.0)
                cells.append(
                    f"{share:.1%} = {share * v['cpu_us_per_request_under_profiler']:,.0f} µs"
                )
            rows.append(cells)
        rows.sort(key=lambda r: -float(r[-1].split(" = ")[1].split()[0].replace(",", "")))
        print_table(
            "Self time by package (C functions count for their caller), share and µs per "
            "request under the profiler",
            ["package", *(f"({k})" for k in done)],
            rows,
        )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else "throughput")
    parser.add_argument("--requests", type=int, default=None, help="ids fetched per round")
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=list(CONCURRENCIES), help="levels to run"
    )
    parser.add_argument(
        "--shape",
        nargs="+",
        choices=SHAPES,
        default=["real", "real_no_drafts"],
        help="invoices served, each shape a run of its own (default: both real shapes)",
    )
    parser.add_argument(
        "--contenders",
        nargs="+",
        choices=[c.key for c in CONTENDERS],
        default=[c.key for c in CONTENDERS],
        help="which to run (default: all; (d) and (e) take most of the time)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile (b) and (c) at the highest concurrency with pyinstrument instead",
    )
    args = parser.parse_args(argv)
    if args.requests is None:
        args.requests = 500 if args.quick else 5_000
    if args.rounds is None:
        args.rounds = (2 if args.quick else 3) if args.profile else (3 if args.quick else 10)
    if args.profile:
        finish("throughput_profile", MODULE, asyncio.run(profile(args)))
    else:
        finish("throughput", MODULE, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
