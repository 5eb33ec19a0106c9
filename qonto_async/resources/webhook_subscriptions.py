from __future__ import annotations

import builtins
import secrets
from collections.abc import Sequence
from typing import Unpack

import msgspec

from ..models.requests import RequestOptions
from ..models.webhook_subscription import (
    WebhookSubscription,
    decode_webhook_subscription,
    decode_webhook_subscription_list,
)
from ._base import Resource, quote_id
from ._writes import WriteOptions, delete_once, write

__all__ = ["WebhookSubscriptionsResource"]

PATH = "/v2/webhook_subscriptions"
MAX_PAGES = 1000


def new_secret() -> str:
    """A signing secret Qonto accepts (32 to 128 characters): 384 random bits."""
    return "whsec_" + secrets.token_urlsafe(48)


class WebhookSubscriptionsResource(Resource):
    """``/v2/webhook_subscriptions`` (OAuth only, scope ``webhook`` and each topic's read
    scope). Qonto lists only the subscriptions made by the calling user and OAuth app."""

    async def create(
        self,
        callback_url: str,
        types: Sequence[str],
        *,
        secret: str | None = None,
        description: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> WebhookSubscription:
        """Subscribe ``callback_url`` (public HTTPS) to ``types`` (``v1/clients``,
        ``v1/client-invoices``...). Without ``secret`` a strong one is generated; the returned
        subscription's ``.secret`` is the one to verify deliveries with, store it now."""
        secret = new_secret() if secret is None else secret
        body = _body(callback_url, types, secret, description)
        created: WebhookSubscription = await write(
            self._transport, "POST", PATH, decode_webhook_subscription, WriteOptions.of(options),
            json=body,
        )  # fmt: skip
        if created.secret is None:
            created = msgspec.structs.replace(created, secret=secret)
        return created

    async def update(
        self,
        id: str,
        callback_url: str,
        types: Sequence[str],
        *,
        secret: str | None = None,
        description: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> WebhookSubscription:
        """Replace the subscription (Qonto's ``PUT`` is a full replacement: what is not
        given is dropped; without ``secret`` the current one is kept)."""
        body = _body(callback_url, types, secret, description)
        updated: WebhookSubscription = await write(
            self._transport, "PUT", f"{PATH}/{quote_id(id)}", decode_webhook_subscription,
            WriteOptions.of(options), json=body, resource_id=id,
        )  # fmt: skip
        return updated

    async def get(self, id: str) -> WebhookSubscription:
        return await self._transport.request(
            "GET", f"{PATH}/{quote_id(id)}", decode_webhook_subscription, resource_id=id
        )

    async def list(self) -> builtins.list[WebhookSubscription]:
        """Every subscription of this user and app (a handful: read page after page)."""
        found: builtins.list[WebhookSubscription] = []
        for page in range(1, MAX_PAGES + 1):
            answer = await self._transport.request(
                "GET",
                PATH,
                decode_webhook_subscription_list,
                params=[("per_page", "100"), ("page", str(page))],
            )
            found += answer.items
            if not answer.items or answer.meta is None or not answer.meta.next_page:
                break
        return found

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> None:
        path = f"{PATH}/{quote_id(id)}"
        await delete_once(self._transport, path, WriteOptions.of(options), resource_id=id)


def _body(
    callback_url: str, types: Sequence[str], secret: str | None, description: str | None
) -> dict[str, object]:
    if not isinstance(callback_url, str) or not callback_url:
        raise TypeError("callback_url must be a URL")
    if isinstance(types, str) or not types or not all(isinstance(t, str) for t in types):
        raise TypeError("types must be a non-empty list of event types")
    body: dict[str, object] = {"callback_url": callback_url, "types": list(types)}
    if secret is not None:
        if not 32 <= len(secret) <= 128:
            raise ValueError("a webhook secret has 32 to 128 characters")
        body["secret"] = secret
    if description is not None:
        body["description"] = description
    return body
