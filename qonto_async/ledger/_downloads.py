"""``sync --attachments DIR``: each stored record's files, downloaded once into
``DIR/<resource>/`` (an invoice's PDF, a transaction's receipts), each file written whole
or not at all (:mod:`._attachments`) and recorded in the ``attachments`` table with whose it
is. A file already there, whole, is not fetched again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _attachments as files
from ._store import Store

if TYPE_CHECKING:
    from .. import QontoClient

__all__ = ["WITH_ATTACHMENTS", "download"]

Call = Callable[..., Awaitable[Any]]

# the resources whose records have files; a transaction's receipts are PDF, PNG or JPEG
WITH_ATTACHMENTS = ("client_invoices", "supplier_invoices", "transactions")
_NAMED_BY_CONTENT = frozenset({"transactions"})
_WORKERS = 8  # downloads at once (within the client's own limits)


async def download(
    call: Call,
    store: Store,
    client: QontoClient,
    resources: Sequence[str],
    folder: Path,
    on_file: Callable[[], object],
) -> None:
    """Download what the live rows of ``resources`` refer to and is not in ``folder`` yet,
    calling ``on_file`` after each file stored. A folder that takes no file is a
    LedgerError."""
    wanted = [
        (resource, record_id, attachment_id)
        for resource in resources
        if resource in WITH_ATTACHMENTS
        for record_id, attachment_id in await call(store.attachment_ids, resource)
    ]
    places = {resource: files.resource_folder(folder, resource) for resource, _, _ in wanted}
    for place in places.values():
        # what a killed run left; with the lock, ours is the only run writing there
        await asyncio.to_thread(files.clean_partials, place)
    todo: list[tuple[str, str, str, Path | None]] = []
    seen: set[str] = set()
    for resource, record_id, attachment_id in wanted:
        if attachment_id in seen:  # one file, referred to twice
            continue
        seen.add(attachment_id)
        place = places[resource]
        known = await call(store.attachment, attachment_id)
        path: Path | None
        if resource in _NAMED_BY_CONTENT:  # the name waits for the content; the table knows
            path = _recorded(place, known[0]) if known is not None else None
        else:  # the id becomes one safe file name in that folder, whatever the API sent
            path = place / files.attachment_file_name(attachment_id)
        if (
            known is not None
            and path is not None
            and await asyncio.to_thread(_whole, path, known[1])
        ):
            continue
        todo.append((resource, record_id, attachment_id, path))
    pending = iter(todo)

    async def worker() -> None:
        for resource, record_id, attachment_id, path in pending:
            # download() signs a fresh link each time: an expired one is never reused
            content = await client.attachments.download(attachment_id)
            if path is None or resource in _NAMED_BY_CONTENT:
                name = files.attachment_file_name(attachment_id, files.suffix_for(content))
                path = places[resource] / name
            await asyncio.to_thread(_store_file, path, content)
            await call(
                store.record_attachment,
                attachment_id,
                str(path),
                len(content),
                resource,
                record_id,
            )
            on_file()

    workers = [asyncio.ensure_future(worker()) for _ in range(min(_WORKERS, len(todo)))]
    try:
        await asyncio.gather(*workers)  # the first failure, as it came
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def _recorded(place: Path, file: str) -> Path | None:
    """The file the table names, if it is one of ours in ``place`` (a row edited by hand
    elsewhere is not trusted: the receipt is fetched again)."""
    path = Path(file)
    return path if path.parent == place else None


def _whole(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size


def _store_file(path: Path, content: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_file(path, content)
    except OSError as exc:  # read-only, full, gone: the records are stored already
        raise files.cannot_write(path.parent.parent, exc) from None
