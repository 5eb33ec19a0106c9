"""Webhook subscriptions (``/v2/webhook_subscriptions``): answered bare, not enveloped."""

from __future__ import annotations

import msgspec

from ._dates import Timestamp
from .common import Meta, QontoModel, model_decoder, page_decoder

__all__ = [
    "WebhookSubscription",
    "WebhookSubscriptionList",
    "decode_webhook_subscription",
    "decode_webhook_subscription_list",
]


class WebhookSubscription(QontoModel, frozen=True, kw_only=True):
    """Where Qonto delivers which event ``types``. ``secret`` signs the deliveries: keep it
    (``repr`` never shows it); Qonto returns it on creation."""

    id: str
    callback_url: str | None = None
    types: list[str] | None = None
    description: str | None = None
    secret: str | None = None
    organization_id: str | None = None
    membership_id: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    def __repr__(self) -> str:
        hidden = "'***'" if self.secret else "None"
        return (
            f"WebhookSubscription(id={self.id!r}, callback_url={self.callback_url!r}, "
            f"types={self.types!r}, secret={hidden})"
        )


class WebhookSubscriptionList(QontoModel, frozen=True, kw_only=True):
    items: list[WebhookSubscription] = msgspec.field(name="subscriptions")
    meta: Meta | None = None


_ONE = model_decoder(WebhookSubscription)
_LIST = model_decoder(WebhookSubscriptionList)
decode_webhook_subscription_page = page_decoder(WebhookSubscriptionList, WebhookSubscription)
"""``{"subscriptions": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


def decode_webhook_subscription(data: bytes) -> WebhookSubscription:
    return _ONE.decode(data)


def decode_webhook_subscription_list(data: bytes) -> WebhookSubscriptionList:
    return _LIST.decode(data)
