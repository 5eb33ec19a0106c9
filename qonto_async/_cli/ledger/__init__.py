"""Where ``qonto-async sync`` and ``listen`` keep what they fetched: the ledger, on SQLite
(embedded, the default) or PostgreSQL."""

from .errors import (
    LedgerBusyError,
    LedgerDamagedError,
    LedgerError,
    LedgerTooNewError,
    NotALedgerError,
)
from .schema import COLUMNS, SCHEMA_VERSION
from .store import Ledger, PageCounts, is_postgres

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerBusyError",
    "LedgerDamagedError",
    "LedgerError",
    "LedgerTooNewError",
    "NotALedgerError",
    "PageCounts",
    "is_postgres",
]
