"""What tests do with FakeQonto's data: read it, count it, change it, let it churn."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from ._bank_mutations import BankMutations
from ._bank_records import BANK_RESOURCES, BankRecords
from ._churn import Churn, ChurnState
from ._data import Dataset
from ._datagen import epoch_us
from ._invoice_writes import InvoiceWrites
from ._mutations import Mutations
from ._oauth import OAuthServer
from ._records import RecordServer
from ._stats import Stats
from ._transaction_writes import TransactionWrites
from ._webhooks import WebhookDelivery, WebhookServer, transaction_event_data

__all__ = ["CredentialControls", "RecordControls", "WriteControls"]


class RecordControls:
    """The record-store half of :class:`FakeQonto`'s public surface."""

    dataset: Dataset
    stats: Stats
    clock: Callable[[], float]
    _records: RecordServer
    _mutations: Mutations
    _churn: ChurnState | None
    _webhooks: WebhookServer
    _bank: BankRecords
    _bank_mutations: BankMutations
    _transaction_writes: TransactionWrites

    # -- the record store --------------------------------------------------------------------

    def ids(self, resource: str) -> list[str]:
        """Ids of ``clients``, ``client_invoices``, ``supplier_invoices``,
        ``client_invoice_uploads``, ``attachments``, ``transactions``, ``bank_accounts``
        (main first, the external one last), ``labels``, ``memberships`` or ``statements``,
        in creation order."""
        if resource in BANK_RESOURCES:
            self._transaction_writes.process_due()
            return self._bank.ids(resource)
        return self._records.ids(resource)

    def record(self, resource: str, record_id: str) -> dict[str, Any]:
        """The JSON object the API returns for one record (a transaction without
        ``includes[]``)."""
        if resource in BANK_RESOURCES:
            self._transaction_writes.process_due()
            return self._bank.record(resource, record_id)
        return self._records.record(resource, record_id)

    def count(self, resource: str, **params: str | Sequence[str]) -> int:
        """How many records a list request with these query parameters would return in total.

        ``params`` are raw query parameters with brackets spelled out, e.g.
        ``fake.count("client_invoices", **{"filter[status]": "paid,unpaid"})``; a sequence
        repeats the key: ``fake.count("transactions", bank_account_id=account_id,
        **{"status[]": ["pending", "completed"]})``.
        """
        pairs = [
            (name, value)
            for name, given in params.items()
            for value in ([given] if isinstance(given, str) else given)
        ]
        if resource == "transactions":
            self._transaction_writes.process_due()
            return self._bank.count(pairs)
        return self._records.count(resource, **dict(pairs))

    def create(self, resource: str, **fields: Any) -> str:
        """Create a record as a Qonto user would; its id is returned.

        ``created_at`` and ``updated_at`` are the fake's ``clock`` unless given (an aware
        datetime or ISO 8601 string: several records may share one ``created_at``, as after a
        bulk import); other fields override the generated record (``status`` too).

        A transaction is emitted now: a pending card authorisation of the main account unless
        ``bank_account_id``, ``status`` (``completed`` settles it now, at the tail of the
        account's balance chain), ``operation_type``, ``side``, ``amount_cents``, ``note`` or
        ``label_ids`` say otherwise.
        """
        if resource == "transactions":
            rng = random.Random(
                f"{self.dataset.seed}:transactions:created:{len(self.dataset.bank.transactions)}"
            )
            return self._bank_mutations.create(rng, self._now_ms(), fields)
        record_id = self._mutations.create(resource, self._now_us(), fields)
        self._log(("created", resource, record_id))
        return record_id

    def update(self, resource: str, record_id: str, **fields: Any) -> None:
        """Change fields of a record; its ``updated_at`` moves to the fake's ``clock``.

        A transaction takes ``status`` (a pending one ``completed``, settling now, or
        ``declined``), ``note``, ``label_ids``, ``attachment_lost``, ``attachment_required``.
        """
        if resource == "transactions":
            i = self._bank_mutations.index_of(record_id)
            self._bank_mutations.update(i, self._now_ms(), fields)
            return
        self._mutations.update(resource, record_id, self._now_us(), fields)
        self._log(("updated", resource, record_id))

    def delete(self, resource: str, record_id: str) -> None:
        """Delete a record: it leaves every list and its GET answers 404. Qonto never deletes
        a transaction: ``fake.hide`` leaves one out of the lists instead."""
        if resource == "transactions":
            raise ValueError("Qonto does not delete transactions: see fake.hide()")
        self._mutations.delete(resource, record_id)
        self._log(("deleted", resource, record_id))

    def hide(self, resource: str, record_id: str) -> None:
        """Leave a transaction out of every ``GET /v2/transactions`` answer (of its account)
        from now on, as if Qonto's answer had lost it; ``GET`` by id still finds it. Not a
        change: nothing is recorded or sent. For tests of completeness checks."""
        if resource != "transactions":
            raise ValueError("only transactions can be hidden")
        self._bank_mutations.hide(self._bank_mutations.index_of(record_id), True)

    def unhide(self, resource: str, record_id: str) -> None:
        """Put a transaction hidden with :meth:`hide` back in the list answers."""
        if resource != "transactions":
            raise ValueError("only transactions can be hidden")
        self._bank_mutations.hide(self._bank_mutations.index_of(record_id), False)

    @property
    def attachments_processing(self) -> int:
        """Receipts uploaded to transactions that Qonto has not finished processing."""
        self._transaction_writes.process_due()
        return self._transaction_writes.processing

    @property
    def churn(self) -> Churn | None:
        """A :class:`Churn` makes the fake change its own data between requests."""
        return self._churn.churn if self._churn else None

    @churn.setter
    def churn(self, churn: Churn | None) -> None:
        self._churn = (
            ChurnState(
                churn,
                self.dataset,
                self._mutations,
                self._now_us,
                self._log,
                bank=self._bank_mutations,
            )
            if churn is not None
            else None
        )

    def _log(self, change: tuple[str, str, str]) -> None:
        self.stats.changes.append(change)
        action, resource, record_id = change
        self._webhooks.notify(action, resource, lambda: self._snapshot(resource, record_id))

    def _snapshot(self, resource: str, record_id: str) -> dict[str, Any]:
        """The record as the API shows it, or as it last stood if it was deleted (a
        transaction as the ``v1/transactions`` webhook shows it)."""
        if resource == "transactions":
            return transaction_event_data(self._bank.record(resource, record_id))
        table = self.dataset.tables[resource]
        i = table.index.get(record_id)
        if i is None:
            i = table.ids.index(record_id)
        return msgspec.json.decode(table.encoded(i))  # type: ignore[no-any-return]

    def _now_us(self) -> int:
        return epoch_us(self.clock())

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def warm(self, *resources: str) -> None:
        """Encode every record of ``resources`` (all by default) now, so that later answers
        cost nothing but a join: for benchmarks, before the timed part."""
        bank = self.dataset.bank
        if "transactions" in resources or not resources:
            for i in range(len(bank.transactions)):
                bank.encoded(i)
        others = [r for r in resources if r != "transactions"]
        if others or not resources:
            self._records.warm(*others)


class WriteControls:
    """What tests read of the fake's side effects: its account, emails sent, webhooks."""

    dataset: Dataset
    _invoice_writes: InvoiceWrites
    _webhooks: WebhookServer

    async def webhooks_settled(self) -> None:
        """Wait until every webhook event so far is delivered (answered 2xx) or given up;
        ``TimeoutError`` after a minute (wrap it in ``asyncio.timeout`` for less)."""
        async with asyncio.timeout(60):
            await self._webhooks.settled()

    @property
    def webhook_subscriptions(self) -> list[dict[str, Any]]:
        """The subscriptions made, as the API answers them (secrets included)."""
        return [dict(s) for s in self._webhooks.subscriptions.values()]

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every delivery attempt, in order: event id, type, subscription, attempt, status."""
        return list(self._webhooks.deliveries)

    @property
    def iban(self) -> str:
        """The organisation's Qonto account: what ``payment_methods={"iban": ...}`` of a new
        client invoice must name."""
        return self.dataset.iban

    @property
    def emails_sent(self) -> list[dict[str, Any]]:
        """Every ``client_invoices.send`` accepted, as ``{"invoice_id", "send_to", ...}``."""
        return self._invoice_writes.emails_sent


class CredentialControls:
    """The fake's OAuth side: its app's credentials, the current tokens, expiring them."""

    _oauth: OAuthServer

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired (the next bearer call gets a 401)."""
        self._oauth.expire_access_tokens()

    @property
    def client_id(self) -> str:
        return self._oauth.client_id

    @property
    def client_secret(self) -> str:
        return self._oauth.client_secret

    @property
    def refresh_token(self) -> str:
        """The current refresh token (it rotates at every refresh)."""
        return self._oauth.refresh_token

    @property
    def access_token(self) -> str:
        """The access token issued last."""
        return self._oauth.access_token
