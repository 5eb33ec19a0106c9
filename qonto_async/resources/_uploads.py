"""Files to upload: read once, checked to be what Qonto accepts, sent as one multipart part."""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable
from typing import BinaryIO

import aiohttp

__all__ = ["ACCEPTED_TYPES", "FileInput", "read_file", "upload_form"]

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
        data.add_field(field, content, filename=name, content_type=kind)
        return data

    return form


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
