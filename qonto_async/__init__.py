"""qonto-async: an asyncio-first, typed, fast SDK for the Qonto Business API.

::

    async with QontoClient(login="acme-1234", secret_key="...") as qonto:
        invoice = await qonto.client_invoices.get("4d5418bb-...")
        async for inv in qonto.client_invoices.list(status=["paid", "unpaid"]):
            ...
"""

from ._client import PRODUCTION_URL, SANDBOX_URL, QontoClient
from ._http.auth import OAuthCredentials
from ._http.raw import RawResponse
from ._http.stats import ClientStats
from ._listing.page import Page, Records
from ._listing.paginator import Paginator, ProgressCallback
from ._logs import setup_logging
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ErrorDetail,
    EventLoopMismatchError,
    FileRejectedError,
    IdempotencyKeyReusedError,
    InternalServerError,
    InvalidTransitionError,
    ListChangedError,
    ListIncompleteError,
    NotFoundError,
    PermissionDeniedError,
    QontoError,
    RateLimitError,
    UnprocessableEntityError,
)
from .models import (
    Address,
    Amount,
    ApprovalWorkflow,
    Attachment,
    AvailableActionReasons,
    AvailableActions,
    Client,
    ClientInvoice,
    ClientInvoiceItem,
    ClientInvoiceStatus,
    ClientInvoiceUpload,
    CreditNote,
    Discount,
    EInvoicingLifecycleEvent,
    InvoiceItem,
    Meta,
    OrganizationSnapshot,
    PaymentMethod,
    PaymentReporting,
    Phone,
    ProbativeAttachment,
    Quote,
    QuoteStatus,
    RelatedInvoice,
    RequestTransfer,
    SuggestedTransaction,
    SupplierInvoice,
    SupplierInvoiceMeta,
    SupplierInvoiceStatus,
    WebhookSubscription,
    WelfareFund,
    WithholdingTax,
)
from .resources._bulk_upload import BulkFile
from .resources._params import ListOptions

__all__ = [
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "Address",
    "Amount",
    "ApprovalWorkflow",
    "Attachment",
    "AuthenticationError",
    "AvailableActionReasons",
    "AvailableActions",
    "BadRequestError",
    "BulkFile",
    "Client",
    "ClientClosedError",
    "ClientInvoice",
    "ClientInvoiceItem",
    "ClientInvoiceStatus",
    "ClientInvoiceUpload",
    "ClientStats",
    "ConflictError",
    "CreditNote",
    "Discount",
    "EInvoicingLifecycleEvent",
    "ErrorDetail",
    "EventLoopMismatchError",
    "FileRejectedError",
    "IdempotencyKeyReusedError",
    "InternalServerError",
    "InvalidTransitionError",
    "InvoiceItem",
    "ListChangedError",
    "ListIncompleteError",
    "ListOptions",
    "Meta",
    "NotFoundError",
    "OAuthCredentials",
    "OrganizationSnapshot",
    "Page",
    "Paginator",
    "PaymentMethod",
    "PaymentReporting",
    "PermissionDeniedError",
    "Phone",
    "ProbativeAttachment",
    "ProgressCallback",
    "QontoClient",
    "QontoError",
    "Quote",
    "QuoteStatus",
    "RateLimitError",
    "RawResponse",
    "Records",
    "RelatedInvoice",
    "RequestTransfer",
    "SuggestedTransaction",
    "SupplierInvoice",
    "SupplierInvoiceMeta",
    "SupplierInvoiceStatus",
    "UnprocessableEntityError",
    "WebhookSubscription",
    "WelfareFund",
    "WithholdingTax",
    "__version__",
]

setup_logging()
