"""One module per Qonto collection; each method is a thin call into the transport."""

from .attachments import AttachmentsResource
from .client_invoice_uploads import ClientInvoiceUploadsResource
from .client_invoices import ClientInvoicesResource
from .clients import ClientsResource
from .quotes import CreditNotesResource, QuotesResource
from .supplier_invoices import SupplierInvoicesResource
from .webhook_subscriptions import WebhookSubscriptionsResource

__all__ = [
    "AttachmentsResource",
    "ClientInvoiceUploadsResource",
    "ClientInvoicesResource",
    "ClientsResource",
    "CreditNotesResource",
    "QuotesResource",
    "SupplierInvoicesResource",
    "WebhookSubscriptionsResource",
]
