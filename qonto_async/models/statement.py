"""Bank statements: ``GET /v2/statements`` and ``GET /v2/statements/{id}``."""

from __future__ import annotations

from typing import Literal, get_args

import msgspec

from ._lenient import lenient_decoder, lenient_page_decoder
from .common import Meta, QontoModel

__all__ = [
    "STATEMENT_SORT_FIELDS",
    "Statement",
    "StatementFile",
    "StatementList",
    "StatementSort",
    "decode_statement",
    "decode_statement_page",
]

StatementSort = Literal["period"]
"""What ``GET /v2/statements`` sorts on (``period:asc`` or ``period:desc``)."""

STATEMENT_SORT_FIELDS: tuple[StatementSort, ...] = get_args(StatementSort)
"""The fields ``statements.list(sort_by=...)`` takes."""


class StatementFile(QontoModel, frozen=True, kw_only=True):
    """The statement's PDF. ``file_url`` is a signed link; how long it stays valid is not
    documented (assume minutes, as for attachments, and fetch a fresh statement to re-sign it).
    ``file_size`` is a string in the docs and a number live (by one client): both decode."""

    file_name: str | None = None
    file_content_type: str | None = None
    file_size: int | None = None
    file_url: str | None = None


class Statement(QontoModel, frozen=True, kw_only=True):
    """One month of one account. ``period`` is ``MM-YYYY`` as sent (``"08-2024"``)."""

    id: str
    bank_account_id: str | None = None
    period: str | None = None
    file: StatementFile | None = None


class StatementList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/statements``."""

    items: list[Statement] = msgspec.field(name="statements")
    meta: Meta | None = None


class _StatementEnvelope(QontoModel, frozen=True, kw_only=True):
    statement: Statement


_STATEMENT = lenient_decoder(_StatementEnvelope)
decode_statement_page = lenient_page_decoder(StatementList, Statement)
"""``{"statements": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


def decode_statement(data: bytes) -> Statement:
    """Decode ``{"statement": {...}}``."""
    return _STATEMENT(data).statement
