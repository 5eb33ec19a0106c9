"""The bank side's read endpoints: the organisation, bank accounts, transactions (filters,
sorts, ``includes[]``), a transaction's attachments, labels, memberships and statements.

- ``GET /v2/transactions`` needs ``bank_account_id`` or ``iban`` (422 ``missing`` without:
  one integration quotes that body, another saw a 400, UNCONFIRMED); ``bank_account_id``
  wins when both are sent. An unknown account, and an external account asked for by IBAN,
  is a 404. Status defaults to completed only, as Qonto's does; order defaults to
  ``settled_at:desc`` (see :mod:`._bank_index` for ties and nulls).
- ``GET /v2/bank_accounts`` and ``GET /v2/transactions/{id}/attachments`` honour ``page``
  and ``per_page`` but answer without ``meta``, as Qonto's do; ``/v2/bank_accounts`` lists
  external accounts too (its objects carry ``is_external_account``).
- A transaction hidden with ``fake.hide`` is in no list, but ``GET`` by id still finds it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiMapping

from ._bank_data import BankData
from ._bank_index import Selection
from ._bank_query import (
    ParamError,
    TransactionQuery,
    includes,
    pagination,
    parse_statements,
    parse_transactions,
    predicate,
)
from ._files import FileServer, not_found
from ._query import param_error_response
from ._responses import SERVED, encode, json_response
from ._transactions_data import OPS, ts_ms

__all__ = ["BANK_RESOURCES", "BankRecords", "guarded"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
BANK_RESOURCES = ("bank_accounts", "transactions", "labels", "memberships", "statements")


def _meta(page: int, per_page: int, total: int) -> dict[str, Any]:
    pages = math.ceil(total / per_page)
    return {
        "current_page": page,
        "next_page": page + 1 if page < pages else None,
        "prev_page": page - 1 if 1 < page <= pages else None,
        "total_pages": pages,
        "total_count": total,
        "per_page": per_page,
    }


def guarded(handler: Handler) -> Handler:
    """``handler`` answering a :class:`ParamError` with Qonto's error body."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ParamError as exc:
            return param_error_response(exc, request)

    return guarded


class BankRecords:
    def __init__(
        self,
        bank: BankData,
        files: FileServer,
        *,
        max_per_page: int | Mapping[str, int],
        default_per_page: int,
    ) -> None:
        self._bank = bank
        self._files = files
        if isinstance(max_per_page, int):
            self._max = dict.fromkeys(BANK_RESOURCES, max_per_page)
        else:
            self._max = {name: max_per_page.get(name, 100) for name in BANK_RESOURCES}
        self._default = default_per_page

    def _pages(self, name: str, query: MultiMapping[str]) -> tuple[int, int]:
        most = self._max[name]
        return pagination(query, max_per_page=most, default_per_page=min(self._default, most))

    # -- transactions ----------------------------------------------------------------------

    def account_of(self, q: TransactionQuery) -> int:
        bank = self._bank
        if q.bank_account_id is not None:
            a = bank.account_index.get(q.bank_account_id)
            if a is None:
                raise ParamError(404, "not_found", "Bank account not found", "bank_account_id")
            return a
        if q.iban is not None:
            a = bank.account_by_iban.get(q.iban)
            if a is None:  # external accounts included: they have no IBAN access
                raise ParamError(404, "not_found", "Bank account not found", "iban")
            return a
        raise ParamError(422, "missing", "bank_account_id or iban is missing", "bank_account_id")

    def select(self, q: TransactionQuery) -> Selection:
        cols = self._bank.transactions
        op_name = cols.op
        check = predicate(q, cols.debit, lambda i: OPS[op_name[i]].name, cols.attachment_ids)
        return self._bank.index.select(
            self.account_of(q), q.mask, dict(q.windows), check, q.predicate_key(), q.sort
        )

    def count(self, params: list[tuple[str, str]]) -> int:
        """How many transactions a list request with these parameters would return."""
        return len(self.select(parse_transactions(MultiDict(params))))

    def transaction_bytes(self, i: int, wanted: tuple[str, ...]) -> bytes:
        bank = self._bank
        base = bank.encoded(i)
        if not wanted:
            return base
        extra: dict[str, Any] = {}
        if "vat_details" in wanted:
            extra["vat_details"] = bank.transactions.vat_details(bank.transaction(i))
        if "labels" in wanted:
            labels = bank.transactions.label_ids[i]
            extra["labels"] = [bank.labels[bank.label_index[x]] for x in labels]
        if "attachments" in wanted:
            files = bank.transactions.attachment_ids[i]
            extra["attachments"] = [self.attachment_json(aid, i) for aid in files]
        return base[:-1] + b"," + encode(extra)[1:]

    def attachment_json(self, attachment_id: str, i: int) -> dict[str, Any]:
        name, content_type, content, created = self._bank.attachment_file(attachment_id, i)
        return {
            "id": attachment_id,
            "created_at": ts_ms(created),
            "file_name": name,
            "file_size": str(len(content)),
            "file_content_type": content_type,
            "url": self._files.signed_url("attachments", attachment_id, name),
            "probative_attachment": {"status": "unavailable"},
        }

    async def list_transactions(self, request: web.Request) -> web.StreamResponse:
        page, per_page = self._pages("transactions", request.query)
        q = parse_transactions(request.query)
        selection = self.select(q)
        chunk = selection.page((page - 1) * per_page, per_page)
        body = b"".join(
            (
                b'{"transactions":[',
                b",".join([self.transaction_bytes(i, q.includes) for i in chunk]),
                b'],"meta":',
                encode(_meta(page, per_page, len(selection))),
                b"}",
            )
        )
        ids = self._bank.transactions.ids
        request[SERVED] = ("transactions", [ids[i] for i in chunk])
        return json_response(body)

    def _transaction(self, request: web.Request) -> int | None:
        return self._bank.transactions.index.get(request.match_info["id"])

    async def get_transaction(self, request: web.Request) -> web.StreamResponse:
        i = self._transaction(request)
        if i is None:
            return not_found(request)
        body = self.transaction_bytes(i, includes(request.query))
        request[SERVED] = ("transactions", (request.match_info["id"],))
        return json_response(b'{"transaction":' + body + b"}")

    async def list_attachments(self, request: web.Request) -> web.StreamResponse:
        i = self._transaction(request)
        if i is None:
            return not_found(request)
        page, per_page = self._pages("transactions", request.query)
        files = self._bank.transactions.attachment_ids[i][(page - 1) * per_page : page * per_page]
        return json_response(encode({"attachments": [self.attachment_json(a, i) for a in files]}))

    # -- the organisation and its accounts ---------------------------------------------------

    async def organization(self, request: web.Request) -> web.StreamResponse:
        raw = request.query.get("include_external_accounts", "")
        external = raw.lower() in ("true", "1")
        return json_response(encode({"organization": self._bank.organization_json(external)}))

    async def list_bank_accounts(self, request: web.Request) -> web.StreamResponse:
        page, per_page = self._pages("bank_accounts", request.query)
        count = len(self._bank.accounts)
        chosen = range(count)[(page - 1) * per_page : page * per_page]
        accounts = [self._bank.account_json(a, in_organization=False) for a in chosen]
        return json_response(encode({"bank_accounts": accounts}))

    async def get_bank_account(self, request: web.Request) -> web.StreamResponse:
        a = self._bank.account_index.get(request.match_info["id"])
        if a is None:
            return not_found(request)
        account = self._bank.account_json(a, in_organization=False)
        return json_response(encode({"bank_account": account}))

    # -- labels, memberships, statements -------------------------------------------------------

    def _listing(self, name: str, items: list[Any], query: MultiMapping[str]) -> web.Response:
        page, per_page = self._pages(name, query)
        chunk = items[(page - 1) * per_page : page * per_page]
        return json_response(encode({name: chunk, "meta": _meta(page, per_page, len(items))}))

    async def list_labels(self, request: web.Request) -> web.StreamResponse:
        return self._listing("labels", self._bank.labels, request.query)

    async def get_label(self, request: web.Request) -> web.StreamResponse:
        n = self._bank.label_index.get(request.match_info["id"])
        if n is None:
            return not_found(request)
        return json_response(encode({"label": self._bank.labels[n]}))

    async def list_memberships(self, request: web.Request) -> web.StreamResponse:
        return self._listing("memberships", self._bank.memberships, request.query)

    def statement_json(self, n: int) -> dict[str, Any]:
        bank = self._bank
        name, _ = bank.statement_file(n)
        url = self._files.signed_url("statements", bank.statements[n]["id"], name)
        return bank.statement_json(n, url)

    async def list_statements(self, request: web.Request) -> web.StreamResponse:
        page, per_page = self._pages("statements", request.query)
        q = parse_statements(request.query)
        bank = self._bank
        accounts: set[int] | None = None
        if q.bank_account_ids is not None:
            accounts = {
                bank.account_index[x] for x in q.bank_account_ids if x in bank.account_index
            }
        elif q.ibans is not None:
            accounts = {bank.account_by_iban[x] for x in q.ibans if x in bank.account_by_iban}
        chosen = [
            n
            for n, s in enumerate(bank.statements)
            if (accounts is None or s["account"] in accounts)
            and (q.period_from is None or s["ym"] >= q.period_from)
            and (q.period_to is None or s["ym"] <= q.period_to)
        ]
        # by period, then by account (main first) within a period, either way
        rows = bank.statements
        if q.descending:
            chosen.sort(key=lambda n: (-rows[n]["ym"][0], -rows[n]["ym"][1], rows[n]["account"]))
        else:
            chosen.sort(key=lambda n: (rows[n]["ym"], rows[n]["account"]))
        statements = [
            self.statement_json(n) for n in chosen[(page - 1) * per_page : page * per_page]
        ]
        meta = _meta(page, per_page, len(chosen))
        return json_response(encode({"statements": statements, "meta": meta}))

    async def get_statement(self, request: web.Request) -> web.StreamResponse:
        n = self._bank.statement_index.get(request.match_info["id"])
        if n is None:
            return not_found(request)
        return json_response(encode({"statement": self.statement_json(n)}))

    # -- for tests -------------------------------------------------------------------------

    def ids(self, resource: str) -> list[str]:
        bank = self._bank
        if resource == "transactions":
            return list(bank.transactions.ids)
        if resource == "bank_accounts":
            return [acc["id"] for acc in bank.accounts]
        rows = {"labels": bank.labels, "memberships": bank.memberships}.get(resource)
        return [r["id"] for r in (rows if rows is not None else bank.statements)]

    def record(self, resource: str, record_id: str) -> dict[str, Any]:
        bank = self._bank
        if resource == "transactions":
            i = bank.transactions.index.get(record_id)
            if i is None:
                raise KeyError(f"no transaction {record_id!r}")
            return bank.transaction(i)
        if resource == "bank_accounts":
            return bank.account_json(bank.account_index[record_id], in_organization=False)
        if resource == "labels":
            return dict(bank.labels[bank.label_index[record_id]])
        if resource == "statements":
            return self.statement_json(bank.statement_index[record_id])
        return dict(next(m for m in bank.memberships if m["id"] == record_id))
