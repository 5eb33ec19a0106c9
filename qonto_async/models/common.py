"""Value types shared by every resource, and the decoder every model is read with."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeVar

import msgspec

from ._dates import Timestamp, dec_hook

__all__ = [
    "Address",
    "Amount",
    "EInvoicingLifecycleEvent",
    "Meta",
    "Phone",
    "QontoModel",
    "model_decoder",
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
    """Pagination block of every list answer."""

    current_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    total_pages: int | None = None
    total_count: int | None = None
    per_page: int | None = None


def model_decoder(type: type[T], *, strict: bool = True) -> msgspec.json.Decoder[T]:
    """The one decoder of ``type``: dates tolerate Qonto's blank ``""`` (see ``_dates``)."""
    return msgspec.json.Decoder(type, strict=strict, dec_hook=dec_hook)
