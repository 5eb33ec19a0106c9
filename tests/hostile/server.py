"""A configurable hostile Qonto list server, and the harness that runs one listing against it.

By default :class:`HostileServer` honours Qonto's documented list behaviour for
``GET /v2/client_invoices``, ``/v2/clients`` and ``/v2/supplier_invoices``:

- ``filter[created_at_from|to]`` (client and supplier invoices only: the clients endpoint
  documents no ``created_at`` filter, so it ignores them) and ``filter[updated_at_from|to]``,
  inclusive ISO 8601 instants (a bare date covers its whole day, UTC);
- ``sort_by=field:asc|desc`` (Qonto's default per endpoint), ties broken by id, stably;
- ``page``/``per_page`` (1..100) with ``meta`` ``{current_page, next_page, prev_page,
  total_pages, total_count, per_page}``;
- a ``Date`` header (RFC 7231) from the server's own clock;
- a query key given twice counts with its last value (Rack's rule; Qonto runs Rails).

The clock is virtual and deterministic: it starts at a real whole second plus 100 ms,
moves 1 ms per request and jumps with :meth:`HostileServer.advance`. Record timestamps have
millisecond precision (whole seconds for a bulk import).

:class:`Hostility` switches misbehaviours on, each ``"once"`` (the first answer it can
affect, from request number ``at`` on) or ``"always"``; they compose. :class:`Churn` mutates
the data between requests (a record created, one deleted, one updated). The server counts
every request and, past ``cap`` requests, answers ``400 hostile_cap`` so a runaway listing
ends quickly instead of spinning until the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import email.utils
import json
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Literal

from aiohttp import web

from qonto_async import Paginator, QontoClient, QontoError

__all__ = [
    "PER_PAGE",
    "RESOURCES",
    "SCENARIOS",
    "Churn",
    "HostileServer",
    "Hostility",
    "Outcome",
    "Scenario",
    "connect",
    "lister",
    "request_bound",
    "run_listing",
]

Mode = Literal["once", "always"]
Reader = Literal["items", "pages", "all"]

RESOURCES = ("client_invoices", "clients", "supplier_invoices")
PER_PAGE = 100
LISTING_TIMEOUT = 30.0
_CREATED_FILTERS = frozenset({"client_invoices", "supplier_invoices"})
_DEFAULT_SORT = {
    "client_invoices": "created_at:desc",
    "clients": "name:asc",
    "supplier_invoices": "created_at:desc",
}
_SORT_FIELDS = {
    "client_invoices": frozenset({"created_at", "updated_at"}),
    "clients": frozenset({"created_at", "updated_at", "name"}),
    "supplier_invoices": frozenset(
        {
            "created_at",
            "updated_at",
            "file_name",
            "supplier_name",
            "payment_date",
            "due_date",
            "scheduled_date",
            "total_amount",
        }
    ),
}
_ORG = "0b6b0c54-7a3c-4a8e-9b1d-2f4e6a8c0d11"
_SECOND = 1_000_000
_MS = 1_000
_DAY = 86_400 * _SECOND
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def request_bound(size: int, per_page: int = PER_PAGE) -> int:
    """The most requests one listing of ``size`` records may take."""
    return 4 * math.ceil(size / per_page) + 20


# -- configuration -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Hostility:
    """Misbehaviours: each None (off), ``"once"`` or ``"always"``.

    ``"once"`` fires on the first answer it can affect whose request number is ``at`` or
    more (request numbers count every list request the server got, from 1).
    """

    ignore_created_filters: Mode | None = None
    ignore_updated_filters: Mode | None = None
    ignore_all_filters: Mode | None = None
    repeat_across_pages: Mode | None = None
    """A record of page k served again first on page k+1. ``always``: every page after
    the first starts with the previous page's last record (nothing is lost, pages
    overlap). ``once``: one page after the first is served shifted back by one record (its
    own last record is left out of that answer)."""
    shuffle_page: Mode | None = None
    reorder_ties: Mode | None = None
    """Equal sort keys come in a random order, drawn afresh per request."""
    oversize_pages: Mode | None = None
    """A page carries ``extra_items`` records beyond ``per_page`` (the next page's first)."""
    total_count_noise: Mode | None = None
    """``meta.total_count`` is off by one (+1 or -1) though nothing changed."""
    no_date: Mode | None = None
    date_ahead: Mode | None = None
    """The ``Date`` header is one day ahead of the server's clock (a skewed node)."""
    ignore_page: Mode | None = None
    """``page`` is ignored: page 1 (and its meta) is served whatever was asked."""
    ignore_sort: Mode | None = None
    """``sort_by`` is ignored: records come in id order."""
    at: int = 1

    def active(self) -> dict[str, Mode]:
        out: dict[str, Mode] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name != "at" and value is not None:
                out[field.name] = value
        return out

    def describe(self) -> str:
        parts = [f"{name}={mode}" for name, mode in self.active().items()]
        return ", ".join(parts) or "documented behaviour"


@dataclasses.dataclass(frozen=True)
class Churn:
    """Before answering every ``every``-th list request, change ``resource``'s data: create
    one record, delete one, update one (each switchable)."""

    resource: str = "client_invoices"
    every: int = 2
    creates: bool = True
    deletes: bool = True
    updates: bool = True
    seed: int = 0


@dataclasses.dataclass
class _Record:
    id: str
    serial: int
    created_us: int
    updated_us: int
    rank: int  # orders names, amounts and dates differently from created_at and ids


# -- the server ----------------------------------------------------------------------------


class HostileServer:
    """An aiohttp app on a free port of 127.0.0.1; ``async with`` starts and stops it."""

    def __init__(
        self,
        *,
        size: int = 0,
        sizes: Mapping[str, int] | None = None,
        hostility: Hostility | None = None,
        churn: Churn | None = None,
        seed: int = 0,
        shared_instant: bool = False,
        tie_group: int = 1,
        extra_items: int = 5,
        cap: int | None = None,
    ) -> None:
        self.hostility = hostility or Hostility()
        self.churn = churn
        self.extra_items = extra_items
        self.cap = cap
        self.requests = 0
        self.requests_by_resource: Counter[str] = Counter()
        self.urls: list[str] = []
        self.fired: Counter[str] = Counter()
        self.dates_sent: list[dt.datetime] = []
        self.deleted: set[str] = set()
        self.created: set[str] = set()
        self.updated: set[str] = set()
        self.base_url = ""
        self.capped = False
        self._rng = random.Random(seed)
        self._churn_rng = random.Random(seed * 7919 + 1)
        self._fired_once: set[str] = set()
        self._offset_us = 0
        self._anchor_us = int(time.time()) * _SECOND + 100 * _MS
        self._serial = 0
        self._runner: web.AppRunner | None = None
        self.records: dict[str, dict[str, _Record]] = {}
        for resource in RESOURCES:
            count = sizes.get(resource, 0) if sizes is not None else size
            self.records[resource] = self._generate(count, shared_instant, tie_group)

    # -- clock and data ------------------------------------------------------------------

    def now_us(self) -> int:
        return self._anchor_us + self._offset_us + self.requests * _MS

    def now(self) -> dt.datetime:
        return _dt(self.now_us())

    def advance(self, delta: dt.timedelta) -> None:
        """Move the server's clock forward by ``delta`` (rounded to the millisecond)."""
        self._offset_us += (delta // dt.timedelta(milliseconds=1)) * _MS

    def advance_to_fraction(self, ms: int, *, seconds: int = 1) -> None:
        """Move the clock ``seconds`` whole seconds on, to ``ms`` milliseconds past a second."""
        now = self.now_us()
        target = (now // _SECOND + seconds) * _SECOND + ms * _MS
        self._offset_us += target - now

    def _generate(self, count: int, shared: bool, tie_group: int) -> dict[str, _Record]:
        start = self._anchor_us - 2 * _DAY
        ranks = list(range(count))
        self._rng.shuffle(ranks)
        out: dict[str, _Record] = {}
        for i in range(count):
            if shared:
                created = (self._anchor_us - _DAY) // _SECOND * _SECOND
            else:
                created = start + (i // max(1, tie_group)) * 61_123 * _MS
            updated = created + ((i * 7_919) % 3_600) * _SECOND + (i % 1000) * _MS
            record = self._new(created, updated, ranks[i])
            out[record.id] = record
        return out

    def _new(self, created_us: int, updated_us: int, rank: int | None = None) -> _Record:
        self._serial += 1
        record_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        if rank is None:
            rank = self._rng.randrange(1_000_000)
        return _Record(record_id, self._serial, created_us, updated_us, rank)

    def ids(self, resource: str) -> set[str]:
        return set(self.records[resource])

    def updated_at(self, resource: str, record_id: str) -> dt.datetime:
        return _dt(self.records[resource][record_id].updated_us)

    def create(self, resource: str) -> str:
        now = self.now_us() // _MS * _MS
        record = self._new(now, now)
        self.records[resource][record.id] = record
        self.created.add(record.id)
        return record.id

    def delete(self, resource: str, record_id: str) -> None:
        del self.records[resource][record_id]
        self.deleted.add(record_id)

    def update(self, resource: str, record_id: str) -> None:
        self.records[resource][record_id].updated_us = self.now_us() // _MS * _MS
        self.updated.add(record_id)

    def _mutate(self, churn: Churn) -> None:
        records = self.records[churn.resource]
        if churn.creates:
            self.create(churn.resource)
        if churn.deletes and records:
            self.delete(churn.resource, self._churn_rng.choice(sorted(records)))
        if churn.updates and records:
            self.update(churn.resource, self._churn_rng.choice(sorted(records)))

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> HostileServer:
        app = web.Application()
        app.router.add_get("/v2/{resource}", self._handle)
        app.on_response_prepare.append(_drop_date)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None)
        assert sockets
        port = sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._runner = runner
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- answers -------------------------------------------------------------------------

    def _fire(self, name: str, eligible: bool) -> bool:
        mode: Mode | None = getattr(self.hostility, name)
        if mode is None or not eligible:
            return False
        if mode == "once":
            if name in self._fired_once or self.requests < self.hostility.at:
                return False
            self._fired_once.add(name)
        self.fired[name] += 1
        return True

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        resource = request.match_info["resource"]
        if resource not in RESOURCES:
            return _error(404, "not_found", f"no list at /v2/{resource}")
        await asyncio.sleep(0)
        self.requests += 1
        self.requests_by_resource[resource] += 1
        self.urls.append(str(request.rel_url))
        if self.cap is not None and self.requests > self.cap:
            self.capped = True
            return _error(400, "hostile_cap", f"more than {self.cap} requests: runaway listing")
        if self.churn is not None and self.requests % self.churn.every == 0:
            self._mutate(self.churn)
        # A key given twice counts with its last value, as Rack (Qonto runs Rails) reads it.
        query = {key: request.query.getall(key)[-1] for key in request.query}
        try:
            return self._answer(resource, query)
        except _BadParam as bad:
            return _error(bad.status, "invalid_parameter", bad.detail)

    def _answer(self, resource: str, query: Mapping[str, str]) -> web.Response:
        per_page = _int_param(query, "per_page", PER_PAGE)
        page = _int_param(query, "page", 1)
        if not 1 <= per_page <= 100 or page < 1:
            raise _BadParam(400, "page must be >= 1 and per_page in 1..100")
        records = list(self.records[resource].values())

        # Filters.
        has_created = any(k in query for k in ("filter[created_at_from]", "filter[created_at_to]"))
        has_updated = any(k in query for k in ("filter[updated_at_from]", "filter[updated_at_to]"))
        has_any = any(k.startswith("filter[") for k in query)
        ignore_all = self._fire("ignore_all_filters", has_any)
        created_applies = not ignore_all and resource in _CREATED_FILTERS
        if created_applies and not self._fire("ignore_created_filters", has_created):
            records = _within(records, query, "created_at", lambda r: r.created_us)
        if not ignore_all and not self._fire("ignore_updated_filters", has_updated):
            records = _within(records, query, "updated_at", lambda r: r.updated_us)

        # Order.
        raw_sort = query.get("sort_by") or _DEFAULT_SORT[resource]
        field, _, direction = raw_sort.partition(":")
        direction = direction or "asc"
        if field not in _SORT_FIELDS[resource] or direction not in ("asc", "desc"):
            raise _BadParam(422, f"sort_by {raw_sort!r} is not supported here")
        if self._fire("ignore_sort", True):
            view = sorted(records, key=lambda r: r.id)
        else:
            if self._fire("reorder_ties", len(records) > 1):
                base = list(records)
                self._rng.shuffle(base)
            else:
                base = sorted(records, key=lambda r: r.id)
            view = sorted(base, key=_sort_key(field), reverse=direction == "desc")
        count = len(view)

        # Pages.
        overlapping = self.hostility.repeat_across_pages == "always"
        if overlapping and 1 < per_page < count:
            pages = [view[:per_page]]
            at = per_page
            while at < count:
                pages.append([view[at - 1], *view[at : at + per_page - 1]])
                at += per_page - 1
        else:
            pages = [view[i : i + per_page] for i in range(0, count, per_page)]
        total_pages = len(pages)
        served = 1 if self._fire("ignore_page", page >= 2) else page
        start = (served - 1) * per_page
        items: list[_Record] = pages[served - 1] if served <= total_pages else []
        if overlapping:
            self._fire("repeat_across_pages", served >= 2 and bool(items))
        elif self._fire("repeat_across_pages", served >= 2 and start < count):
            items = [view[start - 1], *view[start : start + per_page - 1]]
        if self._fire("oversize_pages", served <= total_pages - 1):
            following = pages[served] if served < total_pages else []
            items = [*items, *following[: self.extra_items]]
        if self._fire("shuffle_page", len(items) > 1):
            items = list(items)
            self._rng.shuffle(items)
        reported = count
        if self._fire("total_count_noise", True):
            reported = max(0, count + self._rng.choice((-1, 1)))
        meta = {
            "current_page": served,
            "next_page": served + 1 if served < total_pages else None,
            "prev_page": served - 1 if 1 < served <= total_pages + 1 else None,
            "total_pages": total_pages,
            "total_count": reported,
            "per_page": per_page,
        }
        body = {resource: [_payload(resource, r) for r in items], "meta": meta}
        headers: dict[str, str] = {}
        if self._fire("no_date", True):
            headers[_NO_DATE] = "1"
        else:
            when = self.now()
            if self._fire("date_ahead", True):
                when += dt.timedelta(days=1)
            headers["Date"] = email.utils.format_datetime(when, usegmt=True)
            self.dates_sent.append(when.replace(microsecond=0))
        return web.Response(
            body=json.dumps(body).encode(), content_type="application/json", headers=headers
        )


_NO_DATE = "X-Hostile-No-Date"


async def _drop_date(_request: web.Request, response: web.StreamResponse) -> None:
    # aiohttp adds a Date to every answer before this hook runs: take it off again.
    if response.headers.pop(_NO_DATE, None) is not None:
        response.headers.pop("Date", None)


class _BadParam(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _error(status: int, code: str, detail: str) -> web.Response:
    body = {"errors": [{"code": code, "detail": detail}], "trace_id": "hostile"}
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )


def _int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise _BadParam(400, f"{name} must be an integer, not {raw!r}") from None


def _bound_us(raw: str, name: str, *, end: bool) -> int:
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            if end:
                moment += dt.timedelta(days=1, microseconds=-1)
        else:
            moment = dt.datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
    except ValueError:
        raise _BadParam(422, f"{name} must be ISO 8601, not {raw!r}") from None
    return _us(moment)


def _within(
    records: list[_Record], query: Mapping[str, str], field: str, key: Callable[[_Record], int]
) -> list[_Record]:
    low_raw, high_raw = query.get(f"filter[{field}_from]"), query.get(f"filter[{field}_to]")
    low = None if low_raw is None else _bound_us(low_raw, f"{field}_from", end=False)
    high = None if high_raw is None else _bound_us(high_raw, f"{field}_to", end=True)
    return [
        r for r in records if (low is None or key(r) >= low) and (high is None or key(r) <= high)
    ]


def _sort_key(field: str) -> Callable[[_Record], Any]:
    if field == "created_at":
        return lambda r: r.created_us
    if field == "updated_at":
        return lambda r: r.updated_us
    return lambda r: r.rank


def _us(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _SECOND + delta.microseconds


def _dt(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def _iso(us: int) -> str:
    moment = _dt(us)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _payload(resource: str, r: _Record) -> dict[str, Any]:
    day = _dt(r.created_us).date()
    due = (day + dt.timedelta(days=30 + r.rank % 30)).isoformat()
    cents = 1_000 + r.rank * 7
    amount = {"value": f"{cents // 100}.{cents % 100:02d}", "currency": "EUR"}
    stamps = {"created_at": _iso(r.created_us), "updated_at": _iso(r.updated_us)}
    if resource == "clients":
        return {
            "id": r.id,
            "name": f"Client {r.rank:07d}",
            "kind": "company",
            "type": "company",
            "email": f"billing-{r.serial}@example.test",
            "currency": "EUR",
            **stamps,
        }
    if resource == "supplier_invoices":
        return {
            "id": r.id,
            "organization_id": _ORG,
            "file_name": f"invoice-{r.rank:07d}.pdf",
            "status": "to_review" if r.serial % 2 else "paid",
            "supplier_name": f"Supplier {r.rank:07d}",
            "invoice_number": f"S-{r.serial:06d}",
            "total_amount": amount,
            "issue_date": day.isoformat(),
            "due_date": due,
            **stamps,
        }
    return {
        "id": r.id,
        "organization_id": _ORG,
        "number": f"INV-{r.serial:06d}",
        "status": ("paid", "unpaid", "draft", "canceled")[r.serial % 4],
        "currency": "EUR",
        "total_amount": amount,
        "total_amount_cents": cents,
        "issue_date": day.isoformat(),
        "due_date": due,
        "items": [],
        "client": {"id": _ORG, "name": "Acme SAS", "type": "company"},
        **stamps,
    }


# -- the harness ---------------------------------------------------------------------------


def connect(server: HostileServer) -> QontoClient:
    return QontoClient(
        login="hostile-org",
        secret_key="hostile-secret",
        base_url=server.base_url,
        requests_per_second=None,
        requests_per_10_minutes=None,
    )


def lister(qonto: QontoClient, resource: str) -> Callable[..., Paginator[Any]]:
    listers: dict[str, Callable[..., Paginator[Any]]] = {
        "client_invoices": qonto.client_invoices.list,
        "clients": qonto.clients.list,
        "supplier_invoices": qonto.supplier_invoices.list,
    }
    return listers[resource]


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    expected: str
    """What a correct engine should do: ``all`` (every record, once) or ``all|typed`` (that,
    or a typed QontoError naming the URL). The tests accept a typed error everywhere."""
    resource: str = "client_invoices"
    size: int = 250
    hostility: Hostility = Hostility()
    shared_instant: bool = False
    tie_group: int = 1
    sort_by: str | None = None
    churn: Churn | None = None
    seeded: bool = False
    """Randomness (shuffles, tie orders, churn) matters: the soak runs 20 seeds."""


def _hostility(spec: str) -> Hostility:
    """``"shuffle_page reorder_ties:once@3"``: each name ``always``, or ``once`` (at 1 or @n)."""
    fields: dict[str, Any] = {}
    for part in spec.split():
        name, _, mode = part.partition(":")
        mode, _, at = mode.partition("@")
        fields[name] = mode or "always"
        if at:
            fields["at"] = int(at)
    return Hostility(**fields)


def _s(
    name: str,
    expected: str,
    hostile: str = "",
    *,
    resource: str = "client_invoices",
    size: int = 250,
    sort_by: str | None = None,
    instant: bool = False,
    ties: int = 1,
    churn: bool = False,
    seeded: bool = False,
) -> Scenario:
    return Scenario(
        name,
        expected,
        resource=resource,
        size=size,
        hostility=_hostility(hostile),
        shared_instant=instant,
        tie_group=ties,
        sort_by=sort_by,
        churn=Churn(resource) if churn else None,
        seeded=seeded or churn or "shuffle" in hostile or "ties" in hostile or "noise" in hostile,
    )


CL, SI = "clients", "supplier_invoices"
_ALL, _ALL_OR_TYPED = "all", "all|typed"

SCENARIOS: list[Scenario] = [
    # Documented behaviour, every resource and order.
    _s("baseline-ci", _ALL),
    _s("baseline-ci-asc", _ALL, sort_by="created_at:asc"),
    _s("baseline-clients", _ALL, resource=CL),
    _s("baseline-clients-name", _ALL, resource=CL, sort_by="name:asc"),
    _s("baseline-si", _ALL, resource=SI),
    _s("baseline-si-amount", _ALL, resource=SI, sort_by="total_amount:desc"),
    # Filters ignored.
    _s("ignore-created-always-ci", _ALL, "ignore_created_filters"),
    _s("ignore-created-always-si", _ALL, "ignore_created_filters", resource=SI),
    _s("ignore-created-once-ci", _ALL, "ignore_created_filters:once"),
    _s("ignore-created-once-late-ci", _ALL, "ignore_created_filters:once@3"),
    _s("ignore-updated-always-ci", _ALL, "ignore_updated_filters"),
    _s("ignore-updated-always-clients", _ALL, "ignore_updated_filters", resource=CL),
    _s("ignore-updated-always-clients-name", _ALL, "ignore_updated_filters", resource=CL,
       sort_by="name:desc"),
    _s("ignore-updated-always-si-name", _ALL, "ignore_updated_filters", resource=SI,
       sort_by="supplier_name:asc"),
    _s("ignore-all-always-ci", _ALL, "ignore_all_filters"),
    _s("ignore-all-always-clients", _ALL, "ignore_all_filters", resource=CL),
    _s("ignore-all-always-si-asc", _ALL, "ignore_all_filters", resource=SI,
       sort_by="created_at:asc"),
    _s("ignore-all-once-late-ci", _ALL, "ignore_all_filters:once@3"),
    # One shared instant (bulk import).
    _s("one-instant-450-ci", _ALL, size=450, instant=True),
    _s("one-instant-1234-ci", _ALL, size=1234, instant=True),
    _s("one-instant-450-ci-asc", _ALL, size=450, instant=True, sort_by="created_at:asc"),
    _s("one-instant-450-clients", _ALL, resource=CL, size=450, instant=True),
    _s("one-instant-450-si", _ALL, resource=SI, size=450, instant=True),
    _s("one-instant-450-ties-reordered-ci", _ALL_OR_TYPED, "reorder_ties", size=450,
       instant=True),
    _s("one-instant-450-ties-reordered-clients", _ALL_OR_TYPED, "reorder_ties", resource=CL,
       size=450, instant=True),
    _s("ties-of-3-reordered-ci", _ALL, "reorder_ties", ties=3),
    _s("ties-of-3-reordered-ci-asc", _ALL, "reorder_ties", ties=3, sort_by="created_at:asc"),
    _s("ties-of-3-reordered-once-ci", _ALL, "reorder_ties:once@3", ties=3),
    # Records repeated across pages.
    _s("repeat-always-ci", _ALL, "repeat_across_pages"),
    _s("repeat-always-clients-name", _ALL_OR_TYPED, "repeat_across_pages", resource=CL,
       sort_by="name:asc"),
    _s("repeat-always-si", _ALL, "repeat_across_pages", resource=SI),
    _s("repeat-once-ci", _ALL, "repeat_across_pages:once"),
    _s("repeat-once-clients", _ALL_OR_TYPED, "repeat_across_pages:once", resource=CL),
    _s("repeat-once-si-amount", _ALL_OR_TYPED, "repeat_across_pages:once", resource=SI,
       sort_by="total_amount:asc"),
    # Items shuffled within a page.
    _s("shuffle-always-ci", _ALL, "shuffle_page"),
    _s("shuffle-always-ci-asc", _ALL, "shuffle_page", sort_by="created_at:asc"),
    _s("shuffle-once-late-ci", _ALL, "shuffle_page:once@3"),
    _s("shuffle-always-clients", _ALL, "shuffle_page", resource=CL),
    _s("shuffle-always-si", _ALL, "shuffle_page", resource=SI),
    # More items than per_page.
    _s("oversize-always-ci", _ALL, "oversize_pages"),
    _s("oversize-once-ci", _ALL, "oversize_pages:once"),
    _s("oversize-always-clients-name", _ALL_OR_TYPED, "oversize_pages", resource=CL,
       sort_by="name:asc"),
    # total_count noise.
    _s("count-noise-always-ci", _ALL, "total_count_noise"),
    _s("count-noise-always-clients", _ALL_OR_TYPED, "total_count_noise", resource=CL),
    _s("count-noise-always-si-name", _ALL_OR_TYPED, "total_count_noise", resource=SI,
       sort_by="file_name:asc"),
    _s("count-noise-once-ci", _ALL, "total_count_noise:once"),
    # Date header missing or a day ahead.
    _s("no-date-always-ci", _ALL, "no_date"),
    _s("no-date-always-clients", _ALL, "no_date", resource=CL),
    _s("no-date-always-si-name", _ALL, "no_date", resource=SI, sort_by="supplier_name:desc"),
    _s("date-ahead-always-ci", _ALL, "date_ahead"),
    _s("date-ahead-always-clients", _ALL, "date_ahead", resource=CL),
    _s("date-ahead-once-clients-name", _ALL, "date_ahead:once", resource=CL, sort_by="name:asc"),
    # page ignored (page 1 whatever was asked): windows could still read it all.
    _s("ignore-page-always-ci", _ALL_OR_TYPED, "ignore_page"),
    _s("ignore-page-always-clients", _ALL_OR_TYPED, "ignore_page", resource=CL),
    _s("ignore-page-always-si-name", _ALL_OR_TYPED, "ignore_page", resource=SI,
       sort_by="supplier_name:asc"),
    _s("ignore-page-once-ci", _ALL_OR_TYPED, "ignore_page:once"),
    # sort_by ignored (id order).
    _s("ignore-sort-always-ci", _ALL_OR_TYPED, "ignore_sort"),
    _s("ignore-sort-always-ci-asc", _ALL_OR_TYPED, "ignore_sort", sort_by="created_at:asc"),
    _s("ignore-sort-always-si", _ALL_OR_TYPED, "ignore_sort", resource=SI),
    _s("ignore-sort-once-late-ci", _ALL_OR_TYPED, "ignore_sort:once@3"),
    # Compositions.
    _s("one-instant-shuffle+ties-ci", _ALL_OR_TYPED, "shuffle_page reorder_ties", size=450,
       instant=True),
    _s("ignore-created+repeat-ci", _ALL_OR_TYPED, "ignore_created_filters repeat_across_pages"),
    _s("ignore-created+no-date-ci", _ALL_OR_TYPED, "ignore_created_filters no_date"),
    _s("ignore-all+count-noise-ci", _ALL_OR_TYPED, "ignore_all_filters total_count_noise"),
    _s("oversize+shuffle-ci", _ALL, "oversize_pages shuffle_page"),
    # Churn between requests: every record that existed throughout comes out, once.
    _s("churn-ci", _ALL, churn=True),
    _s("churn-ci-asc", _ALL, churn=True, sort_by="created_at:asc"),
    _s("churn-clients", _ALL_OR_TYPED, churn=True, resource=CL),
    _s("churn-si", _ALL, churn=True, resource=SI),
    _s("churn+shuffle-ci", _ALL, "shuffle_page", churn=True),
]  # fmt: skip


@dataclasses.dataclass
class Outcome:
    label: str
    """``ok``, ``typed-error <Class>``, ``LOSS n missing``, ``DUPLICATE``, ``HANG``,
    ``CRASH <exc>``, possibly several joined by ``; ``."""
    ok: bool
    requests: int
    bound: int
    detail: str = ""

    def explain(self, scenario: Scenario, prefetch: int, reader: str) -> str:
        return (
            f"{scenario.name} (prefetch={prefetch}, reader={reader}; "
            f"{scenario.hostility.describe()}): {self.label}; {self.requests} requests "
            f"(bound {self.bound}). {self.detail}"
        )


async def collect(paginator: Paginator[Any], reader: str, out: list[str]) -> None:
    """Read ``paginator`` with ``reader``, appending every id to ``out`` as it comes."""
    if reader == "items":
        async for item in paginator:
            out.append(item.id)
    elif reader == "pages":
        async with contextlib.aclosing(paginator.pages()) as pages:
            async for page in pages:
                out.extend(item.id for item in page.items)
    else:
        out.extend(item.id for item in await paginator.all())


def classify(
    *,
    got: list[str],
    error: BaseException | None,
    hung: bool,
    must: set[str],
    allowed: set[str],
    requests: int,
    bound: int,
    cap: int,
) -> Outcome:
    """The verdict on one listing: what it yielded and how it ended."""
    labels: list[str] = []
    details: list[str] = []
    ok = True
    counts = Counter(got)
    dups = sorted(i for i, n in counts.items() if n > 1)
    if hung:
        labels.append("HANG")
        ok = False
    elif requests > cap:
        labels.append(f"HANG (runaway: >{cap} requests)")
        ok = False
    elif isinstance(error, QontoError):
        text = str(error)
        labels.append(f"typed-error {type(error).__name__}")
        details.append(f"error: {text[:300]}")
        if "/v2/" not in text:
            labels[-1] += " (message names no URL)"
            ok = False
    elif error is not None:
        labels.append(f"CRASH {type(error).__name__}: {str(error)[:120]}")
        ok = False
    if dups:
        labels.append(f"DUPLICATE {len(dups)} ids")
        details.append(f"duplicated: {dups[:3]}")
        ok = False
    extra = set(got) - allowed
    if extra:
        labels.append(f"FOREIGN {len(extra)} ids")
        ok = False
    if error is None and not hung:
        missing = must - set(got)
        if missing:
            labels.append(f"LOSS {len(missing)} missing")
            details.append(f"e.g. {sorted(missing)[:3]}")
            ok = False
    if not hung and bound < requests <= cap:
        labels.append(f"TOO MANY REQUESTS {requests} > {bound}")
        ok = False
    return Outcome("; ".join(labels) or "ok", ok, requests, bound, " ".join(details))


async def run_listing(
    scenario: Scenario, *, prefetch: int, reader: str = "items", seed: int = 1
) -> Outcome:
    """One listing of ``scenario`` with ``reader`` at ``prefetch``: its verdict."""
    bound = request_bound(scenario.size)
    cap = bound + 10
    churn = dataclasses.replace(scenario.churn, seed=seed) if scenario.churn else None
    async with HostileServer(
        sizes={scenario.resource: scenario.size},
        hostility=scenario.hostility,
        churn=churn,
        seed=seed,
        shared_instant=scenario.shared_instant,
        tie_group=scenario.tie_group,
        cap=cap,
    ) as server:
        before = server.ids(scenario.resource)
        got: list[str] = []
        error: BaseException | None = None
        hung = False
        options: dict[str, Any] = {"per_page": PER_PAGE, "prefetch": prefetch}
        if scenario.sort_by is not None:
            options["sort_by"] = scenario.sort_by
        async with connect(server) as qonto:
            paginator = lister(qonto, scenario.resource)(**options)
            deadline = asyncio.timeout(LISTING_TIMEOUT)
            try:
                async with deadline:
                    await collect(paginator, reader, got)
            except Exception as exc:
                hung = deadline.expired()
                error = None if hung else exc
        after = server.ids(scenario.resource)
        return classify(
            got=got,
            error=error,
            hung=hung,
            must=before & after,
            allowed=before | after | server.created,
            requests=server.requests,
            bound=bound,
            cap=cap,
        )
