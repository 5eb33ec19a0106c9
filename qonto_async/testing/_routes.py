"""What FakeQonto answers where: every route of the API, the token endpoint, signed files."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ._bank_records import BankRecords, guarded
from ._client_writes import ClientWrites
from ._files import FileServer
from ._invoice_writes import ACTIONS, InvoiceWrites
from ._oauth import OAuthServer
from ._quote_writes import QuoteWrites
from ._records import RESOURCES, RecordServer
from ._responses import STAGING_PAGE
from ._supplier_writes import SupplierWrites
from ._transaction_writes import TransactionWrites
from ._webhooks import WebhookServer

__all__ = ["Handler", "routes"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def routes(
    *,
    records: RecordServer,
    files: FileServer,
    oauth: OAuthServer,
    clients: ClientWrites,
    invoices: InvoiceWrites,
    suppliers: SupplierWrites,
    quotes: QuoteWrites,
    webhooks: WebhookServer,
    bank: BankRecords,
    transactions: TransactionWrites,
) -> list[tuple[str, str, Handler]]:
    table: list[tuple[str, str, Handler]] = [
        ("GET", f"/v2/{name}", records.list_handler(name)) for name in RESOURCES
    ]
    table += [
        ("GET", "/v2/clients/{id}", records.get_handler("clients")),
        ("POST", "/v2/clients", clients.create),
        ("PATCH", "/v2/clients/{id}", clients.update),
        ("DELETE", "/v2/clients/{id}", clients.delete),
        ("GET", "/v2/client_invoices/uploads/{id}", files.get_upload),
        ("POST", "/v2/client_invoices/uploads", files.create_upload),
        ("GET", "/v2/client_invoices/{id}", records.get_handler("client_invoices")),
        ("POST", "/v2/client_invoices", invoices.create),
        ("PATCH", "/v2/client_invoices/{id}", invoices.update),
        ("DELETE", "/v2/client_invoices/{id}", invoices.delete),
        *(
            ("POST", f"/v2/client_invoices/{{id}}/{action}", invoices.action(action))
            for action in ACTIONS
        ),
        ("GET", "/v2/supplier_invoices/{id}", records.get_handler("supplier_invoices")),
        ("POST", "/v2/supplier_invoices/bulk", suppliers.bulk),
        ("POST", "/v2/supplier_invoices/{id}/mark_as_paid", suppliers.mark_as_paid),
        ("POST", "/v2/supplier_invoices/{id}/unmark_as_paid", suppliers.unmark_as_paid),
        ("GET", "/v2/quotes/{id}", records.get_handler("quotes")),
        ("POST", "/v2/quotes", quotes.create),
        ("GET", "/v2/credit_notes/{id}", records.get_handler("credit_notes")),
        ("GET", "/v2/attachments/{id}", files.get_attachment),
        ("GET", "/v2/organization", guarded(bank.organization)),
        ("GET", "/v2/bank_accounts", guarded(bank.list_bank_accounts)),
        ("GET", "/v2/bank_accounts/{id}", bank.get_bank_account),
        ("GET", "/v2/transactions", guarded(bank.list_transactions)),
        ("GET", "/v2/transactions/{id}", guarded(bank.get_transaction)),
        ("GET", "/v2/transactions/{id}/attachments", guarded(bank.list_attachments)),
        ("POST", "/v2/transactions/{id}/attachments", transactions.upload),
        ("DELETE", "/v2/transactions/{id}/attachments", transactions.delete_all),
        (
            "DELETE",
            "/v2/transactions/{transaction_id}/attachments/{attachment_id}",
            transactions.delete_one,
        ),
        ("GET", "/v2/labels", guarded(bank.list_labels)),
        ("GET", "/v2/labels/{id}", bank.get_label),
        ("GET", "/v2/memberships", guarded(bank.list_memberships)),
        ("GET", "/v2/statements", guarded(bank.list_statements)),
        ("GET", "/v2/statements/{id}", bank.get_statement),
        ("POST", "/v2/webhook_subscriptions", webhooks.create),
        ("GET", "/v2/webhook_subscriptions", webhooks.index),
        ("GET", "/v2/webhook_subscriptions/{id}", webhooks.get),
        ("PUT", "/v2/webhook_subscriptions/{id}", webhooks.replace),
        ("DELETE", "/v2/webhook_subscriptions/{id}", webhooks.delete),
        ("POST", "/oauth2/token", oauth.token),
        ("GET", "/files/{kind}/{id}/{filename}", files.download),
        ("GET", "/sso/login", _login_page),
    ]
    return table


async def _login_page(request: web.Request) -> web.StreamResponse:
    return web.Response(body=STAGING_PAGE, content_type="text/html")
