"""``POST /v2/supplier_invoices/bulk``: many files, at most 20 per request, one result each.

Qonto takes up to 20 files per request (15 MB in all, 10 MB each) and answers 200 with the
invoices it created and an ``errors`` list for the files it refused; a 400 refuses the whole
request. Each file carries its own idempotency key, which is how Qonto avoids creating one
invoice twice: by default the key is derived from the file's content, so sending the same
file again (a retried request, a re-run script) finds the invoice already made.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import aiohttp
import msgspec

from .._http.idempotency import new_key
from .._http.transport import Transport
from ..errors import APIResponseValidationError, FileRejectedError, QontoError
from ..models.common import model_decoder
from ..models.supplier_invoice import SupplierInvoice
from ._uploads import FileInput, add_file, read_file

__all__ = ["MAX_FILES", "BulkFile", "UploadInput", "upload_in_chunks"]

PATH = "/v2/supplier_invoices/bulk"
MAX_FILES = 20
MAX_REQUEST_BYTES = 15 * 1024 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024
ACCEPTED_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
_KEY_NAMESPACE = uuid.UUID("5f0c7a52-9d1e-4c55-9a43-3c0a5e1b7d21")
_INDEX = re.compile(r"/(\d+)(?:/|$)")


@dataclass(frozen=True)
class BulkFile:
    """A file to upload, with the key that names it: derived from its content when
    ``idempotency_key`` is None; an empty one is a ``ValueError`` before any request."""

    content: bytes
    file_name: str
    content_type: str | None = None
    idempotency_key: str | None = None

    def key(self) -> str:
        return new_key(self.idempotency_key, self._content_key)

    def _content_key(self) -> str:
        digest = hashlib.sha256(self.content).hexdigest()
        return str(uuid.uuid5(_KEY_NAMESPACE, digest))


UploadInput = BulkFile | FileInput | tuple[str, bytes]


class _BulkAnswer(msgspec.Struct, frozen=True):
    supplier_invoices: list[SupplierInvoice] = []
    errors: list[_ItemError] = []


class _Source(msgspec.Struct, frozen=True):
    pointer: str | None = None


class _ItemError(msgspec.Struct, frozen=True):
    code: str | None = None
    detail: str | None = None
    source: _Source | None = None


_ANSWER = model_decoder(_BulkAnswer)
Result = SupplierInvoice | QontoError


def as_bulk_file(item: UploadInput) -> BulkFile:
    if isinstance(item, BulkFile):
        return item
    if isinstance(item, tuple):
        name, content = item
        return BulkFile(bytes(content), name)
    content, name = read_file(item, None)
    return BulkFile(content, name)


def _chunks(files: Sequence[BulkFile], ready: list[int]) -> list[list[int]]:
    chunks: list[list[int]] = []
    size = 0
    for index in ready:
        length = len(files[index].content)
        if not chunks or len(chunks[-1]) == MAX_FILES or size + length > MAX_REQUEST_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(index)
        size += length
    return chunks


def _too_large(index: int, file: BulkFile) -> FileRejectedError | None:
    if len(file.content) > MAX_FILE_BYTES:
        return FileRejectedError(
            index=index, file_name=file.file_name, code="too_large", detail="over 10 MB"
        )
    return None


async def upload_in_chunks(
    transport: Transport,
    items: Iterable[UploadInput],
    *,
    concurrency: int,
    fields: dict[str, str],
    timeout: float | None,
    extra_headers: Mapping[str, str] | None = None,
) -> list[Result]:
    files = [as_bulk_file(item) for item in items]
    results: list[Result | None] = [None] * len(files)
    ready: list[int] = []
    for index, file in enumerate(files):
        if file.idempotency_key is not None:
            file.key()  # a key the rule refuses fails here, before any request
        content_type = file.content_type or mimetypes.guess_type(file.file_name)[0]
        if content_type not in ACCEPTED_TYPES:
            raise ValueError(
                f"file {index} ({file.file_name!r}) is {content_type!r}: Qonto takes PDF, "
                "JPEG or PNG (pass a BulkFile with content_type= if the name misleads)"
            )
        results[index] = _too_large(index, file)
        if results[index] is None:
            ready.append(index)
    chunks = _chunks(files, ready)
    pending = iter(chunks)

    async def worker() -> None:
        for chunk in pending:
            await _send(transport, files, chunk, results, fields, timeout, extra_headers)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(chunks)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    return [result for result in results if result is not None]


async def _send(
    transport: Transport,
    files: Sequence[BulkFile],
    chunk: list[int],
    results: list[Result | None],
    fields: dict[str, str],
    timeout: float | None,
    extra_headers: Mapping[str, str] | None,
) -> None:
    def form() -> aiohttp.FormData:
        data = aiohttp.FormData()
        for name, value in fields.items():
            data.add_field(name, value)
        for index in chunk:
            file = files[index]
            content_type = file.content_type or mimetypes.guess_type(file.file_name)[0]
            add_file(data, "supplier_invoices[][file]", file.content, file.file_name, content_type)
            data.add_field("supplier_invoices[][idempotency_key]", file.key())
        return data

    keys = [files[index].key() for index in chunk]
    try:
        answer: _BulkAnswer = await transport.request(
            "POST",
            PATH,
            _ANSWER.decode,
            form=form,
            # The request's own key: a retried chunk is the same request.
            idempotency_key=str(uuid.uuid5(_KEY_NAMESPACE, "|".join(keys))),
            headers=extra_headers,
            timeout=timeout,
        )
    except QontoError as exc:
        for index in chunk:
            results[index] = exc  # the whole request failed: every file of it did
        return
    _assign(files, chunk, answer, results)


def _assign(
    files: Sequence[BulkFile], chunk: list[int], answer: _BulkAnswer, results: list[Result | None]
) -> None:
    """Map Qonto's answer onto the chunk's files: an error names its file by the position in
    its pointer (``/supplier_invoices/3/file``); the created invoices follow the order of the
    files that were not refused."""
    refused: dict[int, _ItemError] = {}
    for error in answer.errors:
        match = _INDEX.search(error.source.pointer or "") if error.source else None
        if match and int(match.group(1)) < len(chunk):
            refused.setdefault(int(match.group(1)), error)
    taken = [position for position in range(len(chunk)) if position not in refused]
    created = answer.supplier_invoices
    for position, error in refused.items():
        index = chunk[position]
        results[index] = FileRejectedError(
            index=index, file_name=files[index].file_name, code=error.code, detail=error.detail
        )
    if len(created) != len(taken):
        problem = APIResponseValidationError(
            status=200,
            body_excerpt="",
            where=f"{len(created)} invoices and {len(refused)} errors for {len(chunk)} files",
            method="POST",
            url=PATH,
        )
        for position in taken:
            results[chunk[position]] = problem
        return
    for position, invoice in zip(taken, created, strict=True):
        results[chunk[position]] = invoice
