"""Value types shared by every resource, and the decoder every model is read with."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Generic, TypeVar, get_args

import msgspec

from ._dates import Timestamp, dec_hook

__all__ = [
    "Address",
    "Amount",
    "DecodedPage",
    "EInvoicingLifecycleEvent",
    "Meta",
    "Phone",
    "QontoModel",
    "model_decoder",
    "page_decoder",
]

T = TypeVar("T")


class QontoModel(msgspec.Struct, frozen=True, kw_only=True, gc=False, repr_omit_defaults=True):
    """Base of every model.

    ``gc=False``: a decoded answer is an acyclic tree, so the garbage collector never needs to
    track these objects (noticeably faster decoding of large pages). Subclasses must repeat
    ``frozen=True, kw_only=True``: msgspec applies ``kw_only`` only to the fields of the class
    that sets it, and mypy reads ``frozen`` per class.
    """


class Amount(QontoModel, frozen=True, kw_only=True):
    value: Decimal | None = None
    currency: str | None = None


class Address(QontoModel, frozen=True, kw_only=True):
    street_address: str | None = None
    city: str | None = None
    zip_code: str | None = None
    province_code: str | None = None
    country_code: str | None = None


class Phone(QontoModel, frozen=True, kw_only=True):
    country_code: str | None = None
    number: str | None = None


class EInvoicingLifecycleEvent(QontoModel, frozen=True, kw_only=True):
    status_code: int | None = None
    reason: str | None = None
    reason_message: str | None = None
    timestamp: Timestamp | None = None


class Meta(QontoModel, frozen=True, kw_only=True):
    """Pagination block of every list answer. Pages count from 1, so a ``next_page`` or
    ``prev_page`` of 0 (some Qonto lists answer ``next_page: 0`` when empty) means none."""

    current_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    total_pages: int | None = None
    total_count: int | None = None
    per_page: int | None = None

    def __post_init__(self) -> None:
        if self.next_page == 0:
            msgspec.structs.force_setattr(self, "next_page", None)
        if self.prev_page == 0:
            msgspec.structs.force_setattr(self, "prev_page", None)


def model_decoder(type: type[T], *, strict: bool = True) -> msgspec.json.Decoder[T]:
    """The one decoder of ``type``: dates tolerate Qonto's blank ``""`` (see ``_dates``)."""
    return msgspec.json.Decoder(type, strict=strict, dec_hook=dec_hook)


class DecodedPage(Generic[T]):
    """One list answer: its ``items`` and ``meta`` and, on demand, ``raws``: each item's JSON
    exactly as the server sent it, parallel to ``items`` (zero-copy :class:`msgspec.Raw` views
    into the answer's body, which the page keeps for them)."""

    __slots__ = ("_body", "_raws", "_split", "items", "meta")

    def __init__(
        self,
        items: list[T],
        meta: Meta | None,
        body: bytes,
        split: Callable[[bytes], list[msgspec.Raw]],
    ) -> None:
        self.items = items
        self.meta = meta
        self._body = body
        self._split = split
        self._raws: list[msgspec.Raw] | None = None

    @property
    def raws(self) -> list[msgspec.Raw]:
        raws = self._raws
        if raws is None:
            # The body decoded whole already: its list splits into as many items, in order.
            raws = self._raws = self._split(self._body)
            if len(raws) != len(self.items):  # pragma: no cover - one JSON array, read twice
                raise AssertionError(f"{len(raws)} raw items for {len(self.items)} decoded")
        return raws


def page_decoder(
    list_type: type[Any],
    item_type: type[T],
    *,
    decode_whole: Callable[[bytes], Any] | None = None,
) -> Callable[[bytes], DecodedPage[T]]:
    """The decoder of ``list_type`` (a list model: ``items`` of ``item_type`` under the
    endpoint's key, and ``meta``) that can also hand out each item's JSON as sent.

    The page is decoded as :func:`model_decoder` on ``list_type`` decodes it (the same cost,
    the same errors, message for message) and keeps its body. Only when ``raws`` is first read
    is the body split, its list decoded as :class:`msgspec.Raw` items (their JSON skipped
    over, not parsed again): a quarter of the typed decode's instructions on a page of client
    invoices. Decoding each item from its ``Raw`` instead of the page whole costs as much
    (not less) plus that split, on every page, read or not. ``decode_whole`` replaces the
    page's decode (the banking models' lax one, see ``_lenient``).
    """
    items = next(field for field in msgspec.structs.fields(list_type) if field.name == "items")
    if get_args(items.type) != (item_type,):
        raise TypeError(f"{list_type.__name__}.items is not a list of {item_type.__name__}")
    envelope = msgspec.defstruct(  # the items only: meta, decoded already, is skipped
        f"_Raw{list_type.__name__}",
        [("items", list[msgspec.Raw], msgspec.field(name=items.encode_name))],
        bases=(QontoModel,),
        frozen=True,
        kw_only=True,
    )
    decode_raw: Callable[[bytes], Any] = model_decoder(envelope).decode
    decode_whole = decode_whole or model_decoder(list_type).decode

    def split(body: bytes) -> list[msgspec.Raw]:
        raws: list[msgspec.Raw] = decode_raw(body).items
        return raws

    def decode(data: bytes) -> DecodedPage[T]:
        page = decode_whole(data)
        return DecodedPage(page.items, page.meta, data, split)

    return decode
