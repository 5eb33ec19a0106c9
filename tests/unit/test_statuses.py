"""Status filters: a value Qonto does not document is refused before any request, the way an
unknown ``sort_by`` is (Qonto itself answers a misspelt status with an empty list)."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from aioresponses import aioresponses as AioResponses

import qonto_async
from qonto_async import QontoClient
from qonto_async.models import (
    CLIENT_INVOICE_STATUSES,
    QUOTE_STATUSES,
    SUPPLIER_INVOICE_STATUSES,
    ClientInvoiceStatus,
    QuoteStatus,
    SupplierInvoiceStatus,
)

CASES = [
    ("client_invoices", "payed", "draft, unpaid, paid, canceled"),
    ("client_invoices", ["paid", "payed"], "draft, unpaid, paid, canceled"),
    ("client_invoices", ("paid", "cancelled"), "draft, unpaid, paid, canceled"),
    ("supplier_invoices", "payed", "to_review"),
    ("supplier_invoices", ["to_review", "reviewed"], "to_review"),
    ("quotes", "accepted", "pending_approval, approved, canceled"),
    ("quotes", ["approved", "pending"], "pending_approval, approved, canceled"),
]


@pytest.mark.parametrize(("resource", "status", "accepted"), CASES)
async def test_an_unknown_status_is_refused_before_any_request(
    qonto: QontoClient, http_mock: AioResponses, resource: str, status: Any, accepted: str
) -> None:
    lister = getattr(qonto, resource).list
    with pytest.raises(ValueError, match="status") as caught:
        lister(status=status)
    bad = status if isinstance(status, str) else status[-1]
    assert repr(bad) in str(caught.value)
    assert accepted in str(caught.value)
    assert not http_mock.requests


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("client_invoices", "paid"),
        ("client_invoices", ["draft", "unpaid", "paid", "canceled"]),
        ("supplier_invoices", ("to_review", "paid")),
        ("quotes", "pending_approval"),
    ],
)
def test_documented_statuses_pass(qonto: QontoClient, resource: str, status: Any) -> None:
    getattr(qonto, resource).list(status=status)  # nothing is sent until iterated


def test_status_aliases_are_public_and_match_the_tuples() -> None:
    assert get_args(ClientInvoiceStatus) == CLIENT_INVOICE_STATUSES
    assert get_args(SupplierInvoiceStatus) == SUPPLIER_INVOICE_STATUSES
    assert get_args(QuoteStatus) == QUOTE_STATUSES
    for name in ("ClientInvoiceStatus", "SupplierInvoiceStatus", "QuoteStatus"):
        assert name in qonto_async.__all__
        assert name in qonto_async.models.__all__
        assert getattr(qonto_async, name) is getattr(qonto_async.models, name)
