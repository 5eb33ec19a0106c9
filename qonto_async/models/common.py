"""Value types shared by every resource, and the envelope decoding machinery."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Generic, TypeVar

import msgspec
from msgspec import inspect as mi

__all__ = [
    "Address",
    "Amount",
    "EInvoicingLifecycleEvent",
    "EnvelopeDecoder",
    "Meta",
    "Phone",
    "QontoModel",
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
    timestamp: datetime.datetime | None = None


class Meta(QontoModel, frozen=True, kw_only=True):
    """Pagination block of every list answer."""

    current_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    total_pages: int | None = None
    total_count: int | None = None
    per_page: int | None = None


_DATE_TYPES = (mi.DateType, mi.DateTimeType)
_ITEM_CONTAINERS = (mi.ListType, mi.VarTupleType, mi.SetType, mi.FrozenSetType)


def blankable_date_keys(tp: object) -> frozenset[str]:
    """JSON keys of every date/timestamp field reachable from ``tp``.

    Keys that are also ``str``-typed somewhere in the same tree are left out, so a real empty
    string (``"declined_note": ""``) can never be turned into ``null``.
    """
    dates: set[str] = set()
    strings: set[str] = set()
    seen: set[type] = set()

    def visit(t: mi.Type, key: str | None) -> None:
        if isinstance(t, _DATE_TYPES):
            if key is not None:
                dates.add(key)
        elif isinstance(t, mi.StrType):
            if key is not None:
                strings.add(key)
        elif isinstance(t, mi.UnionType):
            for member in t.types:
                visit(member, key)
        elif isinstance(t, mi.Metadata):
            visit(t.type, key)
        elif isinstance(t, _ITEM_CONTAINERS):
            # `"key": ""` can never be a valid container, so items are not named by `key`.
            visit(t.item_type, None)
        elif isinstance(t, mi.TupleType):
            for item in t.item_types:
                visit(item, None)
        elif isinstance(t, mi.DictType):
            visit(t.value_type, None)
        elif isinstance(t, mi.StructType) and t.cls not in seen:
            seen.add(t.cls)
            for field in t.fields:
                visit(field.type, field.encode_name)

    visit(mi.type_info(tp), None)
    return frozenset(dates - strings)


class EnvelopeDecoder(Generic[T]):
    """A ``msgspec.json.Decoder`` that also reads ``""`` in date/timestamp fields as ``null``.

    Qonto drafts send ``"finalized_at": ""``, which msgspec rejects for ``date``/``datetime`` in
    both strict and lax mode. The fast path is one plain decode; only when that fails on a body
    containing ``""`` is each ``""`` that follows a date key (``"<key>"<ws>:<ws>``, checked with
    one precompiled regex) rewritten to ``null`` and the body decoded again. If that also fails,
    the original error is raised, so messages always describe the body Qonto actually sent.

    Raises only ``msgspec.DecodeError`` (``msgspec.ValidationError`` is a subclass).
    """

    __slots__ = ("_date_key_before", "_decoder", "_window")

    def __init__(self, type: type[T], *, strict: bool = True) -> None:
        self._decoder: msgspec.json.Decoder[T] = msgspec.json.Decoder(type, strict=strict)
        keys = sorted(blankable_date_keys(type))
        # Matches a date key and its colon right at the end of the searched slice.
        self._date_key_before: re.Pattern[bytes] | None = (
            re.compile(
                rb'"(?:'
                + b"|".join(re.escape(k.encode()) for k in keys)
                + rb')"[ \t\n\r]*:[ \t\n\r]*\Z'
            )
            if keys
            else None
        )
        # Longest key, its quotes and colon, plus up to 32 bytes of whitespace.
        self._window = max((len(k.encode()) for k in keys), default=0) + 3 + 32

    def decode(self, data: bytes) -> T:
        try:
            return self._decoder.decode(data)
        except msgspec.ValidationError as exc:
            normalised = self._null_blank_dates(data)
            if normalised is None:
                raise
            try:
                return self._decoder.decode(normalised)
            except msgspec.DecodeError:
                raise exc from None

    def _null_blank_dates(self, data: bytes) -> bytes | None:
        """``data`` with every date key's ``""`` replaced by ``null``; None if there is none.

        Scanning for the rare ``""`` and checking only what precedes it is several times faster
        than running a key-alternation regex over every quote of a large page.
        """
        pattern = self._date_key_before
        if pattern is None:
            return None
        parts: list[bytes] = []
        start = 0
        pos = data.find(b'""')
        while pos != -1:
            if pattern.search(data, max(start, pos - self._window), pos):
                parts += (data[start:pos], b"null")
                start = pos + 2
            pos = data.find(b'""', pos + 2)
        if not parts:
            return None
        parts.append(data[start:])
        return b"".join(parts)
