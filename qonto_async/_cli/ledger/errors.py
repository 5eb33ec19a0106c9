"""Why a ledger cannot be used: each error is one sentence naming the database."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "LedgerBusyError",
    "LedgerDamagedError",
    "LedgerError",
    "LedgerTooNewError",
    "NotALedgerError",
    "display_name",
]


class LedgerError(Exception):
    """The ledger cannot be opened or used; ``str()`` says why, naming it."""


class NotALedgerError(LedgerError):
    """The database holds something else (an application's tables): it was left untouched."""


class LedgerTooNewError(LedgerError):
    """A newer release wrote this ledger: its schema version is beyond this one's."""


class LedgerDamagedError(LedgerError):
    """The file is damaged (SQLite's own check fails) or a ledger table lost columns."""


class LedgerBusyError(LedgerError):
    """Another sync holds the ledger's lock."""


def display_name(db: str) -> str:
    """``db`` as it may be printed: a PostgreSQL URL loses its password."""
    if not db.startswith(("postgresql://", "postgres://")):
        return db
    parts = urlsplit(db)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rpartition('@')[2]}"
    query = re.sub(r"(?i)(^|&)(password=)[^&]*", r"\1\2***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
