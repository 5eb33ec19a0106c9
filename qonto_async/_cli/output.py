"""Where exported records go: JSON Lines or CSV, one ``write()`` per page.

Each page is encoded completely in memory and handed to the OS in one unbuffered write, so
an export stopped at any point (Ctrl-C, SIGTERM, a network failure) leaves a file made of
whole records only: every JSONL line parses, and a CSV file is its header plus whole rows.

A file target is never overwritten until the export succeeds: records go to a temporary file
beside it (same directory, so the final rename is atomic), which replaces the target only at
the end. A failed run removes its temporary file and leaves yesterday's export as it was; an
interrupted run keeps what it wrote under ``<target>.partial``, so nobody mistakes it for a
complete export. A run killed outright (``kill -9``, a power cut) cannot clean up: its
temporary file, named after the target and the writer's pid, is removed by the next export to
that target once its writer is gone (or once it is :data:`STALE_AFTER` seconds old).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Literal

import msgspec

__all__ = [
    "COLUMNS",
    "STALE_AFTER",
    "FileSink",
    "Format",
    "RecordWriter",
    "Sink",
    "StdoutSink",
    "open_output",
    "remove_stale_temporaries",
    "transaction_columns",
]

Format = Literal["jsonl", "csv"]
Row = dict[str, Any]
Column = tuple[str, Callable[[Row], Any]]


def _path(*keys: str) -> Callable[[Row], Any]:
    def get(row: Row) -> Any:
        value: Any = row
        for key in keys:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return get


def _fields(*names: str) -> list[Column]:
    return [(name, _path(name)) for name in names]


def _display_name(party: Any) -> Any:
    if not isinstance(party, dict):
        return None
    if party.get("name"):
        return party["name"]
    return " ".join(p for p in (party.get("first_name"), party.get("last_name")) if p) or None


def _count(key: str) -> Callable[[Row], int]:
    return lambda row: len(row.get(key) or ())


COLUMNS: dict[str, list[Column]] = {
    "clients": [
        *_fields("id", "kind", "name", "first_name", "last_name", "email", "vat_number"),
        *_fields("tax_identification_number", "address", "zip_code", "city", "country_code"),
        *_fields("currency", "locale", "created_at", "updated_at"),
    ],
    "client_invoices": [
        *_fields("id", "number", "status", "invoice_type", "currency"),
        ("total_amount", _path("total_amount", "value")),
        ("vat_amount", _path("vat_amount", "value")),
        *_fields("total_amount_cents", "vat_amount_cents", "issue_date", "due_date"),
        *_fields("created_at", "finalized_at", "paid_at"),
        ("client_id", _path("client", "id")),
        ("client_name", lambda row: _display_name(row.get("client"))),
        ("client_email", _path("client", "email")),
        ("items", _count("items")),
        *_fields("purchase_order", "attachment_id", "einvoicing_status"),
    ],
    "supplier_invoices": [
        *_fields("id", "invoice_number", "status", "supplier_name", "file_name"),
        ("total_amount", _path("total_amount", "value")),
        ("currency", _path("total_amount", "currency")),
        ("payable_amount", _path("payable_amount", "value")),
        *_fields("issue_date", "due_date", "payment_date", "scheduled_date"),
        *_fields("created_at", "updated_at", "is_credit_note", "source_type", "attachment_id"),
        ("matched_transactions", _count("matched_transactions")),
    ],
}


def _signed_amount(row: Row) -> Any:
    """The amount with its direction: negative for a debit (Qonto's is always positive)."""
    amount = row.get("amount")
    if amount is None:
        return None
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        return amount
    side = row.get("side")
    if side not in ("debit", "credit"):
        return None  # the sign of money is never guessed
    return str(-abs(value) if side == "debit" else abs(value))


def _day(key: str, zone: dt.tzinfo) -> Callable[[Row], Any]:
    """A timestamp's calendar day in ``zone`` (an accountant's period is in local days)."""

    def get(row: Row) -> Any:
        value = row.get(key)
        if not isinstance(value, str) or not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(zone).date().isoformat()

    return get


def transaction_columns(zone: dt.tzinfo = dt.UTC) -> list[Column]:
    """The CSV columns of ``export transactions``, days in ``zone``."""
    return [
        ("settled_date", _day("settled_at", zone)),
        ("emitted_date", _day("emitted_at", zone)),
        ("label", _path("label")),
        ("counterparty", _path("clean_counterparty_name")),
        ("signed_amount", _signed_amount),
        ("currency", _path("currency")),
        ("side", _path("side")),
        ("status", _path("status")),
        ("operation_type", _path("operation_type")),
        ("category", _path("category")),
        ("cashflow_category", _path("cashflow_category", "name")),
        ("vat_amount", _path("vat_amount")),
        ("vat_rate", _path("vat_rate")),
        ("reference", _path("reference")),
        ("note", _path("note")),
        ("attachments", _count("attachment_ids")),
        ("attachment_required", _path("attachment_required")),
        ("amount", _path("amount")),
        ("local_amount", _path("local_amount")),
        ("local_currency", _path("local_currency")),
        ("settled_balance", _path("settled_balance")),
        ("transaction_id", _path("transaction_id")),
        ("id", _path("id")),
        ("bank_account_id", _path("bank_account_id")),
        *_fields("settled_at", "emitted_at", "updated_at"),
    ]


COLUMNS["transactions"] = transaction_columns()


# A cell a spreadsheet would run as a formula (OWASP's "CSV injection"): text from Qonto (a
# label, a note a customer typed) starting with one of these. Numbers ("-12.50") are not text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value  # shown as text, never evaluated
    return value


class StdoutSink:
    """Standard output: flushed after every page, never closed."""

    name = "-"

    def __init__(self) -> None:
        self._stream = sys.stdout.buffer

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self._stream.flush()

    def close(self) -> None:
        self._stream.flush()


STALE_AFTER = 24 * 3600.0
"""Seconds after which a temporary file of ours counts as abandoned even if its writer's pid
is alive (pids are reused), or when it predates the pid in the name."""


class FileSink:
    """A temporary file beside ``target`` that becomes ``target`` only on :meth:`commit`.

    It is named ``.<target name>.<pid>.<random>.tmp``: the pid says whether its writer still
    runs (see :func:`remove_stale_temporaries`).
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.name = target
        directory, base = os.path.split(os.path.abspath(target))
        fd, self._temp = tempfile.mkstemp(
            prefix=f".{base}.{os.getpid()}.", suffix=".tmp", dir=directory
        )
        self._file = os.fdopen(fd, "wb", buffering=0)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[self._file.write(view) :]

    def close(self) -> None:
        self._file.close()

    def commit(self) -> str:
        """Replace the target with what was written; returns its path."""
        self.close()
        os.chmod(self._temp, _mode_for(self.target))
        os.replace(self._temp, self.target)
        return self.target

    def keep_partial(self) -> str:
        """Keep what was written as ``<target>.partial``; the target stays as it was."""
        self.close()
        partial = f"{self.target}.partial"
        os.chmod(self._temp, _mode_for(self.target))
        os.replace(self._temp, partial)
        self.name = partial
        return partial

    def abandon(self) -> None:
        """Drop what was written; the target stays as it was."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._temp)


Sink = StdoutSink | FileSink


def _mode_for(target: str) -> int:
    """The target's current permissions, or what a new file would get under the umask."""
    try:
        return os.stat(target).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def open_output(target: str | None) -> Sink:
    """Standard output for ``None`` or ``-``, else a :class:`FileSink` for the path; a
    directory is an :class:`IsADirectoryError`, before anything is written."""
    if target in (None, "-"):
        return StdoutSink()
    assert target is not None
    if os.path.isdir(target):
        raise IsADirectoryError(f"{target} is a directory")
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"no such directory: {directory}")
    return FileSink(target)


_UID = os.getuid() if hasattr(os, "getuid") else 0  # Windows: st_uid is always 0


def remove_stale_temporaries(target: str, now: float | None = None) -> list[str]:
    """Remove the temporary files an export to ``target`` left when it was killed before
    it could clean up; returns their paths.

    Only files named as :class:`FileSink` names them for this very target, regular files
    (not links) of this user, and only stale ones: their writer's pid no longer runs, or
    they are older than :data:`STALE_AFTER` (a name without a pid, from an older version,
    goes by its age alone). A run still writing keeps its file.
    """
    directory, base = os.path.split(os.path.abspath(target))
    pattern = re.compile(rf"\.{re.escape(base)}\.(?:(\d+)\.)?[a-z0-9_]{{8}}\.tmp")
    current = time.time() if now is None else now
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match is None:
            continue
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != _UID:
            continue
        pid = int(match.group(1)) if match.group(1) else None
        old = current - info.st_mtime > STALE_AFTER
        if old or (pid is not None and not _running(pid)):
            with contextlib.suppress(OSError):
                os.remove(path)
                removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether a process ``pid`` exists (one of another user's counts as running)."""
    if pid == os.getpid() or os.name == "nt":  # Windows' os.kill would terminate it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal, or a platform without signal 0
        return True
    return True


class RecordWriter:
    """Writes pages of SDK models as JSONL (``msgspec.json.encode(model)`` per line) or CSV."""

    def __init__(
        self, sink: Sink, fmt: Format, resource: str, columns: list[Column] | None = None
    ) -> None:
        self.sink = sink
        self.format = fmt
        self.records = 0
        self._encoder = msgspec.json.Encoder()
        self._columns = columns if columns is not None else COLUMNS[resource]
        if fmt == "csv":
            self.sink.write(self._csv([[name for name, _ in self._columns]]))

    def write_page(self, items: Sequence[msgspec.Struct]) -> None:
        if not items:
            return
        if self.format == "jsonl":
            data = self._encoder.encode_lines(items)
        else:
            rows = msgspec.to_builtins(items)
            data = self._csv([[_cell(get(row)) for _, get in self._columns] for row in rows])
        self.sink.write(data)
        self.records += len(items)

    @staticmethod
    def _csv(rows: list[list[Any]]) -> bytes:
        buffer = io.StringIO()
        # RFC 4180's line ends: a lone CR inside a cell is then quoted too, never a row break.
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue().encode()

    def close(self) -> None:
        self.sink.close()
