"""Shared helpers for the benchmarks: the two servers (the raw one serving prebuilt bytes,
and FakeQonto, each in a process of its own), timing, statistics, availability checks, table
printing and JSON output. The payloads they serve are `_shapes.py`'s.

Nothing here reads outside `benchmarks/`: the seed payloads live in `benchmarks/data/`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import importlib
import importlib.metadata
import inspect
import json
import multiprocessing
import multiprocessing.connection
import os
import platform
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Self, TypeVar
from urllib.parse import parse_qs

from benchmarks._shapes import (
    InvoiceTemplate,
    compact,
    invoice_id,
    invoices,
    template,
    without_item_discounts,
)

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"

LOGIN = "bench-login"
SECRET_KEY = "bench-secret"
AUTH_HEADER = f"{LOGIN}:{SECRET_KEY}"

NOT_AVAILABLE = "not available yet"

T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# Statistics and timing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Median and spread of repeated measurements."""

    median: float
    minimum: float
    maximum: float
    q1: float
    q3: float
    n: int

    def fmt(self, spec: str = ",.0f", unit: str = "", lone: str = " (n=1)") -> str:
        """``median[unit] [min–max]``; of a single value, ``median[unit][lone]``."""
        if self.n == 1:
            return f"{self.median:{spec}}{unit}{lone}"
        return f"{self.median:{spec}}{unit} [{self.minimum:{spec}}–{self.maximum:{spec}}]"


def spread(values: Sequence[float]) -> Spread:
    vals = sorted(values)
    if not vals:
        raise ValueError("no values")
    if len(vals) >= 2:
        q1, _, q3 = statistics.quantiles(vals, n=4, method="inclusive")
    else:
        q1 = q3 = vals[0]
    return Spread(statistics.median(vals), vals[0], vals[-1], q1, q3, len(vals))


def paired(num: Sequence[float], den: Sequence[float]) -> Spread:
    """The spread of per-round ratios ``num[r] / den[r]``: contenders alternate inside a round,
    so a round is a fair pair (unmatched trailing rounds are left out)."""
    return spread([x / y for x, y in zip(num, den, strict=False)])


@dataclass
class Stopwatch:
    """Wall time (perf_counter) and this process's CPU time (all threads) of a block."""

    wall: float = 0.0
    cpu: float = 0.0
    _w0: float = field(default=0.0, repr=False)
    _c0: float = field(default=0.0, repr=False)

    def __enter__(self) -> Stopwatch:
        self._w0 = time.perf_counter()
        self._c0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._w0
        self.cpu = time.process_time() - self._c0


def settle() -> None:
    """Between measured rounds: collect garbage, so one contender's leftovers do not bill the
    next one."""
    gc.collect()


def rotate(items: Sequence[T], k: int) -> list[T]:
    """Round r runs the contenders in a rotated order, so drift on a noisy machine spreads
    evenly over them."""
    k %= max(1, len(items))
    return list(items[k:]) + list(items[:k])


# --------------------------------------------------------------------------------------------
# Availability of the SDK parts (they land in parallel; a missing part is reported, never faked)
# --------------------------------------------------------------------------------------------


def try_attr(module: str, attr: str) -> tuple[Any | None, str | None]:
    """(object, None) if `module.attr` imports, else (None, reason)."""
    try:
        mod = importlib.import_module(module)
    except Exception as exc:
        return None, f"{NOT_AVAILABLE}: import {module} failed ({type(exc).__name__}: {exc})"
    obj = getattr(mod, attr, None)
    if obj is None:
        return None, f"{NOT_AVAILABLE}: {module}.{attr} does not exist"
    return obj, None


def without_budget() -> dict[str, Any]:
    """`QontoClient` arguments that turn its 10-minute budget off, where the client has one
    (the local servers emulate at most Qonto's 10-second window)."""
    from qonto_async import QontoClient

    if "requests_per_10_minutes" in inspect.signature(QontoClient).parameters:
        return {"requests_per_10_minutes": None}
    return {}


def unlimited_client(base_url: str, **kwargs: Any) -> Any:
    """A `QontoClient` on the raw server (`ServerProcess`): its credentials, and neither the
    rate limiter (90/s, for Qonto's 1,000 requests / 10 s) nor the 10-minute budget: the local
    server has no rate limit, and they would measure themselves, not the SDK."""
    from qonto_async import QontoClient

    return QontoClient(
        login=LOGIN,
        secret_key=SECRET_KEY,
        base_url=base_url,
        requests_per_second=None,
        **without_budget(),
        **kwargs,
    )


# --------------------------------------------------------------------------------------------
# The local HTTP server, in its own process, serving prebuilt bytes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerConfig:
    """What the raw server serves.

    - `GET /v2/client_invoices/{id}` for `invoice_id(0..n_ids-1)`: prebuilt response bytes;
      any other `invoice_id(i)` is built when asked.
    - `GET /qodev/v2/client_invoices/{id}`: the same invoices without `items[].discount`
      (only built when `qodev_variant`).
    - `GET /v2/client_invoices?page=&per_page=`: `list_total` invoices, pages built on request
      from a byte template (100,000 invoices would not fit prebuilt in a small machine).
      `GET /n<total>/v2/client_invoices` serves a list of `<total>` invoices instead (a client
      pointed at `base_url=<url>/n1000` sees 1,000 invoices).
    - `shape`: which invoices (`benchmarks._shapes`); a path starting `/shape-<name>` serves
      another shape, built when first asked (`base_url=<url>/shape-real_no_drafts/n1000`).
    """

    n_ids: int = 0
    list_total: int = 0
    qodev_variant: bool = False
    shape: str = "real"


def _response(status: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 "
        + status
        + b"\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


_NOT_FOUND = _response(
    b"404 Not Found", b'{"errors":[{"code":"not_found","detail":"Not found"}],"trace_id":"bench"}'
)


class _Router:
    def __init__(self, config: ServerConfig) -> None:
        self._template_of = template
        self.shape = config.shape
        self.template = template(config.shape)
        self.by_id: dict[bytes, bytes] = {
            invoice_id(i).encode(): _response(b"200 OK", self.template.single(i))
            for i in range(config.n_ids)
        }
        self.qodev_by_id: dict[bytes, bytes] = {}
        if config.qodev_variant:
            variant = InvoiceTemplate([without_item_discounts(x) for x in invoices(config.shape)])
            self.qodev_by_id = {
                invoice_id(i).encode(): _response(b"200 OK", variant.single(i))
                for i in range(config.n_ids)
            }
        self.list_total = config.list_total
        self.requests = 0

    def __call__(self, target: bytes) -> bytes:
        self.requests += 1
        path, _, query = target.partition(b"?")
        total = self.list_total
        template = self.template
        by_id = self.by_id
        if path.startswith(b"/shape-"):  # /shape-<name>/...: another shape
            prefix, _, rest = path[1:].partition(b"/")
            shape, path = prefix[6:].decode(), b"/" + rest
            if shape != self.shape:
                template, by_id = self._template_of(shape), {}
        if path.startswith(b"/n") and path[2:3].isdigit():  # /n<total>/v2/...: a smaller list
            prefix, _, rest = path[1:].partition(b"/")
            total, path = int(prefix[1:]), b"/" + rest
        if path.startswith(b"/v2/client_invoices/"):
            found = by_id.get(path[20:])
            return found if found is not None else self._on_demand(template, path[20:])
        if path.startswith(b"/qodev/v2/client_invoices/"):
            return self.qodev_by_id.get(path[26:], _NOT_FOUND)
        if path == b"/v2/client_invoices":
            q = parse_qs(query.decode())
            bounds = {k: v[0] for k, v in q.items() if k.startswith("filter[created_at_")}
            page = int((q.get("page") or q.get("current_page") or ["1"])[0])
            per_page = int((q.get("per_page") or ["100"])[0])
            body = template.page(
                page,
                per_page,
                total,
                created_from=bounds.get("filter[created_at_from]"),
                created_to=bounds.get("filter[created_at_to]"),
                ascending=(q.get("sort_by") or [""])[0] == "created_at:asc",
            )
            return _response(b"200 OK", body)
        if path == b"/__stats":
            return _response(b"200 OK", compact({"requests": self.requests}))
        return _NOT_FOUND

    def _on_demand(self, template: InvoiceTemplate, raw_id: bytes) -> bytes:
        """Any synthetic invoice id, built when asked (``iter_many`` over 100,000 ids)."""
        try:
            index = int(raw_id[:8], 16)
        except ValueError:
            return _NOT_FOUND
        if invoice_id(index).encode() != raw_id:
            return _NOT_FOUND
        return _response(b"200 OK", template.single(index))


class _HTTPProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server: GET only, responses looked up, no parsing beyond
    the request line and Content-Length."""

    def __init__(self, router: _Router) -> None:
        self.router = router
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            body_len = 0
            lower = head.lower()
            cl = lower.find(b"content-length:")
            if cl >= 0:
                eol = lower.find(b"\r\n", cl)
                body_len = int(lower[cl + 15 : eol if eol >= 0 else None])
            total = end + 4 + body_len
            if len(self.buf) < total:
                return
            self.buf = self.buf[total:]
            first = head.split(b"\r\n", 1)[0]
            parts = first.split(b" ")
            target = parts[1] if len(parts) >= 2 else b"/"
            assert self.transport is not None
            self.transport.write(self.router(target))
            if b"connection: close" in lower:
                self.transport.close()
                return


Reply = Callable[[Any], Any]


async def serve_commands(conn: multiprocessing.connection.Connection, reply: Reply) -> None:
    """In a child server process: answer the parent's messages with `reply(message)` until it
    sends "stop" or goes away."""
    parent = os.getppid()
    while os.getppid() == parent:
        if conn.poll():
            message = conn.recv()
            if message == "stop":
                return
            conn.send(reply(message))
        else:
            await asyncio.sleep(0.05)


def _raw_server_main(config: ServerConfig, conn: multiprocessing.connection.Connection) -> None:
    async def main() -> None:
        router = _Router(config)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _HTTPProtocol(router), "127.0.0.1", 0, backlog=1024
        )
        conn.send({"url": f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"})
        async with server:
            await serve_commands(conn, lambda _: {"requests": router.requests})

    asyncio.run(main())


_CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def pin_apart(server_pid: int) -> str | None:
    """On Linux with two CPUs or more: the server on the last CPU, this process on the others,
    so client and server do not preempt each other (a run on a shared 2-core machine is
    noisy enough). Says what it did, or None where affinity cannot be set."""
    cpus = _CPUS
    if len(cpus) < 2:
        return None
    try:
        os.sched_setaffinity(server_pid, {cpus[-1]})
        os.sched_setaffinity(0, set(cpus[:-1]))
    except OSError:
        return None
    return f"server on CPU {cpus[-1]}, client on CPU {','.join(map(str, cpus[:-1]))}"


class ChildServer:
    """A server running `target(config, conn)` in a separate (spawned) process, pinned to a
    CPU of its own where it can be (`pin_apart`).

    The child sends one "hello" dict first (at least {"url": ...}), then answers messages
    (see `serve_commands`); `ask(message)` sends one and returns the answer."""

    def __init__(
        self,
        target: Callable[[Any, multiprocessing.connection.Connection], None],
        config: Any,
    ) -> None:
        self.config = config
        ctx = multiprocessing.get_context("spawn")
        self._parent_conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(target=target, args=(config, child_conn), daemon=True)
        self.hello: dict[str, Any] = {}
        self.pinned: str | None = None

    @property
    def url(self) -> str:
        return str(self.hello["url"])

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def pid(self) -> int:
        assert self._proc.pid is not None
        return self._proc.pid

    def __enter__(self) -> Self:
        self._proc.start()
        if not self._parent_conn.poll(120):
            self._proc.terminate()
            raise RuntimeError("benchmark server did not start")
        self.hello = self._parent_conn.recv()
        self.pinned = pin_apart(self.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pinned:
            os.sched_setaffinity(0, set(_CPUS))
        with contextlib.suppress(OSError):
            self._parent_conn.send("stop")
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(5)

    def ask(self, message: Any) -> Any:
        self._parent_conn.send(message)
        return self._parent_conn.recv()

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        import psutil  # type: ignore[import-untyped,unused-ignore]

        t = psutil.Process(self.pid).cpu_times()
        return float(t.user + t.system)


class ServerProcess(ChildServer):
    """The raw prebuilt-bytes server (`ServerConfig`) in its own process, 127.0.0.1, free port."""

    def __init__(self, config: ServerConfig) -> None:
        super().__init__(_raw_server_main, config)


# --------------------------------------------------------------------------------------------
# FakeQonto (the project's fake server), in its own process
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeConfig:
    """`FakeQonto(**options)`, with `warm`'s records encoded before anything is timed.

    `replies(fake)`, a module-level function (the config crosses to a spawned process), makes
    the function that answers the parent's messages; by default every message is answered with
    `fake_stats(fake)`."""

    options: dict[str, Any]
    warm: tuple[str, ...] = ("client_invoices",)
    replies: Callable[[Any], Reply] | None = None


def fake_stats(fake: Any) -> dict[str, Any]:
    """What the fake served since the last call (its counters then start over)."""
    served = fake.stats.served["client_invoices"]
    result = {
        "requests": fake.stats.total_requests,
        "rate_limited": fake.stats.rate_limited,
        "too_many_requests": fake.stats.too_many_requests,
        "served_unique": len(served),
        "served_duplicates": sum(n - 1 for n in served.values() if n > 1),
    }
    fake.stats.reset()
    return result


def _fake_main(config: FakeConfig, conn: multiprocessing.connection.Connection) -> None:
    from qonto_async.testing import FakeQonto

    async def main() -> None:
        fake = FakeQonto(**config.options)
        fake.warm(*config.warm)
        reply = config.replies(fake) if config.replies else lambda _: fake_stats(fake)
        async with fake:
            conn.send(
                {
                    "url": fake.base_url,
                    "login": fake.login,
                    "secret_key": fake.secret_key,
                    "ids": fake.ids("client_invoices"),
                }
            )
            await serve_commands(conn, reply)

    asyncio.run(main())


class FakeServer(ChildServer):
    """FakeQonto (`FakeConfig`) in its own process; `client()` opens a `QontoClient` on it."""

    def __init__(self, config: FakeConfig) -> None:
        super().__init__(_fake_main, config)

    def client(self, **kwargs: Any) -> Any:
        from qonto_async import QontoClient

        return QontoClient(
            login=self.hello["login"],
            secret_key=self.hello["secret_key"],
            base_url=self.url,
            **kwargs,
        )


# --------------------------------------------------------------------------------------------
# The raw server's ceiling
# --------------------------------------------------------------------------------------------


class _RawClient(asyncio.Protocol):
    """Keep-alive loop on one connection: send a GET, wait for the whole answer, repeat.
    Knows only our server's fixed header layout; used to measure the server's ceiling."""

    def __init__(self, requests: Sequence[bytes], state: dict[str, Any]) -> None:
        self.requests = requests
        self.state = state
        self.buf = b""
        self.i = 0
        self.transport: asyncio.Transport | None = None
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.transport.write(self.requests[self.i % len(self.requests)])
        self.i += 1

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return
        cl = self.buf.find(b"Content-Length: ")
        body_len = int(self.buf[cl + 16 : self.buf.find(b"\r\n", cl)])
        if len(self.buf) < end + 4 + body_len:
            return
        self.buf = b""
        self.state["count"] += 1
        if self.state["stop"]:
            if not self.done.done():
                self.done.set_result(None)
            assert self.transport is not None
            self.transport.close()
        else:
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def measure_server_ceiling(
    server: ServerProcess, paths: Sequence[str], concurrency: int, duration: float
) -> dict[str, float]:
    """Requests/s the server sustains when driven by a client far lighter than any contender,
    with the server's CPU utilisation over the same interval (1.0 = one core saturated)."""
    requests = [
        f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH_HEADER}\r\n\r\n".encode()
        for p in paths
    ]
    loop = asyncio.get_running_loop()
    state: dict[str, Any] = {"count": 0, "stop": False}
    protocols: list[_RawClient] = []
    for k in range(concurrency):
        _, proto = await loop.create_connection(
            lambda k=k: _RawClient(rotate(requests, k * 7), state),  # type: ignore[misc]
            "127.0.0.1",
            server.port,
        )
        protocols.append(proto)
    await asyncio.sleep(0.2)  # warm
    c0, s0, w0, t0 = state["count"], server.cpu_seconds(), time.process_time(), time.perf_counter()
    await asyncio.sleep(duration)
    c1, s1, w1, t1 = state["count"], server.cpu_seconds(), time.process_time(), time.perf_counter()
    state["stop"] = True
    await asyncio.gather(*(p.done for p in protocols))
    elapsed = t1 - t0
    return {
        "requests_per_s": (c1 - c0) / elapsed,
        "server_cpu_util": (s1 - s0) / elapsed,
        "driver_cpu_util": (w1 - w0) / elapsed,
        "concurrency": float(concurrency),
        "duration_s": elapsed,
    }


# --------------------------------------------------------------------------------------------
# Command line, tables, JSON
# --------------------------------------------------------------------------------------------


def base_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="scaled-down run that finishes in under a minute"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="alternating rounds (default depends on --quick)"
    )
    return parser


def command_line(module: str) -> str:
    """The exact command that reproduces this run, from the repository root."""
    return " ".join(["python", "-m", module, *(shlex.quote(a) for a in sys.argv[1:])])


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    dists = ["qonto-async", "aiohttp", "msgspec", "httpx", "pydantic", "qodev-qonto-api", "psutil"]
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "loadavg_at_end": os.getloadavg(),
        "versions": {d: _version(d) for d in dists},
    }


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table; the first column left-aligned, the others right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        out = [c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)]
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    text = f"\n{title}\n{format_table(headers, rows)}"
    print(text, flush=True)
    return text


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Spread):
        return asdict(obj)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_results(name: str, module: str, results: dict[str, Any]) -> Path:
    """Write `benchmarks/results/<name>.json` with the command and environment; print the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    doc = {
        "benchmark": name,
        "command": command_line(module),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "environment": environment(),
        **_jsonable(results),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path


def finish(name: str, module: str, results: dict[str, Any]) -> None:
    """The last lines every benchmark prints: the reproducing command and the JSON path."""
    path = write_results(name, module, results)
    print(f"\nReproduce with: {command_line(module)}")
    print(f"Results written to {path.relative_to(REPO_ROOT)}")


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"
