"""The invoices the benchmarks serve and decode: payloads and shapes.

Payloads: Qonto's documented examples (``benchmarks/data/``), synthetic ids and
``InvoiceTemplate`` (distinct invoices as compact JSON bytes, cheaply). Shapes:

- ``real``: client invoices as FakeQonto makes them, shaped like a real account's: every
  status, drafts with blank (``""``) dates, nulls, individual and company clients, e-invoicing
  events. About one invoice in nine is a draft.
- ``real_no_drafts``: the same generator's invoices that are not drafts.
- ``seed``: Qonto's documented example (seed 002), the same invoice over and over, as the
  benchmarks served before real shapes existed.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qonto_async._listing.position import us_of

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_json(name: str) -> dict[str, Any]:
    """A payload stored in benchmarks/data/ (copied from the Qonto documentation examples)."""
    with (DATA_DIR / name).open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def compact(obj: Any) -> bytes:
    """JSON bytes the way an API server sends them: no whitespace, UTF-8."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def seed_client_invoice() -> dict[str, Any]:
    """The client invoice from Qonto's "Retrieve a client invoice" example (seed 002)."""
    inner: dict[str, Any] = load_json("client_invoice.json")["client_invoice"]
    return inner


def invoice_id(i: int) -> str:
    """A UUID-shaped, unique id for the i-th synthetic invoice."""
    return f"{i:08x}-bd0d-4df4-865c-{i:012x}"


def without_item_discounts(invoice: dict[str, Any]) -> dict[str, Any]:
    """The seed invoice without `items[].discount` (for qodev-qonto-api, whose model types that
    field as `str` and so rejects Qonto's documented object; see benchmarks/README.md)."""
    out = copy.deepcopy(invoice)
    for item in out.get("items") or []:
        item.pop("discount", None)
    return out


_ID_MARK = "@@BENCH-ID@@"
_NUM_MARK = "@@BENCH-NUM@@"
_CREATED_MARK = "@@BENCH-CREATED@@"
# Invoice i was created NEWEST - i seconds: distinct instants, newest first by index, as
# Qonto's default order serves them.
NEWEST = int(dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC).timestamp())


def created_at(i: int) -> str:
    return dt.datetime.fromtimestamp(NEWEST - i, dt.UTC).isoformat().replace("+00:00", "Z")


def _epoch_us(text: str) -> int:
    return us_of(dt.datetime.fromisoformat(text))


class InvoiceTemplate:
    """Builds compact JSON bytes of distinct invoices (unique `id`, `number` and `created_at`)
    cheaply. Given several invoices, invoice i takes the shape of the (i mod n)-th."""

    def __init__(self, invoices: dict[str, Any] | Sequence[dict[str, Any]]) -> None:
        shapes = [invoices] if isinstance(invoices, dict) else list(invoices)
        self._shapes = [self._split(invoice) for invoice in shapes]

    @staticmethod
    def _split(invoice: dict[str, Any]) -> tuple[list[bytes], list[str]]:
        tpl = dict(invoice)
        tpl["id"] = _ID_MARK
        tpl["number"] = _NUM_MARK
        tpl["created_at"] = _CREATED_MARK
        raw = compact(tpl)
        parts: list[bytes] = []
        slots: list[str] = []
        marks = {m.encode(): m for m in (_ID_MARK, _NUM_MARK, _CREATED_MARK)}
        while True:
            found = [(raw.find(m), m) for m in marks if raw.find(m) >= 0]
            if not found:
                parts.append(raw)
                break
            at, mark = min(found)
            parts.append(raw[:at])
            slots.append(marks[mark])
            raw = raw[at + len(mark) :]
        return parts, slots

    def item(self, i: int) -> bytes:
        parts, slots = self._shapes[i % len(self._shapes)]
        values = {
            _ID_MARK: invoice_id(i).encode(),
            _NUM_MARK: f"INV{i:06d}".encode(),
            _CREATED_MARK: created_at(i).encode(),
        }
        out = [parts[0]]
        for slot, part in zip(slots, parts[1:], strict=True):
            out += (values[slot], part)
        return b"".join(out)

    def single(self, i: int) -> bytes:
        """`{"client_invoice": {...}}` as served by GET /v2/client_invoices/{id}."""
        return b'{"client_invoice":' + self.item(i) + b"}"

    def page(
        self,
        page: int,
        per_page: int,
        total: int,
        *,
        created_from: str | None = None,
        created_to: str | None = None,
        ascending: bool = False,
    ) -> bytes:
        """`{"client_invoices": [...], "meta": {...}}` as served by GET /v2/client_invoices,
        honouring Qonto's inclusive `filter[created_at_from|to]` and `sort_by=created_at:*`."""
        first, last = 0, total - 1  # newest and oldest index in the window
        if created_to is not None:  # NEWEST - i >= ... <= upper: i >= NEWEST - floor(upper)
            first = max(first, NEWEST - _epoch_us(created_to) // 1_000_000)
        if created_from is not None:  # NEWEST - i >= lower: i <= NEWEST - ceil(lower)
            last = min(last, NEWEST - -(-_epoch_us(created_from) // 1_000_000))
        indices = range(first, last + 1) if first <= last else range(0)
        if ascending:
            indices = indices[::-1]
        count = len(indices)
        total_pages = max(1, -(-count // per_page))
        chunk = indices[(page - 1) * per_page : page * per_page] if page >= 1 else range(0)
        items = b",".join(self.item(i) for i in chunk)
        meta = {
            "current_page": page,
            "next_page": page + 1 if page < total_pages else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": total_pages,
            "total_count": count,
            "per_page": per_page,
        }
        return b'{"client_invoices":[' + items + b'],"meta":' + compact(meta) + b"}"


SHAPES = ("real", "real_no_drafts", "seed")
LABELS = {
    "real": "real-shaped, with drafts",
    "real_no_drafts": "real-shaped, no draft",
    "seed": "Qonto's documented example",
}
_DISTINCT = 200  # invoices of each real shape; invoice i takes the shape of i mod 200


@functools.cache
def invoices(shape: str) -> tuple[dict[str, Any], ...]:
    if shape == "seed":
        return (seed_client_invoice(),)
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; one of {', '.join(SHAPES)}")
    from qonto_async.testing import FakeQonto

    data = FakeQonto(seed=0, clients=50, client_invoices=3 * _DISTINCT).dataset
    table = data.client_invoices
    indices = [
        i for i in range(len(table)) if shape == "real" or data.client_invoice_status(i) != "draft"
    ]
    chosen = tuple(json.loads(table.encoded(i)) for i in indices[:_DISTINCT])
    drafts = sum(invoice["status"] == "draft" for invoice in chosen)
    assert (drafts > 0) == (shape == "real"), f"{shape}: {drafts} drafts"
    return chosen


@functools.cache
def template(shape: str) -> InvoiceTemplate:
    return InvoiceTemplate(invoices(shape))
