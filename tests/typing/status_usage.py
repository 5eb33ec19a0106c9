"""Static checks of the status filters (run by ``mypy --strict``; never executed). Each
``type: ignore[...]`` marks a call mypy must refuse: were it accepted, the ignore would be
unused, and ``--strict`` (``warn_unused_ignores``) would fail."""

from qonto_async import ClientInvoiceStatus, QontoClient, QuoteStatus, SupplierInvoiceStatus


def check_status_filters(qonto: QontoClient) -> None:
    qonto.client_invoices.list(status="paid")
    qonto.client_invoices.list(status=["paid", "unpaid"])
    wanted: list[ClientInvoiceStatus] = ["draft", "canceled"]
    qonto.client_invoices.list(status=wanted)
    qonto.supplier_invoices.list(status=("to_review", "to_pay"))
    supplier: SupplierInvoiceStatus = "awaiting_payment"
    qonto.supplier_invoices.list(status=supplier)
    quote: QuoteStatus = "approved"
    qonto.quotes.list(status=quote)

    qonto.client_invoices.list(status="payed")  # type: ignore[arg-type]
    qonto.client_invoices.list(status=["paid", "payed"])  # type: ignore[list-item]
    qonto.supplier_invoices.list(status="payed")  # type: ignore[arg-type]
    qonto.quotes.list(status="accepted")  # type: ignore[arg-type]
    typed_as_str: str = "paid"
    qonto.client_invoices.list(status=typed_as_str)  # type: ignore[arg-type]
