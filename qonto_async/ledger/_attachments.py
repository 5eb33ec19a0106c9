"""Where ``sync --attachments DIR`` puts each file: ``DIR/<resource>/<name>.pdf``, the name
made from the attachment id so that nothing the API answers can lead outside DIR. An
invoice's file is a PDF; a transaction's receipt is a PDF, a PNG or a JPEG (all Qonto
accepts), named by what its first bytes are (``.pdf``, ``.png``, ``.jpg``; ``.bin`` for
anything else).

An id becomes one file name: letters, digits, ``_`` and ``-`` are kept, every other
character is percent-encoded (its UTF-8 bytes as ``%XX``: ``/``, ``.``, ``%``, NUL, newlines
alike), so the name holds no separator, is never ``.`` or ``..``, never hidden, and decodes
back to the id (``urllib.parse.unquote``). An id too long for a file name (or empty) keeps an
encoded prefix and gets ``~`` and a SHA-256 of the id instead: ``~`` never appears in an
encoded id, so the two kinds of names cannot meet. The folder the name lands in is resolved
(symlinks followed) and must lie inside DIR.

A file is written under a temporary name beside its final one and renamed into place, so a
file with the final name is always whole; a write that fails removes its temporary file, and
the temporaries a killed run left are removed by the next run (which holds the ledger's lock,
so no other sync is writing them).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import string
from pathlib import Path

from ._errors import LedgerError

__all__ = [
    "attachment_file_name",
    "cannot_write",
    "clean_partials",
    "prepare",
    "resource_folder",
    "suffix_for",
    "write_file",
]

_KEPT = frozenset(string.ascii_letters + string.digits + "_-")
_LONGEST = 120  # encoded characters kept whole; file names stay far below 255 bytes
_PARTIAL = ".partial"
_SUFFIXES = (".pdf", ".png", ".jpg", ".bin")
# a file's first bytes -> its suffix
_MAGIC = ((b"%PDF", ".pdf"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"))


def suffix_for(content: bytes) -> str:
    """The suffix a receipt's content calls for: ``.pdf``, ``.png``, ``.jpg``, else ``.bin``."""
    for magic, suffix in _MAGIC:
        if content.startswith(magic):
            return suffix
    return ".bin"


def attachment_file_name(attachment_id: str, suffix: str = ".pdf") -> str:
    """The file name for ``attachment_id``: one safe, reversible name (see the module)."""
    encoded = "".join(
        char if char in _KEPT else "".join(f"%{b:02X}" for b in _utf8(char))
        for char in attachment_id
    )
    if not encoded or len(encoded) > _LONGEST:
        digest = hashlib.sha256(_utf8(attachment_id)).hexdigest()[:32]
        encoded = f"{encoded[:80]}~{digest}"
    return f"{encoded}{suffix}"


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate from JSON is an id too


def resource_folder(folder: Path, resource: str) -> Path:
    """``folder/resource``, checked to lie inside ``folder`` once symlinks are resolved: the
    file names made by :func:`attachment_file_name` cannot leave it."""
    place = folder / resource
    resolved = place.resolve()
    if not resolved.is_relative_to(folder.resolve()):
        raise LedgerError(
            f"refusing to write attachments outside {folder}: {place} leads to {resolved}"
        )
    return place


def prepare(folder: Path, resources: list[str]) -> None:
    """Create ``folder/<resource>`` for each resource and check a file can be created there,
    before anything is fetched; raises OSError (or LedgerError: see :func:`resource_folder`)."""
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder")
    for resource in resources:
        place = folder / resource
        place.mkdir(parents=True, exist_ok=True)
        resource_folder(folder, resource)  # a symlink out of the folder: refused, unprobed
        probe = place / f".probe.{secrets.token_hex(4)}{_PARTIAL}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)


def write_file(path: Path, content: bytes) -> None:
    """Write ``content`` at ``path`` atomically; on failure nothing is left behind."""
    partial = path.parent / f".{path.name}.{secrets.token_hex(4)}{_PARTIAL}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(partial, flags, 0o666)
    try:
        with open(fd, "wb") as file:
            file.write(content)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def clean_partials(place: Path) -> None:
    """Remove the temporary files killed runs left in ``place`` (ours only: ``.<name>.pdf.
    <hex>.partial`` (or ``.png``, ``.jpg``, ``.bin``), and the ``<name>.pdf.partial`` of
    releases before)."""
    with contextlib.suppress(OSError), os.scandir(place) as entries:
        for entry in entries:
            name = entry.name
            ours = name.startswith(".") and name.endswith(_PARTIAL)
            ours = ours and any(f"{suffix}." in name for suffix in _SUFFIXES)
            older = name.endswith(".pdf" + _PARTIAL)
            if (ours or older) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def cannot_write(folder: Path, exc: OSError) -> LedgerError:
    return LedgerError(f"cannot write attachments into {folder}: {exc.strerror or exc}")
