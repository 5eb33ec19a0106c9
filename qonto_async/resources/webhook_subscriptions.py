from __future__ import annotations

import builtins
import secrets
from collections.abc import Mapping, Sequence
from typing import Unpack

import msgspec
from yarl import URL

from .._http.answers import public_url
from .._http.raw import RawMethod, RawResponses
from .._listing.page import Page, decoded_page
from .._listing.paginator import Paginator
from .._listing.spec import ListingSpec
from ..models.requests import RequestOptions
from ..models.webhook_subscription import (
    WebhookSubscription,
    decode_webhook_subscription,
    decode_webhook_subscription_page,
)
from ._base import Resource, quote_id
from ._listable import server_date
from ._writes import WriteOptions, delete_once, write

__all__ = ["RawWebhookSubscriptions", "WebhookSubscriptionsResource"]

PATH = "/v2/webhook_subscriptions"
# Qonto documents page and per_page only: no sort, no filter, no updated_at check.
LISTING = ListingSpec(key=None, sorts=(), updated_filter=False)


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

    async def get(
        self,
        id: str,
        *,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> WebhookSubscription:
        return await self._get_one(
            PATH, id, decode_webhook_subscription, timeout=timeout, extra_headers=extra_headers
        )

    def list(
        self,
        *,
        per_page: int = 100,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Paginator[WebhookSubscription]:
        """Every subscription of this user and app, as every ``list()`` gives them (``async
        for``, ``pages()``, ``await .all()``). Qonto documents neither a sort nor a filter
        here, so the list is read by page number and proven whole by a second pass serving
        the same ids (two requests for the usual handful)."""
        if not 1 <= per_page <= 100:
            raise ValueError(f"per_page must be between 1 and 100, not {per_page}")
        transport = self._transport

        async def fetch(query: builtins.list[tuple[str, str]]) -> Page[WebhookSubscription]:
            decoded, answer = await transport.request_with_answer(
                "GET",
                PATH,
                decode_webhook_subscription_page,
                params=query,
                headers=extra_headers,
                timeout=timeout,
            )
            date = server_date(answer.headers.get("Date"))
            return decoded_page(decoded, decoded.items, decoded.meta, date)

        def describe(query: builtins.list[tuple[str, str]]) -> str:
            return public_url(URL(transport.base_url + PATH, encoded=True).extend_query(query))

        return Paginator(LISTING, fetch, per_page=per_page, describe=describe)

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> None:
        path = f"{PATH}/{quote_id(id)}"
        await delete_once(self._transport, path, WriteOptions.of(options), resource_id=id)

    @property
    def with_raw_response(self) -> RawWebhookSubscriptions:
        """Each method but ``list``, returning a :class:`~qonto_async.RawResponse`."""
        return RawWebhookSubscriptions(self)


class RawWebhookSubscriptions(RawResponses):
    """``qonto.webhook_subscriptions.with_raw_response``."""

    create = RawMethod(WebhookSubscriptionsResource.create)
    update = RawMethod(WebhookSubscriptionsResource.update)
    get = RawMethod(WebhookSubscriptionsResource.get)
    delete = RawMethod(WebhookSubscriptionsResource.delete)


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
