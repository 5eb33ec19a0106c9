"""Where ``qonto-async sync`` and ``listen`` keep what they fetched: the ledger, on SQLite
(embedded, the default) or PostgreSQL."""

from .schema import COLUMNS
from .store import Ledger, PageCounts, is_postgres

__all__ = ["COLUMNS", "Ledger", "PageCounts", "is_postgres"]
