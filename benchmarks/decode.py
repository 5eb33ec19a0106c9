"""Decoding: per-object cost and memory of our msgspec models vs dicts vs pydantic v2.

Payloads: the client invoice and supplier invoice from Qonto's documentation examples (seeds 002
and 003), a 100-invoice page of distinct client invoices, and two pages shaped like real data
(FakeQonto's invoices: drafts with blank dates, nulls, individuals and companies), one with its
drafts and one without, also timed against each other head to head. Decoders, alternating in
every round:
json.loads to dicts, msgspec to untyped dicts (parser floor), our models, pydantic v2 equivalents
(`model_validate_json`, and `model_validate(json.loads(...))` as many users write it).

Run from the repository root:  python -m benchmarks.decode [--quick]
"""

from __future__ import annotations

import gc
import json
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from benchmarks import _pydantic_models as pm
from benchmarks._common import (
    NOT_AVAILABLE,
    base_parser,
    finish,
    paired,
    print_table,
    rotate,
    settle,
    spread,
    try_attr,
)
from benchmarks._native_twin import native_envelope_decoder, native_twin
from benchmarks._shapes import InvoiceTemplate, compact, invoices, load_json, seed_client_invoice
from qonto_async.models import ClientInvoice

MODULE = "benchmarks.decode"

Decoder = Callable[[bytes], Any]


@dataclass(frozen=True)
class Payload:
    key: str
    label: str
    data: bytes
    objects: int


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    decoders: dict[str, Decoder]  # payload key -> decode function
    unavailable: str | None = None


def payloads() -> list[Payload]:
    template = InvoiceTemplate(seed_client_invoice())
    return [
        Payload(
            "client_invoice",
            "client invoice (seed 002)",
            compact(load_json("client_invoice.json")),
            1,
        ),
        Payload(
            "supplier_invoice",
            "supplier invoice (seed 003)",
            compact(load_json("supplier_invoice.json")),
            1,
        ),
        Payload("page_100", "page of 100 client invoices", template.page(1, 100, 100), 100),
        Payload("page_real", "real-shaped page of 100, with drafts", REAL_PAGES[0], 100),
        Payload("page_real_no_drafts", "real-shaped page of 100, no draft", REAL_PAGES[1], 100),
    ]


def real_pages() -> tuple[bytes, bytes]:
    """Two pages of 100 real-shaped client invoices (``_shapes``): the first 100 of the shape
    with drafts (drafts among them, as on any real account) and 100 that are not drafts."""

    def page(shape: str) -> bytes:
        items = b",".join(compact(invoice) for invoice in invoices(shape)[:100])
        meta = compact({"current_page": 1, "next_page": None, "total_pages": 1, "total_count": 100})
        return b'{"client_invoices":[' + items + b'],"meta":' + meta + b"}"

    assert any(invoice["status"] == "draft" for invoice in invoices("real")[:100])
    return page("real"), page("real_no_drafts")


REAL_PAGES = real_pages()


NATIVE_LABEL = "same models, msgspec's native dates (rejects drafts)"


def native_decoders() -> dict[str, Decoder]:
    """Our models with native date fields: what reading ``""`` dates in the same pass costs."""
    from qonto_async.models import ClientInvoiceList, SupplierInvoice

    page = msgspec.json.Decoder(native_twin(ClientInvoiceList)).decode
    return {
        "client_invoice": native_envelope_decoder("client_invoice", ClientInvoice).decode,
        "supplier_invoice": native_envelope_decoder("supplier_invoice", SupplierInvoice).decode,
        "page_100": page,
        "page_real_no_drafts": page,
    }


def contenders() -> list[Contender]:
    out = [
        Contender(
            "json",
            "json.loads -> dicts",
            {
                "client_invoice": json.loads,
                "supplier_invoice": json.loads,
                "page_100": json.loads,
                "page_real": json.loads,
                "page_real_no_drafts": json.loads,
            },
        ),
        Contender(
            "msgspec_raw",
            "msgspec untyped -> dicts",
            {
                "client_invoice": msgspec.json.decode,
                "supplier_invoice": msgspec.json.decode,
                "page_100": msgspec.json.decode,
                "page_real": msgspec.json.decode,
                "page_real_no_drafts": msgspec.json.decode,
            },
        ),
    ]
    names = ("decode_client_invoice", "decode_supplier_invoice", "decode_client_invoice_list")
    found = {n: try_attr("qonto_async.models", n) for n in names}
    reason = next((r for _, r in found.values() if r), None)
    ours: dict[str, Decoder] = {}
    if reason is None:
        keys = ("client_invoice", "supplier_invoice", "page_100")
        for payload, name in zip(keys, names, strict=True):
            fn = found[name][0]
            assert callable(fn)
            ours[payload] = fn
        ours["page_real"] = ours["page_real_no_drafts"] = ours["page_100"]
    out.append(Contender("ours", "qonto_async models (msgspec)", ours, reason))
    if reason is None:
        out.append(Contender("native", NATIVE_LABEL, native_decoders()))
    out.append(
        Contender(
            "pydantic",
            "pydantic v2 model_validate_json",
            {
                "client_invoice": pm.ClientInvoiceResponse.model_validate_json,
                "supplier_invoice": pm.SupplierInvoiceResponse.model_validate_json,
                "page_100": pm.ClientInvoiceList.model_validate_json,
            },
        )
    )
    out.append(
        Contender(
            "pydantic_dict",
            "pydantic v2 model_validate(json.loads)",
            {
                "client_invoice": lambda b: pm.ClientInvoiceResponse.model_validate(json.loads(b)),
                "supplier_invoice": lambda b: pm.SupplierInvoiceResponse.model_validate(
                    json.loads(b)
                ),
                "page_100": lambda b: pm.ClientInvoiceList.model_validate(json.loads(b)),
            },
        )
    )
    return out


def calibrate(fn: Decoder, data: bytes, target_s: float) -> int:
    """Loops needed for one sample to last about `target_s`."""
    loops = 1
    while True:
        elapsed = time_once(fn, data, loops)
        if elapsed >= target_s / 4 or loops >= 1 << 22:
            return max(1, int(loops * target_s / max(elapsed, 1e-9)))
        loops *= 4


def time_once(fn: Decoder, data: bytes, loops: int) -> float:
    t0 = time.perf_counter()
    for _ in range(loops):
        fn(data)
    return time.perf_counter() - t0


def memory_per_invoice(contender: Contender, pages: Sequence[bytes], per_page: int) -> float | None:
    """Bytes kept alive per decoded client invoice (tracemalloc), envelopes dropped."""
    if "page_100" not in contender.decoders:
        return None
    decode = contender.decoders["page_100"]

    def items(page: Any) -> Any:
        if isinstance(page, dict):
            return page["client_invoices"]
        if hasattr(page, "client_invoices"):
            return page.client_invoices
        return page.items

    settle()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [items(decode(p)) for p in pages]
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    count = sum(len(k) for k in kept)
    assert count == per_page * len(pages)
    return (after - before) / count


def run(args: Any) -> dict[str, Any]:
    pls = payloads()
    cons = contenders()
    active = [c for c in cons if c.unavailable is None]
    for c in cons:
        if c.unavailable:
            print(f"{c.label}: {c.unavailable}")
    target = 0.03 if args.quick else 0.1
    per_payload: dict[str, Any] = {}
    for p in pls:
        here = [c for c in active if p.key in c.decoders]
        loops = {c.key: calibrate(c.decoders[p.key], p.data, target) for c in here}
        samples: dict[str, list[float]] = {c.key: [] for c in here}
        for r in range(args.rounds):
            for c in rotate(here, r):
                settle()
                elapsed = time_once(c.decoders[p.key], p.data, loops[c.key])
                samples[c.key].append(elapsed / loops[c.key] / p.objects * 1e6)
        res: dict[str, Any] = {"bytes": len(p.data), "objects": p.objects, "contenders": {}}
        for c in cons:
            if c.key not in samples:
                res["contenders"][c.key] = {"status": c.unavailable or "not run on this payload"}
                continue
            vs_ours = None
            if "ours" in samples:
                vs_ours = paired(samples[c.key], samples["ours"])
            res["contenders"][c.key] = {
                "status": "ok",
                "us_per_object": spread(samples[c.key]),
                "ratio_to_ours": vs_ours,
                "loops_per_sample": loops[c.key],
            }
        per_payload[p.key] = res
        rows = []
        for c in cons:
            s = res["contenders"][c.key]
            if s["status"] != "ok":
                rows.append([c.label, "—", "—"])
                continue
            rr = s["ratio_to_ours"]
            rows.append([c.label, s["us_per_object"].fmt(",.2f"), rr.fmt(".2f") if rr else "n/a"])
        print_table(
            f"{p.label}, {len(p.data):,} bytes: µs per object, median [min–max] of "
            f"{args.rounds} alternating rounds",
            ["decoder", "µs/object", "time ÷ ours"],
            rows,
        )

    template = InvoiceTemplate(seed_client_invoice())
    pages = [template.page(i + 1, 100, 1000) for i in range(10)]
    memory: dict[str, float | None] = {}
    for c in active:
        memory[c.key] = memory_per_invoice(c, pages, 100)
    mem_rows = []
    for c in cons:
        m = memory.get(c.key)
        if m is None:
            mem_rows.append([c.label, c.unavailable or "n/a", ""])
            continue
        base = memory.get("ours")
        ratio = f"{m / base:.2f}" if base else "n/a"
        mem_rows.append([c.label, f"{m:,.0f}", ratio])
    print_table(
        "Memory kept alive per decoded client invoice (tracemalloc, 1,000 invoices from 10 pages)",
        ["decoder", "bytes/invoice", "÷ ours"],
        mem_rows,
    )

    target_rows = []
    verdicts: dict[str, Any] = {}
    drafts = drafts_head_to_head(args)
    for p in pls:
        if p.key.startswith("page_real"):
            continue
        pyd = per_payload[p.key]["contenders"]["pydantic"]
        if pyd["status"] == "ok" and pyd["ratio_to_ours"] is not None:
            v = pyd["ratio_to_ours"].median
            verdicts[p.key] = {"pydantic_over_ours": v, "goal": 3.0, "met": v >= 3.0}
            target_rows.append([p.label, f"{v:.2f}x", ">= 3x", "met" if v >= 3.0 else "NOT met"])
        else:
            verdicts[p.key] = {"pydantic_over_ours": None, "goal": 3.0, "met": None}
            target_rows.append([p.label, "n/a", ">= 3x", NOT_AVAILABLE])
    print_table(
        "Target: typed decoding at least 3x faster than pydantic v2 (model_validate_json)",
        ["payload", "pydantic ÷ ours", "goal", "verdict"],
        target_rows,
    )
    return {
        "config": {"rounds": args.rounds, "sample_target_s": target, "quick": args.quick},
        "payloads": per_payload,
        "memory_bytes_per_invoice": memory,
        "targets": verdicts,
        "drafts_head_to_head": drafts,
    }


def drafts_head_to_head(args: Any) -> dict[str, Any]:
    """Our page decoder on the real-shaped page with drafts and without, and the native-date
    twin on the draft-free page (it cannot read the other), paired and alternating: drafts'
    blank dates must not cost a second decode, and what the one pass costs shows beside it."""
    fn = try_attr("qonto_async.models", "decode_client_invoice_list")[0]
    if not callable(fn):
        return {"status": NOT_AVAILABLE}
    native = native_decoders()["page_real_no_drafts"]
    with_drafts, without = REAL_PAGES
    runs: list[tuple[str, Decoder, bytes]] = [
        ("drafts", fn, with_drafts),
        ("no_drafts", fn, without),
        ("native_no_drafts", native, without),
    ]
    loops = calibrate(fn, without, 0.03 if args.quick else 0.1)
    per_invoice: dict[str, list[float]] = {key: [] for key, _, _ in runs}
    rounds = max(10, args.rounds)
    for r in range(rounds):
        for key, decode, page in rotate(runs, r):
            settle()
            per_invoice[key].append(time_once(decode, page, loops) / loops / 100 * 1e6)
    ratio = paired(per_invoice["drafts"], per_invoice["no_drafts"])
    price = paired(per_invoice["no_drafts"], per_invoice["native_no_drafts"])
    print_table(
        f"Real-shaped pages: µs per invoice, median [min–max] of {rounds} paired alternating "
        "rounds",
        ["page, decoder", "µs/invoice"],
        [
            ["with drafts, ours", spread(per_invoice["drafts"]).fmt(",.2f")],
            ["no draft, ours", spread(per_invoice["no_drafts"]).fmt(",.2f")],
            ["no draft, native dates", spread(per_invoice["native_no_drafts"]).fmt(",.2f")],
            ["with drafts ÷ without (ours)", ratio.fmt(".3f")],
            ["ours ÷ native dates (no draft)", price.fmt(".3f")],
        ],
    )
    met = ratio.median <= 1.05
    print(
        f"Target: the draft page within 5% of the draft-free one: {ratio.median:.3f}x, "
        f"{'met' if met else 'NOT met'}"
    )
    return {
        "us_per_invoice": {k: spread(v) for k, v in per_invoice.items()},
        "ratio": ratio,
        "ours_over_native_dates": price,
        "goal": 1.05,
        "met": met,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = base_parser("decode benchmark")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 5 if args.quick else 9
    finish("decode", MODULE, run(args))


if __name__ == "__main__":
    main()
