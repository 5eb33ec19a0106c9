"""One sync at a time per ledger: a lock that dies with the process holding it.

SQLite: ``flock`` on a sidecar file, ``<ledger>.lock`` (beside the real file when the path is
a symlink). The kernel drops it when the holder exits, ``kill -9`` included, so a dead sync
never blocks the next one. It is taken on a file of its own, not on the database: SQLite's
own locks on the database file are POSIX record locks, which a lock of ours on that file would
meet on NFS (where flock is emulated with them). An exclusive transaction held for the whole
run would die with its process too, but it would also lock out ``listen`` (webhook events are
applied while a sync runs) and give up the page-by-page commits that make a killed run
resumable. The sidecar is never deleted: removing a lock file races with whoever opens it
next.

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) keyed on the ledger's schema,
released by the server when the session ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from typing import Any

from ._errors import LedgerError

__all__ = ["PG_LOCK", "PG_MIGRATION_LOCK", "FileLock", "pg_key", "pg_try_lock", "pg_unlock"]

# advisory lock keys: (class, object); the object is the ledger's schema, hashed
PG_LOCK = 0x514C4447  # "QLDG": a sync holds the ledger
PG_MIGRATION_LOCK = PG_LOCK + 1  # the ledger is being created or upgraded (per transaction)


def pg_key(lock_class: int) -> str:
    """The two-int advisory lock arguments for ``lock_class`` on the current schema."""
    return f"{lock_class}, hashtext(current_schema()) & 2147483647"


def pg_try_lock(db: Any) -> str | None:
    """Take the sync lock on ``db`` (a psycopg connection) without waiting; None when taken,
    else who holds it."""
    if db.execute(f"SELECT pg_try_advisory_lock({pg_key(PG_LOCK)})").fetchone()[0]:
        return None
    row = db.execute(
        "SELECT a.pid, a.client_addr, a.application_name FROM pg_locks l "
        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
        f"AND l.granted AND l.classid = {PG_LOCK} "
        "AND l.objid = (hashtext(current_schema()) & 2147483647) "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ).fetchone()
    if row is None:
        return ""
    where = f" from {row[1]}" if row[1] else ""
    return f" (PostgreSQL backend pid {row[0]}{where})"


def pg_unlock(db: Any) -> None:
    """Release the sync lock :func:`pg_try_lock` took on this session."""
    db.execute(f"SELECT pg_advisory_unlock({pg_key(PG_LOCK)})")


class FileLock:
    """An exclusive ``flock`` on ``path``, created if need be; the holder's pid inside."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> str | None:
        """None once held, else who holds it (`` (pid N)`` when known)."""
        if self._fd is not None:
            return None
        # Never through a link: a lock file planted as a symlink (or a hard link) to another
        # file would have that file truncated and written to.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise LedgerError(
                f"cannot open the lock file {self.path} ({exc.strerror or exc}): if it is a "
                "link, remove it"
            ) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                raise LedgerError(
                    f"the lock file {self.path} is not a plain file of its own (a link?): remove it"
                )
            if not _try_exclusive(fd):
                holder = _read_pid(fd)
                os.close(fd)
                return f" (pid {holder})" if holder else ""
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            raise
        self._fd = fd
        return None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the last descriptor releases the lock


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = os.read(fd, 32).decode(errors="replace").strip()
    except OSError:  # Windows: the holder's locked byte cannot be read
        return ""
    return holder if holder.isdigit() else ""


if sys.platform == "win32":  # pragma: no cover - the CI runs on Linux
    import msvcrt

    def _try_exclusive(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_exclusive(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
