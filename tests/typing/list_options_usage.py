"""Static checks of ``list()``'s shared keywords (run by ``mypy --strict``; never executed)."""

import datetime

from qonto_async import ListOptions, Paginator, QontoClient
from qonto_async.models import Client, SupplierInvoice


def check_list_keywords(qonto: QontoClient) -> None:
    clients: Paginator[Client] = qonto.clients.list(
        name="ACME",
        created_at_from=datetime.date(2026, 1, 1),
        updated_at_to="2026-02-01T00:00:00Z",
        sort_by="name:asc",
        per_page=50,
        prefetch=8,
        limit=10,
        start=None,
        on_progress=lambda done, total: None,
    )
    options: ListOptions = {"per_page": 20, "prefetch": 2}
    supplier: Paginator[SupplierInvoice] = qonto.supplier_invoices.list(status="paid", **options)
    qonto.clients.list(per_pag=5)  # type: ignore[call-arg]
    qonto.quotes.list(per_page="5")  # type: ignore[arg-type]
    del clients, supplier
