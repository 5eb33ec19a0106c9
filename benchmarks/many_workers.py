"""Eight worker processes against one Qonto organisation: a shared budget and a shared OAuth
token on Redis, against each process on its own. Both measured side by side in one run.

1. Rate: 8 processes run ``client_invoices.get_many`` against FakeQonto with Qonto's limits
   on (1,000 requests / 10 s, 10,000 / 10 min). With ``RedisRateLimiter`` (97/s, burst 20:
   at most 990 in any 10 s) the goal is zero 429s and an aggregate within 5% of 100
   requests/s; with a gate per process (90/s each), the 429s and the time they cost.
2. OAuth: 8 processes with OAuth credentials while the access tokens are expired every
   ``--expire-every`` seconds. With ``RedisTokenStore`` the goal is one refresh per expiry
   and no 401 surfaced; without it, each process refreshes on its own, spending refresh
   tokens the others hold (Qonto rotates them).

A redis-server is started on a free port (Debian's ``redis-server`` must be installed).
Run from the repository root:  python -m benchmarks.many_workers [--quick]
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks._common import base_parser, finish, print_table
from benchmarks._workers import oauth_worker, rate_worker
from qonto_async.testing import FakeOptions, FakeQonto

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from servers import redis_binary, running_redis

MODULE = "benchmarks.many_workers"
PROCESSES = 8


def in_processes(work: Any, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each job in a process of its own, all at once; a process that dies is an error here,
    not a hang."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(jobs), mp_context=context) as pool:
        return list(pool.map(work, jobs, timeout=600))


def run_rate(fake: FakeQonto, redis_url: str, per_process: int) -> dict[str, Any]:
    ids = fake.ids("client_invoices")
    out: dict[str, Any] = {}
    for label, shared in (("Redis gate", True), ("gate per process", False)):
        fake.stats.reset()
        key = f"bench-{time.time_ns()}"  # one key: one shared budget for all eight
        jobs = [
            {
                "base_url": fake.base_url, "login": fake.login, "secret_key": fake.secret_key,
                "ids": ids[n * per_process : (n + 1) * per_process],
                "redis_url": redis_url if shared else None, "key": key,
            }
            for n in range(PROCESSES)
        ]  # fmt: skip
        print(f"rate: {label}...", flush=True)
        rows = in_processes(rate_worker, jobs)
        wall = max(r["ended"] for r in rows) - min(r["started"] for r in rows)
        done = sum(r["done"] for r in rows)
        out[label] = {
            "wall_seconds": wall,
            "requests_per_second": done / wall,
            "done": done,
            "failed": sum(r["failed"] for r in rows),
            "answered_429": fake.stats.too_many_requests,
            "requests_sent": sum(r["requests"] for r in rows),
        }
    return out


class Expirer(threading.Thread):
    """Expires the fake's access tokens every ``every`` seconds, after the workers start."""

    def __init__(self, fake: FakeQonto, every: float, *, until: float) -> None:
        super().__init__(daemon=True)
        self.fake, self.every, self.until, self.expiries = fake, every, until, 0
        self._stop_asked = threading.Event()

    def run(self) -> None:
        time.sleep(5.0)  # let every worker start and take the first token
        while not self._stop_asked.wait(self.every) and time.time() < self.until:
            self.fake.expire_access_tokens()
            self.expiries += 1

    def stop(self) -> None:
        self._stop_asked.set()
        self.join()


def run_oauth(redis_url: str, seconds: float, expire_every: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, shared in (("RedisTokenStore", True), ("token per process", False)):
        options = FakeOptions(refresh_token_grace=0)
        fake = FakeQonto(seed=2, clients=50, rate_limit=None, options=options)
        key = f"bench-oauth-{time.time_ns()}"  # one key: one shared token for all eight
        until = time.time() + 5 + seconds
        with fake.running_in_thread() as running:
            jobs = [
                {
                    "base_url": running.base_url, "token_url": running.token_url,
                    "client_id": running.client_id, "client_secret": running.client_secret,
                    "refresh_token": running.refresh_token, "ids": running.ids("clients"),
                    "redis_url": redis_url, "key": key,
                    "shared": shared, "seconds": seconds, "until": until,
                }
                for _ in range(PROCESSES)
            ]  # fmt: skip
            print(f"oauth: {label}...", flush=True)
            ticker = Expirer(running, expire_every, until=until - 1.0)
            ticker.start()
            rows = in_processes(oauth_worker, jobs)
            ticker.stop()
            out[label] = {
                "expiries": ticker.expiries,
                "refreshes": running.stats.token_refreshes,
                "hooks_fired": sum(r["refreshed"] for r in rows),
                "requests_done": sum(r["done"] for r in rows),
                "errors_surfaced": sum(len(r["failed"]) for r in rows),
                "error_kinds": sorted({f for r in rows for f in r["failed"]}),
                "stuck": [r["stuck"] for r in rows if "stuck" in r],
            }
    return out


def main() -> None:
    parser = base_parser(__doc__.splitlines()[0] if __doc__ else MODULE)
    parser.add_argument("--per-process", type=int, default=None, help="ids per process")
    parser.add_argument("--expire-every", type=float, default=3.0)
    args = parser.parse_args()
    per_process = args.per_process or (150 if args.quick else 400)
    seconds = 8.0 if args.quick else 20.0
    if redis_binary() is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    with running_redis() as redis_url:
        fake = FakeQonto(seed=1, clients=20, client_invoices=PROCESSES * per_process)
        with fake.running_in_thread() as running:
            rate = run_rate(running, redis_url, per_process)
        oauth = run_oauth(redis_url, seconds, args.expire_every)
    print_table(
        f"{PROCESSES} processes, get_many of {per_process} invoices each, Qonto's limits on",
        ["gate", "req/s (all)", "vs 100/s", "429s", "requests sent", "failed", "wall s"],
        [
            [
                label,
                f"{r['requests_per_second']:.1f}",
                f"{r['requests_per_second'] / 100 - 1:+.1%}",
                str(r["answered_429"]),
                str(r["requests_sent"]),
                str(r["failed"]),
                f"{r['wall_seconds']:.1f}",
            ]
            for label, r in rate.items()
        ],
    )
    print_table(
        f"{PROCESSES} processes on OAuth, tokens expired every {args.expire_every:g} s "
        f"for {seconds:g} s",
        ["tokens", "expiries", "refreshes", "hook calls", "requests", "errors surfaced"],
        [
            [
                label,
                str(r["expiries"]),
                str(r["refreshes"]),
                str(r["hooks_fired"]),
                str(r["requests_done"]),
                f"{r['errors_surfaced']} {r['error_kinds'][:2]}",
            ]
            for label, r in oauth.items()
        ],
    )
    finish("many_workers", MODULE, {"rate": rate, "oauth": oauth, "per_process": per_process})


if __name__ == "__main__":
    main()
