"""Webhook subscriptions, and deliveries of the fake's own changes, as Qonto makes them.

- ``/v2/webhook_subscriptions``: OAuth only (an API key gets 403); answers are bare objects,
  the list's key is ``subscriptions``; ``PUT`` replaces the whole subscription; a secret of 32
  to 128 characters is generated when none is given. Unlike Qonto, ``http://127.0.0.1``
  callbacks are accepted, so tests can receive.
- Every change to a client (created, updated, deleted), a client invoice or a transaction
  (created, updated) goes to each subscription whose ``types`` name its topic
  (``v1/clients``) or the event type (``v1/clients/created``): ``POST callback_url`` with the
  event as JSON and ``X-Qonto-Signature: t=<now>,v1=<HMAC-SHA256 of "<t>.<body>">``.
- A transaction's event is spelled as Qonto's ``v1/transactions`` page shows it: ``type``
  is the topic alone, the action is ``data.event``, and ``data`` is not the REST object: no
  ``*_cents``, ``subject_type`` capitalised (``Card``, ``DirectDebit``), counterparty
  formats lowercase (``iban``, ``bic``), timestamps without milliseconds.
- A delivery not answered 2xx within a second is retried after each of
  ``FakeOptions.webhook_retry_delays`` (Qonto backs off over days; the fake compresses), then
  dropped. Deliveries to one subscription go one at a time, in the order of the changes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import secrets
from collections.abc import Callable
from typing import Any

import aiohttp
import msgspec
from aiohttp import hdrs, web

from ..webhooks import sign
from ._data import Dataset
from ._datagen import uuid4
from ._files import not_found
from ._responses import encode, json_response
from ._validation import Problems, read_body, refusal

__all__ = ["TOPICS", "WebhookDelivery", "WebhookServer", "transaction_event_data"]

TOPICS = {
    "clients": "v1/clients",
    "client_invoices": "v1/client-invoices",
    "transactions": "v1/transactions",
}
LOCAL_OR_HTTPS = ("https://", "http://127.0.0.1", "http://localhost")
ACTIONS = {
    "clients": ("created", "updated", "deleted"),
    "client_invoices": ("created", "updated"),
    "transactions": ("created", "updated"),
}
# resources whose events carry the topic alone in ``type``, the action in ``data.event``
_TOPIC_TYPED = frozenset({"transactions"})
_FORMATS = {"IBAN": "iban", "SWIFT_BIC": "bic", "BBAN": "account_number"}


def transaction_event_data(record: dict[str, Any]) -> dict[str, Any]:
    """A REST transaction as the ``v1/transactions`` webhook's ``data`` shows it."""
    data: dict[str, Any] = {}
    for key, value in record.items():
        if key.endswith("_cents"):
            continue
        if key == "subject_type" and isinstance(value, str):
            value = "".join(part.capitalize() for part in value.split("_"))
        elif isinstance(value, str) and key.endswith("_at") and value[-5:-4] == ".":
            value = value[:-5] + "Z"  # 2025-01-24T10:54:00.123Z -> 2025-01-24T10:54:00Z
        elif isinstance(value, dict) and "counterparty_account_number_format" in value:
            value = {
                k: _FORMATS.get(v, v) if k.endswith("_format") else v for k, v in value.items()
            }
        data[key] = value
    return data


@dataclasses.dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to deliver an event: ``status`` 0 when no answer came in time."""

    event_id: str
    type: str
    subscription_id: str
    attempt: int
    status: int


class WebhookServer:
    def __init__(
        self,
        dataset: Dataset,
        *,
        clock: Callable[[], float],
        retry_delays: tuple[float, ...],
        seed: int,
    ) -> None:
        self._dataset = dataset
        self._clock = clock
        self._retry_delays = retry_delays
        self._rng = random.Random(f"{seed}:webhooks")
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.deliveries: list[WebhookDelivery] = []
        self._queues: dict[str, asyncio.Queue[tuple[str, str, bytes]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._outstanding = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    async def close(self) -> None:
        for task in self._workers.values():
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
        self._outstanding = 0
        self._idle.set()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def settled(self) -> None:
        """Until every event is delivered or given up."""
        await self._idle.wait()

    # -- subscriptions -----------------------------------------------------------------------

    def _oauth_only(self, request: web.Request) -> None:
        if not request.headers.get(hdrs.AUTHORIZATION, "").lower().startswith("bearer "):
            raise refusal(
                "forbidden", "webhook subscriptions need an OAuth access token", status=403
            )

    def _validated(self, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        if not body.get("callback_url"):
            raise refusal("bad_request", "CallbackURL is missing", status=400)
        p = Problems()
        url = p.text(body, "callback_url", required=True, limit=512)
        if url is not None and not url.startswith(LOCAL_OR_HTTPS):
            p.add("callback_url", "invalid", "callback_url must be an HTTPS URL")
        types = body.get("types")
        if (
            not isinstance(types, list)
            or not types
            or not all(isinstance(t, str) and t.startswith("v1/") for t in types)
        ):
            p.add("types", "invalid", "types must be a non-empty list of event types")
        secret = body.get("secret")
        if secret is None:
            secret = (current or {}).get("secret") or "whsec_" + secrets.token_urlsafe(48)
        elif not isinstance(secret, str) or not 32 <= len(secret) <= 128:
            p.add("secret", "invalid", "secret must have 32 to 128 characters")
        p.text(body, "description", limit=256)
        p.check()
        fields = {"callback_url": url, "types": types, "secret": secret}
        if body.get("description") is not None:
            fields["description"] = body["description"]
        return fields

    async def create(self, request: web.Request) -> web.StreamResponse:
        self._oauth_only(request)
        fields = self._validated(await read_body(request), None)
        now = _stamp(self._clock())
        subscription = {
            "id": uuid4(self._rng),
            "organization_id": self._dataset.organization_id,
            "membership_id": self._dataset.membership_id,
            **fields,
            "created_at": now,
            "updated_at": now,
        }
        self.subscriptions[subscription["id"]] = subscription
        return json_response(encode(subscription), 201)

    async def index(self, request: web.Request) -> web.StreamResponse:
        self._oauth_only(request)
        page = max(1, int(request.query.get("page", "1") or 1))
        per_page = min(100, max(1, int(request.query.get("per_page", "100") or 100)))
        items = list(self.subscriptions.values())
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = -(-len(items) // per_page)
        meta = {
            "current_page": page,
            "next_page": page + 1 if page < pages else None,
            "prev_page": page - 1 if 1 < page <= pages else None,
            "total_pages": pages,
            "total_count": len(items),
            "per_page": per_page,
        }
        return json_response(encode({"subscriptions": chunk, "meta": meta}))

    async def get(self, request: web.Request) -> web.StreamResponse:
        self._oauth_only(request)
        subscription = self.subscriptions.get(request.match_info["id"])
        return not_found(request) if subscription is None else json_response(encode(subscription))

    async def replace(self, request: web.Request) -> web.StreamResponse:
        self._oauth_only(request)
        current = self.subscriptions.get(request.match_info["id"])
        if current is None:
            return not_found(request)
        current.pop("description", None)
        current.update(self._validated(await read_body(request), current))
        current["updated_at"] = _stamp(self._clock())
        return json_response(encode(current))

    async def delete(self, request: web.Request) -> web.StreamResponse:
        self._oauth_only(request)
        if self.subscriptions.pop(request.match_info["id"], None) is None:
            return not_found(request)
        return web.Response(status=204)

    # -- deliveries --------------------------------------------------------------------------

    def notify(self, action: str, resource: str, snapshot: Callable[[], dict[str, Any]]) -> None:
        """A change happened: queue its event (``snapshot()`` is the record as it stands, or
        stood before a delete) for every subscription that wants it. Safe to call from any
        thread (``fake.update`` from a synchronous test)."""
        if not self.subscriptions or action not in ACTIONS.get(resource, ()):
            return
        if self._loop is None:
            return
        kind = f"{TOPICS[resource]}/{action}"
        record = snapshot()
        sent_type = TOPICS[resource] if resource in _TOPIC_TYPED else kind
        for subscription in list(self.subscriptions.values()):
            if TOPICS[resource] not in subscription["types"] and kind not in subscription["types"]:
                continue
            event = {
                "id": uuid4(self._rng),
                "subscription_id": subscription["id"],
                "organization_id": self._dataset.organization_id,
                "membership_id": self._dataset.membership_id,
                "type": sent_type,
                "created_at": _stamp(self._clock()),
                "data": {**record, "event": action},
            }
            item = (subscription["id"], event["id"], msgspec.json.encode(event))
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is self._loop:
                self._enqueue(item)
            else:
                self._loop.call_soon_threadsafe(self._enqueue, item)

    def _enqueue(self, item: tuple[str, str, bytes]) -> None:
        subscription_id = item[0]
        queue = self._queues.get(subscription_id)
        if queue is None:
            queue = self._queues[subscription_id] = asyncio.Queue()
            self._workers[subscription_id] = asyncio.ensure_future(self._work(queue))
        self._outstanding += 1
        self._idle.clear()
        queue.put_nowait(item)

    async def _work(self, queue: asyncio.Queue[tuple[str, str, bytes]]) -> None:
        while True:
            subscription_id, event_id, body = await queue.get()
            try:
                await self._deliver(subscription_id, event_id, body)
            finally:
                self._outstanding -= 1
                if self._outstanding == 0:
                    self._idle.set()

    async def _deliver(self, subscription_id: str, event_id: str, body: bytes) -> None:
        kind = msgspec.json.decode(body)["type"]
        for attempt, delay in enumerate((0.0, *self._retry_delays), start=1):
            if delay:
                await asyncio.sleep(delay)
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:  # deleted meanwhile: nothing more is sent to it
                return
            status = await self._post(subscription, body)
            self.deliveries.append(
                WebhookDelivery(event_id, kind, subscription_id, attempt, status)
            )
            if 200 <= status < 300:
                return

    async def _post(self, subscription: dict[str, Any], body: bytes) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0))
        headers = {
            hdrs.CONTENT_TYPE: "application/json",
            "X-Qonto-Signature": sign(body, subscription["secret"], int(self._clock())),
        }
        try:
            async with self._session.post(
                subscription["callback_url"], data=body, headers=headers
            ) as answer:
                return answer.status
        except (TimeoutError, aiohttp.ClientError, OSError):
            return 0


def _stamp(epoch: float) -> str:
    return (
        dt.datetime.fromtimestamp(epoch, dt.UTC)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )
