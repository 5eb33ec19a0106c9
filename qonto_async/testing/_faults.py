"""Fault injection and rate limiting for the fake server."""

from __future__ import annotations

import collections
import dataclasses
import fnmatch
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aiohttp import hdrs, web

from ._responses import STATUS_CODES, error_response, proxy_page

__all__ = [
    "QONTO_RATE_LIMITS",
    "Decision",
    "FaultAction",
    "FaultState",
    "Faults",
    "RateLimit",
    "SlidingWindowLimiter",
    "fault_response",
    "format_retry_after",
    "truncate",
]

ERROR_BODIES = ("json", "empty", "html")


@dataclass(frozen=True, slots=True)
class FaultAction:
    """What the fake does to one request instead of (or on top of) answering it normally.

    ``kind`` is ``ok``, ``error`` (``status`` 5xx with a ``body`` of ``json``, ``empty`` or
    ``html``), ``throttle`` (429 with ``Retry-After``), ``drop`` (connection closed without an
    answer; ``body`` ``after``: closed once the request was carried out, so a write happened
    and its answer is lost), ``truncate`` (``body`` ``content_length``: fewer bytes than the
    announced Content-Length, then the connection closes; ``json``: a well-framed answer whose
    JSON is cut) or ``html`` (a proxy's HTML error page with ``status``).
    """

    kind: str
    status: int = 0
    body: str = ""

    @property
    def label(self) -> str:
        """Key used in ``Stats.faults``: ``"503"``, ``"503:html"``, ``"429"``, ``"drop"``..."""
        if self.kind == "error":
            return str(self.status) if self.body == "json" else f"{self.status}:{self.body}"
        if self.kind == "throttle":
            return "429"
        if self.kind == "truncate" and self.body == "json":
            return "truncate:json"
        if self.kind == "drop" and self.body == "after":
            return "drop:after"
        return self.kind

    @classmethod
    def parse(cls, text: str) -> FaultAction:
        """``ok``, ``500``/``502:empty``/``503:html``, ``429``, ``drop``, ``drop:after``,
        ``truncate``, ``truncate:json``, ``html``/``html:504``."""
        name, _, variant = text.strip().partition(":")
        if name.isdigit():
            status = int(name)
            if status == 429:
                return cls("throttle", 429)
            if not 500 <= status <= 599:
                raise ValueError(f"fault status must be 429 or 5xx, not {status}")
            body = variant or "json"
            if body not in ERROR_BODIES:
                raise ValueError(f"error body must be one of {ERROR_BODIES}, not {body!r}")
            return cls("error", status, body)
        if name == "truncate":
            mode = variant or "content_length"
            if mode not in ("content_length", "json"):
                raise ValueError(f"truncate mode must be content_length or json, not {mode!r}")
            return cls("truncate", body=mode)
        if name == "html":
            return cls("html", int(variant or 502))
        if name == "drop" and variant == "after":
            return cls("drop", body="after")
        if name in ("ok", "drop") and not variant:
            return cls(name)
        raise ValueError(f"unknown fault action {text!r}")


@dataclass(frozen=True, kw_only=True)
class Faults:
    """Which requests fail, and how. Switch at runtime with ``fake.faults = Faults(...)``.

    A request is *eligible* when its path matches one of ``paths`` (``fnmatch`` patterns) and,
    if ``first_n`` is set, it is among the first ``first_n`` eligible requests since these
    faults were installed. Eligible requests first take the scripted ``sequence`` actions in
    order, then draw against the ``*_rate`` shares (checked in the order error, throttle, drop,
    truncate, html, drop_after; their sum must not exceed 1). ``drop_after_rate`` carries the
    request out (a write commits) and then drops the connection before the answer. Draws come
    from ``random.Random(seed)`` (``seed`` defaults to the fake's seed), so a run is
    reproducible for a given arrival order of requests. Latency (``latency`` + uniform
    ``[0, jitter)`` seconds) is added to every eligible request. A fault never alters the
    data of an answer it lets through.

    ``retry_after`` is the ``Retry-After`` of injected 429s (seconds, or a string sent as is,
    such as an HTTP date; ``None`` sends none); ``error_retry_after`` adds one to injected
    5xx answers too (none by default).
    """

    latency: float = 0.0
    jitter: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    error_bodies: tuple[str, ...] = ERROR_BODIES
    error_retry_after: float | str | None = None
    throttle_rate: float = 0.0
    retry_after: float | str | None = 1
    drop_rate: float = 0.0
    truncate_rate: float = 0.0
    truncate_mode: Literal["content_length", "json"] = "content_length"
    html_rate: float = 0.0
    html_status: int = 502
    drop_after_rate: float = 0.0
    sequence: tuple[str, ...] = ()
    first_n: int | None = None
    paths: tuple[str, ...] = ("/v2/*",)
    seed: int | None = None

    def __post_init__(self) -> None:
        rates = (
            self.error_rate,
            self.throttle_rate,
            self.drop_rate,
            self.truncate_rate,
            self.html_rate,
            self.drop_after_rate,
        )
        if any(r < 0 for r in rates) or sum(rates) > 1.000001:
            raise ValueError("fault rates must be >= 0 and sum to at most 1")
        if self.latency < 0 or self.jitter < 0:
            raise ValueError("latency and jitter must be >= 0")
        if not self.error_statuses or any(not 500 <= s <= 599 for s in self.error_statuses):
            raise ValueError("error_statuses must be non-empty 5xx statuses")
        if not self.error_bodies or any(b not in ERROR_BODIES for b in self.error_bodies):
            raise ValueError(f"error_bodies must be taken from {ERROR_BODIES}")
        if self.first_n is not None and self.first_n < 0:
            raise ValueError("first_n must be >= 0")
        for action in self.sequence:
            FaultAction.parse(action)
        object.__setattr__(self, "paths", tuple(self.paths))
        object.__setattr__(self, "sequence", tuple(self.sequence))

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """Build from a compact spec, as the CLIs take it.

        Comma-separated ``key=value``: ``error``, ``throttle``, ``drop``, ``truncate``, ``html``,
        ``drop_after`` (shares, ``0.1`` or ``10%``), ``latency``/``jitter`` (``50ms``, ``0.05s`` or
        seconds), ``retry_after`` / ``error_retry_after`` (seconds), ``first`` (int),
        ``paths`` (``|``-separated patterns), ``seq`` (``+``-separated actions, e.g.
        ``503+drop+429``), ``seed``, ``truncate_mode``, ``statuses`` (``|``-separated 5xx),
        ``bodies`` (``json|empty|html``).
        Example: ``error=5%,throttle=2%,drop=1%,latency=20ms``.
        """
        values: dict[str, object] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault spec item {part!r} is not key=value")
            key = key.strip().replace("-", "_")
            value = value.strip()
            if key in ("error", "throttle", "drop", "truncate", "html", "drop_after"):
                values[f"{key}_rate"] = _share(value)
            elif key in ("latency", "jitter"):
                values[key] = _seconds(value)
            elif key in ("retry_after", "error_retry_after"):
                values[key] = float(value)
            elif key == "first":
                values["first_n"] = int(value)
            elif key == "paths":
                values[key] = tuple(p for p in value.split("|") if p)
            elif key in ("seq", "sequence"):
                values["sequence"] = tuple(a for a in value.split("+") if a)
            elif key == "seed":
                values[key] = int(value)
            elif key == "truncate_mode":
                values[key] = value
            elif key == "statuses":
                values["error_statuses"] = tuple(int(s) for s in value.split("|"))
            elif key == "bodies":
                values["error_bodies"] = tuple(value.split("|"))
            else:
                raise ValueError(f"unknown fault spec key {key!r}")
        return cls(**values)  # type: ignore[arg-type]

    def replace(self, **changes: object) -> Faults:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _share(text: str) -> float:
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text)


def _seconds(text: str) -> float:
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    if text.endswith("s"):
        return float(text[:-1])
    return float(text)


@dataclass(frozen=True, slots=True)
class Decision:
    delay: float
    action: FaultAction | None


class FaultState:
    """Runtime side of one ``Faults``: the draw sequence and the eligible-request count."""

    def __init__(self, faults: Faults, default_seed: int) -> None:
        self.faults = faults
        self._rng = random.Random(faults.seed if faults.seed is not None else default_seed)
        self._sequence = [FaultAction.parse(a) for a in faults.sequence]
        self._seen = 0
        f = faults
        self._error_actions = [
            FaultAction("error", status, body)
            for status in f.error_statuses
            for body in f.error_bodies
        ]
        self._thresholds: list[tuple[float, str]] = []
        acc = 0.0
        for rate, kind in (
            (f.error_rate, "error"),
            (f.throttle_rate, "throttle"),
            (f.drop_rate, "drop"),
            (f.truncate_rate, "truncate"),
            (f.html_rate, "html"),
            (f.drop_after_rate, "drop_after"),
        ):
            if rate > 0:
                acc += rate
                self._thresholds.append((acc, kind))

    def matches(self, path: str) -> bool:
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.faults.paths)

    def decide(self, path: str) -> Decision | None:
        f = self.faults
        if not self.matches(path):
            return None
        if f.first_n is not None and self._seen >= f.first_n:
            return None
        n = self._seen
        self._seen += 1
        delay = f.latency + (self._rng.random() * f.jitter if f.jitter else 0.0)
        action: FaultAction | None = None
        if n < len(self._sequence):
            action = self._sequence[n]
        elif self._thresholds:
            roll = self._rng.random()
            for threshold, kind in self._thresholds:
                if roll < threshold:
                    action = self._make(kind)
                    break
        if action is not None and action.kind == "ok":
            action = None
        return Decision(delay, action)

    def _make(self, kind: str) -> FaultAction:
        if kind == "error":
            return self._rng.choice(self._error_actions)
        if kind == "throttle":
            return FaultAction("throttle", 429)
        if kind == "truncate":
            return FaultAction("truncate", body=self.faults.truncate_mode)
        if kind == "html":
            return FaultAction("html", self.faults.html_status)
        if kind == "drop_after":
            return FaultAction("drop", body="after")
        return FaultAction(kind)


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` requests in any ``window`` seconds (a sliding window)."""

    limit: int = 1000
    window: float = 10.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")


QONTO_RATE_LIMITS = (RateLimit(1000, 10.0), RateLimit(10_000, 600.0))


class SlidingWindowLimiter:
    """Sliding-window log over accepted requests: a rejected request does not use quota.

    ``check(now)`` returns ``None`` when the request is accepted (and records it), else the
    whole seconds to wait until the oldest request in the fullest window leaves it (>= 1).
    """

    def __init__(self, limits: Sequence[RateLimit]) -> None:
        self._limits = tuple(limits)
        self._logs = [collections.deque[float]() for _ in self._limits]

    def check(self, now: float) -> int | None:
        wait = 0.0
        for limit, log in zip(self._limits, self._logs, strict=True):
            horizon = now - limit.window
            while log and log[0] <= horizon:
                log.popleft()
            if len(log) >= limit.limit:
                wait = max(wait, log[0] - horizon)
        if wait > 0:
            return max(1, math.ceil(wait))
        for log in self._logs:
            log.append(now)
        return None


def format_retry_after(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def fault_response(
    action: FaultAction, faults: Faults | None, trace_id: str, path: str
) -> web.Response:
    """The answer an injected ``error``, ``throttle`` or ``html`` fault gives instead."""
    if action.kind == "throttle":
        response = error_response(429, "too_many_requests", "Rate limit exceeded", trace_id, path)
        retry_after = faults.retry_after if faults else 1
        if retry_after is not None:
            response.headers[hdrs.RETRY_AFTER] = format_retry_after(retry_after)
        return response
    if action.kind == "html" or action.body == "html":
        response = web.Response(
            status=action.status, body=proxy_page(action.status), content_type="text/html"
        )
    elif action.body == "empty":
        response = web.Response(status=action.status, content_type="application/json")
    else:
        code, detail = STATUS_CODES.get(action.status, ("server_error", "Server error"))
        response = error_response(action.status, code, detail, trace_id, path)
    retry_after = faults.error_retry_after if faults else None
    if action.kind == "error" and retry_after is not None:
        response.headers[hdrs.RETRY_AFTER] = format_retry_after(retry_after)
    return response


async def truncate(
    request: web.Request, response: web.StreamResponse, body: bytes, mode: str
) -> web.StreamResponse:
    headers = {k: v for k, v in response.headers.items() if k != hdrs.CONTENT_LENGTH}
    cut = len(body) // 2
    if mode == "json":
        return web.Response(status=response.status, body=body[:cut], headers=headers)
    stream = web.StreamResponse(status=response.status, headers=headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[:cut])
    if request.transport is not None:
        request.transport.close()
    return stream
