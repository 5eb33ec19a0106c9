"""A transaction's receipts: upload one, remove one, remove all.

- ``POST /v2/transactions/{id}/attachments``: ``multipart/form-data`` with one part named
  ``file``, a JPEG, PNG or PDF (422 otherwise). Qonto processes the file in the background:
  the answer is 200 with no body, and the attachment joins the transaction's
  ``attachment_ids`` (and the attachment lists, and ``GET /v2/attachments/{id}``) only once
  ``FakeOptions.attachment_delay`` seconds of the fake's clock have passed, which bumps the
  transaction's ``updated_at`` and sends its ``v1/transactions`` webhook. The idempotency
  key is honoured by the fake's idempotency layer as on every write (Qonto's pages disagree
  on whether it is required: optional here, the tolerant reading).
- ``DELETE /v2/transactions/{tid}/attachments/{aid}`` and ``DELETE
  /v2/transactions/{id}/attachments``: 200 with no body; 404 for an unknown transaction or
  an attachment the transaction does not have. Removing receipts bumps ``updated_at``;
  removing all of none changes nothing.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable

from aiohttp import web

from ._bank_data import BankData
from ._bank_mutations import BankMutations
from ._datagen import uuid4
from ._files import not_found, upload_content_type
from ._validation import multipart_parts, refusal

__all__ = ["TransactionWrites"]


class TransactionWrites:
    def __init__(
        self,
        bank: BankData,
        mutations: BankMutations,
        *,
        clock: Callable[[], float],
        delay: float,
        seed: int,
    ) -> None:
        self._bank = bank
        self._mutations = mutations
        self._clock = clock
        self._delay = delay
        self._rng = random.Random(f"{seed}:transaction-attachments")
        self._sequence = 0
        # (due epoch seconds, sequence, transaction index, attachment id, file)
        self._processing: list[tuple[float, int, int, str, tuple[str, str, bytes]]] = []

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def process_due(self) -> None:
        """Finish the processing of every upload whose time has come, in upload order."""
        if not self._processing:
            return
        now = self._clock()
        while self._processing and self._processing[0][0] <= now:
            _, _, i, attachment_id, file = heapq.heappop(self._processing)
            self._mutations.add_attachment(i, self._now_ms(), attachment_id, file)

    @property
    def processing(self) -> int:
        """Uploads accepted whose attachment has not appeared yet."""
        return len(self._processing)

    def _index(self, request: web.Request, name: str = "id") -> int | None:
        return self._bank.transactions.index.get(request.match_info[name])

    async def upload(self, request: web.Request) -> web.StreamResponse:
        i = self._index(request)
        if i is None:
            return not_found(request)
        if not request.content_type.startswith("multipart/"):
            raise refusal("invalid_body", "Send the file as multipart/form-data", status=400)
        found: tuple[str | None, str | None, bytes] | None = None
        # the idempotency layer has read the stream: parse the body's bytes
        for name, filename, declared, content in multipart_parts(request, await request.read()):
            if name == "file" and found is None:
                found = (filename, declared, content)
        if found is None:
            raise refusal("missing", "file is missing", pointer="/file")
        filename, declared, content = found
        content_type = upload_content_type(declared, content)
        if content_type is None:
            raise refusal("invalid", "file must be a JPEG, PNG or PDF file", pointer="/file")
        self._sequence += 1
        due = self._clock() + self._delay
        file = (filename or "attachment", content_type, content)
        heapq.heappush(self._processing, (due, self._sequence, i, uuid4(self._rng), file))
        if self._delay <= 0:
            self.process_due()
        return web.Response(status=200)

    async def delete_one(self, request: web.Request) -> web.StreamResponse:
        self.process_due()
        i = self._index(request, "transaction_id")
        if i is None:
            return not_found(request)
        attachment_id = request.match_info["attachment_id"]
        if attachment_id not in self._bank.transactions.attachment_ids[i]:
            return not_found(request)
        self._mutations.remove_attachments(i, self._now_ms(), attachment_id)
        return web.Response(status=200)

    async def delete_all(self, request: web.Request) -> web.StreamResponse:
        self.process_due()
        i = self._index(request)
        if i is None:
            return not_found(request)
        self._mutations.remove_attachments(i, self._now_ms())
        return web.Response(status=200)
