"""The invoice shapes the benchmarks serve and decode.

- ``real``: client invoices as FakeQonto makes them, shaped like a real account's: every
  status, drafts with blank (``""``) dates, nulls, individual and company clients, e-invoicing
  events. About one invoice in nine is a draft.
- ``real_no_drafts``: the same generator's invoices that are not drafts.
- ``seed``: Qonto's documented example (seed 002), the same invoice over and over, as the
  benchmarks served before real shapes existed.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from benchmarks._common import InvoiceTemplate, seed_client_invoice

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
