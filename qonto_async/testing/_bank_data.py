"""The bank side of the fake organisation: its accounts, labels, memberships, monthly
statements and (in :mod:`._transactions_data`) transactions, derived from the seed.

- ``bank_accounts`` accounts: the first is the main Qonto account (its IBAN is the one
  invoices are paid into), the last one, when there are at least two, a connected external
  account (``is_external_account: true``: its transactions are read by ``bank_account_id``
  only, never by ``iban``). Balances follow the transactions: ``balance`` is the last
  ``settled_balance`` of the account's chain, ``authorized_balance`` adds the signed amounts
  of its pending transactions.
- Labels come in lists: parents (``parent_id`` null) with children.
- Statements: one per internal account per whole month, from the month of the first
  generated transaction to the month before ``now``; ``file.file_url`` is a signed link that
  downloads a PDF.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from ._bank_index import TransactionIndex
from ._datagen import FIRST_NAMES, LAST_NAMES, SPAN, ascii_slug, digits, encode, pdf, uuid4
from ._transactions_data import NULL, TransactionColumns, ts_ms

__all__ = ["BankData"]

_LABEL_LISTS = (
    ("Projects", ("Website redesign", "Paris office", "Trade show")),
    ("Cost centers", ("Marketing", "Engineering", "Sales", "Operations")),
    ("Clients", ("Dupont account", "Lumière account")),
)
_ACCOUNT_NAMES = ("Main account", "Taxes", "Savings", "Payroll", "Projects")
_ROLES = ("owner", "admin", "manager", "employee", "employee", "accountant", "reporting")


class BankData:
    def __init__(
        self,
        *,
        seed: int,
        now_epoch: int,
        organization_id: str,
        legal_name: str,
        main_iban: str,
        bank_accounts: int,
        transactions: int,
    ) -> None:
        if bank_accounts < 1:
            raise ValueError("bank_accounts must be >= 1")
        if transactions < 0:
            raise ValueError("record counts must be >= 0")
        rng = random.Random(f"{seed}:bank")
        self.organization_id = organization_id
        self.legal_name = legal_name
        self.slug = f"{ascii_slug(legal_name)[:24]}-{rng.randrange(1000, 10_000)}"
        self.now_ms = now_epoch * 1000
        start_ms = (now_epoch - SPAN) * 1000
        self.accounts: list[dict[str, Any]] = []
        for a in range(bank_accounts):
            external = bank_accounts > 1 and a == bank_accounts - 1
            iban = main_iban if a == 0 else ("DE89" if external else "FR76") + digits(rng, 23)
            name = "Connected bank" if external else _ACCOUNT_NAMES[a % len(_ACCOUNT_NAMES)]
            self.accounts.append(
                {
                    "id": uuid4(rng),
                    "slug": f"{self.slug}-bank-account-{a + 1}",
                    "name": name if a < len(_ACCOUNT_NAMES) else f"{name} {a}",
                    "iban": iban,
                    "bic": "COBADEFFXXX" if external else "QNTOFRP1XXX",
                    "main": a == 0,
                    "is_external_account": external,
                    "account_number": iban[-11:],
                }
            )
        self.account_index = {acc["id"]: a for a, acc in enumerate(self.accounts)}
        # by IBAN: Qonto accounts only (an external account is not reachable by IBAN)
        self.account_by_iban = {
            acc["iban"]: a for a, acc in enumerate(self.accounts) if not acc["is_external_account"]
        }
        self.labels: list[dict[str, Any]] = []
        for parent, children in _LABEL_LISTS:
            parent_id = uuid4(rng)
            self.labels.append({"id": parent_id, "name": parent, "parent_id": None})
            self.labels += [{"id": uuid4(rng), "name": c, "parent_id": parent_id} for c in children]
        self.label_index = {label["id"]: n for n, label in enumerate(self.labels)}
        self.memberships = [self._membership(rng, n) for n in range(6)]
        self.membership_ids = [m["id"] for m in self.memberships if m["status"] == "active"]
        self.transactions = TransactionColumns(
            seed,
            transactions,
            start_ms=start_ms,
            now_ms=self.now_ms,
            external=[acc["is_external_account"] for acc in self.accounts],
            labels=[label["id"] for label in self.labels if label["parent_id"] is not None],
        )
        # an account changes when one of its transactions moves its balances
        self.account_updated = [start_ms] * bank_accounts
        cols = self.transactions
        for i, a in enumerate(cols.account):
            moved = cols.emitted[i] if cols.settled[i] == NULL else cols.settled[i]
            if moved > self.account_updated[a]:
                self.account_updated[a] = moved
        self.statements = self._statements(rng, start_ms)
        self.statement_index = {s["id"]: n for n, s in enumerate(self.statements)}
        self.hidden: set[int] = set()
        """Transactions left out of every list answer (``fake.hide``), still readable by id."""
        self.index = TransactionIndex(self.transactions, self.hidden)
        self.cache: dict[int, bytes] = {}
        # attachment id -> (file name, content type, content, created ms) of files uploaded
        # to transactions while the fake runs (generated receipts are drawn on demand)
        self.files: dict[str, tuple[str, str, bytes, int]] = {}

    def _membership(self, rng: random.Random, n: int) -> dict[str, Any]:
        role: str | None = _ROLES[n]
        team: str | None = uuid4(rng)
        status = "active"
        if n == 5:
            # An invited member who has not accepted: role and team_id are null (seen live by
            # qontoctl; UNCONFIRMED in Qonto's docs), status ``invitable``.
            role, team, status = None, None, "invitable"
        birth = dt.date(1965 + rng.randrange(35), 1 + rng.randrange(12), 1 + rng.randrange(28))
        return {
            "id": uuid4(rng),
            "first_name": FIRST_NAMES[rng.randrange(len(FIRST_NAMES))],
            "last_name": LAST_NAMES[rng.randrange(len(LAST_NAMES))],
            "role": role,
            "residence_country": "FR",
            "birthdate": birth.isoformat(),
            "nationality": rng.choice(("FR", "FR", "DE", "IT")),
            "ubo": n == 0,
            "birth_country": rng.choice(("FR", "FR", "BE", "IT")),
            "status": status,
            "team_id": team,
        }

    def _statements(self, rng: random.Random, start_ms: int) -> list[dict[str, Any]]:
        """One statement per internal account and whole month, oldest first."""
        first = dt.datetime.fromtimestamp(start_ms / 1000, dt.UTC)
        last = dt.datetime.fromtimestamp(self.now_ms / 1000, dt.UTC)
        year, month = first.year, first.month
        out: list[dict[str, Any]] = []
        while (year, month) < (last.year, last.month):
            for a, account in enumerate(self.accounts):
                if account["is_external_account"]:
                    continue
                period = f"{month:02d}-{year}"
                out.append({"id": uuid4(rng), "account": a, "period": period, "ym": (year, month)})
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    # -- JSON ------------------------------------------------------------------------------

    def transaction(self, i: int) -> dict[str, Any]:
        cols = self.transactions
        account_id = self.accounts[cols.account[i]]["id"]
        return cols.record(i, account_id, self.slug, self.membership_ids)

    def encoded(self, i: int) -> bytes:
        """Transaction ``i``'s JSON without ``includes[]``, cached until it changes."""
        data = self.cache.get(i)
        if data is None:
            data = self.cache[i] = encode(self.transaction(i))
        return data

    def attachment_file(self, attachment_id: str, i: int) -> tuple[str, str, bytes, int]:
        """``(file name, content type, content, created epoch ms)`` of a receipt of
        transaction ``i``."""
        uploaded = self.files.get(attachment_id)
        if uploaded is not None:
            return uploaded
        cols = self.transactions
        n = (
            cols.attachment_ids[i].index(attachment_id)
            if attachment_id in cols.attachment_ids[i]
            else 0
        )
        name = f"receipt-{i + 1:06d}-{n + 1}.pdf"
        created = cols.emitted[i] + 60_000 * (1 + n)
        return name, "application/pdf", pdf(name, f"transaction {cols.ids[i]}"), created

    def account_json(self, a: int, *, in_organization: bool) -> dict[str, Any]:
        """An account as ``/v2/bank_accounts`` shows it, or as ``/v2/organization`` embeds it
        (with ``slug``, without ``organization_id``)."""
        acc = self.accounts[a]
        cols = self.transactions
        balance = cols.booked[a]
        authorized = balance + cols.pending_sum[a]
        out: dict[str, Any] = {"id": acc["id"]}
        if in_organization:
            out["slug"] = acc["slug"]
        else:
            out["organization_id"] = self.organization_id
        out.update(
            {
                "name": acc["name"],
                "status": "active",
                "main": acc["main"],
                "iban": acc["iban"],
                "bic": acc["bic"],
                "currency": "EUR",
                "balance": balance / 100,
                "balance_cents": balance,
                "authorized_balance": authorized / 100,
                "authorized_balance_cents": authorized,
                "updated_at": ts_ms(self.account_updated[a]),
                "is_external_account": acc["is_external_account"],
                # a string, as Qonto's spec types it (one docs example shows a number)
                "account_number": acc["account_number"],
            }
        )
        return out

    def organization_json(self, include_external: bool) -> dict[str, Any]:
        accounts = [
            self.account_json(a, in_organization=True)
            for a, acc in enumerate(self.accounts)
            if include_external or not acc["is_external_account"]
        ]
        return {
            "id": self.organization_id,
            "name": self.legal_name,
            "slug": self.slug,
            "legal_name": self.legal_name,
            "legal_number": self.organization_id.replace("-", "")[:9].upper(),
            "legal_sector": "6201Z",
            "legal_form": "SAS",
            "legal_country": "FR",
            "legal_address": "18 rue de Rivoli 75004 Paris FRANCE",
            "legal_registration_date": "2021-11-27",
            "legal_share_capital": 10000,
            "locale": "fr",
            # not ISO 8601: space separator, microseconds, no zone (as Qonto's example)
            "contract_signed_at": "2021-12-01 08:57:00.123047",
            "bank_accounts": accounts,
        }

    def statement_file(self, n: int) -> tuple[str, bytes]:
        statement = self.statements[n]
        account = self.accounts[statement["account"]]
        name = f"statement_{statement['period']}_{account['iban'][-4:]}.pdf"
        body = f"{account['name']} {account['iban']} {statement['period']}"
        return name, pdf(f"Qonto statement {statement['period']}", body)

    def statement_json(self, n: int, file_url: str) -> dict[str, Any]:
        statement = self.statements[n]
        name, content = self.statement_file(n)
        return {
            "id": statement["id"],
            "bank_account_id": self.accounts[statement["account"]]["id"],
            "period": statement["period"],
            "file": {
                "file_name": name,
                "file_content_type": "application/pdf",
                # a string, as Qonto's docs and spec type it (qontoctl saw a number live)
                "file_size": str(len(content)),
                "file_url": file_url,
            },
        }
