"""Files to upload: read once, checked to be what Qonto accepts, sent as one multipart part."""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Callable
from typing import BinaryIO

import aiohttp

__all__ = ["ACCEPTED_TYPES", "FileInput", "add_file", "read_file", "upload_form"]

ACCEPTED_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})

FileInput = bytes | str | os.PathLike[str] | BinaryIO


def upload_form(
    field: str, file: FileInput, filename: str | None, content_type: str | None
) -> Callable[[], aiohttp.FormData]:
    """A factory of the form holding ``file`` as the part ``field`` (a new form for each
    attempt: aiohttp consumes one as it sends it). The file is read now, once; a type other
    than PDF, JPEG or PNG (from ``content_type``, else the name) is a ``ValueError``."""
    content, name = read_file(file, filename)
    kind = content_type or mimetypes.guess_type(name)[0]
    if kind not in ACCEPTED_TYPES:
        raise ValueError(
            f"Qonto accepts PDF, JPEG or PNG files; {name!r} is {kind!r}: "
            "pass content_type= if the name misleads"
        )

    def form() -> aiohttp.FormData:
        data = aiohttp.FormData()
        add_file(data, field, content, name, kind)
        return data

    return form


def add_file(
    data: aiohttp.FormData, field: str, content: bytes, filename: str, content_type: str | None
) -> None:
    """Add ``content`` to ``data`` as the file part ``field``, as a new :class:`io.BytesIO`.

    Given bytes over 1 MiB, aiohttp warns (``ResourceWarning``: "Sending a large body
    directly with raw bytes", an error where warnings are, its message holding the whole
    file); a ``BytesIO`` it sends in chunks, and closes once sent. So each attempt's form
    needs its own: a retry reads a fresh one from the start, the whole file again. (aiohttp
    copies the file into it, once an attempt, freed with the attempt's form.)
    """
    data.add_field(field, io.BytesIO(content), filename=filename, content_type=content_type)


def read_file(file: FileInput, filename: str | None) -> tuple[bytes, str]:
    """``file``'s content and name (bytes need ``filename``)."""
    if isinstance(file, bytes | bytearray | memoryview):
        if not filename:
            raise ValueError("filename= is required when uploading bytes")
        return bytes(file), filename
    if isinstance(file, str | os.PathLike):
        path = os.fspath(file)
        with open(path, "rb") as handle:
            return handle.read(), filename or os.path.basename(path)
    content = file.read()
    if not isinstance(content, bytes):
        raise TypeError("file objects must be opened in binary mode")
    name = filename or os.path.basename(str(getattr(file, "name", "") or ""))
    if not name:
        raise ValueError("filename= is required for a file object without a name")
    return content, name
