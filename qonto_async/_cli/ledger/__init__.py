"""Where ``qonto-async sync`` keeps what it fetched: the ledger (SQLite, embedded)."""

from .sqlite import Ledger, PageCounts

__all__ = ["Ledger", "PageCounts"]
