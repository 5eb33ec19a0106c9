"""Schema versions and the migrations between them.

A ledger carries its version in ``ledger_meta`` beside a marker naming it a qonto-async
ledger. Version 1, the first release's schema, has neither: it is recognised by its exact
tables and columns (``V1_TABLES``, frozen here as that release wrote them). Anything else
that is not empty is someone else's database, and is refused before any write.

``MIGRATIONS`` is the ordered list of steps, one per version: step N takes a ledger at version
N - 1 to version N. Each step runs in a transaction of its own together with the version it
leaves behind (SQLite and PostgreSQL both roll DDL back), so an interrupted upgrade leaves
the ledger at the last version it completed, and the next opening carries on from there.

Adding a version: append a :class:`Migration` (``version`` = the new ``SCHEMA_VERSION``)
whose ``apply`` brings an existing ledger to what ``schema.ddl`` now creates for a new one.
The tests compare the two schemas and upgrade the version 1 fixture
(``tests/fixtures/ledger_v1.sqlite``) through every step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .schema import MARKER, META_TABLE, meta_ddl

__all__ = ["MIGRATIONS", "V1_TABLES", "Executor", "Migration"]


class Executor(Protocol):
    """What a step runs statements through (written with ``?`` placeholders)."""

    postgres: bool

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any: ...


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int  # the version this step leaves the ledger at
    summary: str
    apply: Callable[[Executor], None]


# The tables and columns version 1 created, in order (``runs.id`` is auto-numbered).
V1_TABLES: dict[str, tuple[str, ...]] = {
    "clients": (
        "id", "name", "kind", "email", "vat_number", "currency", "created_at", "updated_at",
        "deleted_at", "seen_run", "raw",
    ),
    "client_invoices": (
        "id", "number", "status", "currency", "total_amount", "vat_amount", "issue_date",
        "due_date", "client_id", "attachment_id", "created_at", "updated_at", "deleted_at",
        "seen_run", "raw",
    ),
    "supplier_invoices": (
        "id", "number", "status", "supplier_name", "total_amount", "currency", "issue_date",
        "due_date", "payment_date", "attachment_id", "created_at", "updated_at", "deleted_at",
        "seen_run", "raw",
    ),
    "cursors": ("resource", "cursor", "full_run"),
    "runs": (
        "id", "started_at", "finished_at", "status", "resources", "new", "updated",
        "unchanged", "deleted", "attachments", "requests", "retries",
    ),
    "attachments": ("id", "file", "size"),
}  # fmt: skip


def _v2_meta(db: Executor) -> None:
    """Version 2: the ledger says what it is (``ledger_meta``: marker, schema version)."""
    db.execute(meta_ddl())
    db.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES ('marker', ?)", (MARKER,))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "ledger_meta: the ledger's marker and schema version", _v2_meta),
)
