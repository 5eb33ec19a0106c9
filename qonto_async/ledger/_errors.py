"""Why a ledger cannot be used: each error is one sentence naming the database."""

from __future__ import annotations

import re

__all__ = [
    "LedgerBusyError",
    "LedgerDamagedError",
    "LedgerError",
    "LedgerTooNewError",
    "NotALedgerError",
    "display_name",
    "scrubbed",
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
    """``db`` as it may be printed: a PostgreSQL URL loses its password.

    Not through ``urlsplit`` alone: libpq takes a password holding ``#``, ``?`` or ``/``
    unencoded, where a URL parser ends the authority early and finds no password at all.
    Everything between the scheme and the last ``@`` that has a ``:`` in it is masked (too
    much rather than too little), and so is any ``password=`` parameter."""
    if not db.startswith(("postgresql://", "postgres://")):
        return db
    scheme, _, rest = db.partition("://")
    userinfo, at, after = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.split(':', 1)[0]}:***@{after}"
    rest = re.sub(r"(?i)([?&]password(?:=|%3D))[^&#]*", r"\1***", rest)
    return f"{scheme}://{rest}"


def scrubbed(text: str, db: str) -> str:
    """``text`` (a driver's message, which may quote the URL it could not parse) without the
    passwords ``db`` holds."""
    if not db.startswith(("postgresql://", "postgres://")):
        return text
    rest = db.partition("://")[2]
    userinfo, at, _ = rest.rpartition("@")
    secrets = [userinfo.split(":", 1)[1]] if at and ":" in userinfo else []
    secrets += re.findall(r"(?i)[?&]password(?:=|%3D)([^&#]*)", rest)
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
