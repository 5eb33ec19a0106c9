"""One module per Qonto collection; each method is a thin call into the transport."""

from .attachments import AttachmentsResource
from .bank_accounts import BankAccountsResource
from .client_invoice_uploads import ClientInvoiceUploadsResource
from .client_invoices import ClientInvoicesResource
from .clients import ClientsResource
from .labels import LabelsResource
from .memberships import MembershipsResource
from .organization import OrganizationResource
from .quotes import CreditNotesResource, QuotesResource
from .statements import StatementsResource
from .supplier_invoices import SupplierInvoicesResource
from .transaction_attachments import TransactionAttachmentsResource
from .transactions import TransactionsResource
from .webhook_subscriptions import WebhookSubscriptionsResource

__all__ = [
    "AttachmentsResource",
    "BankAccountsResource",
    "ClientInvoiceUploadsResource",
    "ClientInvoicesResource",
    "ClientsResource",
    "CreditNotesResource",
    "LabelsResource",
    "MembershipsResource",
    "OrganizationResource",
    "QuotesResource",
    "StatementsResource",
    "SupplierInvoicesResource",
    "TransactionAttachmentsResource",
    "TransactionsResource",
    "WebhookSubscriptionsResource",
]
