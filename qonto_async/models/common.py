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


def _keys_by_kind(tp: object) -> tuple[set[str], set[str], set[str]]:
    """JSON keys reachable from ``tp`` typed date, datetime and str (one key may be several)."""
    dates: set[str] = set()
    datetimes: set[str] = set()
    strings: set[str] = set()
    seen: set[type] = set()

    def visit(t: mi.Type, key: str | None) -> None:
        if isinstance(t, _DATE_TYPES):
            if key is not None:
                (datetimes if isinstance(t, mi.DateTimeType) else dates).add(key)
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
    return dates, datetimes, strings


def blankable_date_keys(tp: object) -> frozenset[str]:
    """JSON keys of every date/timestamp field reachable from ``tp``.

    Keys that are also ``str``-typed somewhere in the same tree are left out, so a real empty
    string (``"declined_note": ""``) can never be turned into ``null``.
    """
    dates, datetimes, strings = _keys_by_kind(tp)
    return frozenset((dates | datetimes) - strings)


def day_only_timestamp_keys(tp: object) -> frozenset[str]:
    """Keys that are timestamps everywhere in ``tp`` (never a date, never a str)."""
    dates, datetimes, strings = _keys_by_kind(tp)
    return frozenset(datetimes - dates - strings)


class EnvelopeDecoder(Generic[T]):
    """A ``msgspec.json.Decoder`` that also reads ``""`` in date/timestamp fields as ``null``.

    Qonto drafts send ``"finalized_at": ""``, which msgspec rejects for ``date``/``datetime`` in
    both strict and lax mode, and msgspec allows no ``datetime | Literal[""]`` union. The fast
    path is one plain decode; only when that fails is each ``""`` that follows a date key
    rewritten to ``null`` and the body decoded again. (Looking for ``""`` first, to decode a
    draft page once, costs a draft-free page 30% more: a byte search over quote-dense JSON
    runs at about 1 GB/s, a third of the decode itself; ``benchmarks/decode.py`` shows both.)
    If the rewritten body fails too, the original error is raised, so messages always
    describe the body Qonto actually sent.

    Raises only ``msgspec.DecodeError`` (``msgspec.ValidationError`` is a subclass).
    """

    __slots__ = ("_date_keys", "_day_stamps", "_decoder", "_longest")

    def __init__(self, type: type[T], *, strict: bool = True) -> None:
        self._decoder: msgspec.json.Decoder[T] = msgspec.json.Decoder(type, strict=strict)
        self._date_keys = frozenset(k.encode() for k in blankable_date_keys(type))
        self._longest = max(map(len, self._date_keys), default=0)
        stamps = sorted(day_only_timestamp_keys(type))
        self._day_stamps = (
            re.compile(
                rb'("(?:' + b"|".join(re.escape(k.encode()) for k in stamps) + rb')"\s*:\s*")'
                rb'(\d{4}-\d{2}-\d{2})"'
            )
            if stamps
            else None
        )

    def decode(self, data: bytes) -> T:
        try:
            return self._decoder.decode(data)
        except msgspec.ValidationError as exc:
            normalised = self._repair(data)
            if normalised is None:
                raise
            try:
                return self._decoder.decode(normalised)
            except msgspec.DecodeError:
                raise exc from None

    def _repair(self, data: bytes) -> bytes | None:
        """``data`` with blank dates nulled and day-only timestamps (``"paid_at":
        "2026-01-05"``, as an answer to ``mark_as_paid`` may carry) put at midnight UTC;
        None if nothing needed it."""
        fixed = self._null_blank_dates(data) if self._date_keys else None
        if self._day_stamps is not None:
            stamped, count = self._day_stamps.subn(rb'\1\2T00:00:00Z"', fixed or data)
            if count:
                return stamped
        return fixed

    def _null_blank_dates(self, data: bytes) -> bytes | None:
        """``data`` with every date key's ``""`` replaced by ``null``; None if there is none.

        Finds the rare ``""`` with a byte search, then reads backwards from it: whitespace, a
        colon, whitespace, a quoted key, which must be a date key (a set lookup). Far cheaper
        than a regex of every key tried at every byte before each ``""``.
        """
        parts: list[bytes] = []
        start = 0
        pos = data.find(b'""')
        while pos != -1:
            if self._after_date_key(data, pos):
                parts += (data[start:pos], b"null")
                start = pos + 2
            pos = data.find(b'""', pos + 2)
        if not parts:
            return None
        parts.append(data[start:])
        return b"".join(parts)

    def _after_date_key(self, data: bytes, pos: int) -> bool:
        """Whether ``"<date key>"<ws>:<ws>`` ends right before ``pos`` (at most 32 bytes of
        whitespace in all)."""
        i = pos - 1
        floor = max(-1, pos - 33)
        while i > floor and data[i] in _WHITESPACE:
            i -= 1
        if i < 0 or data[i] != _COLON:
            return False
        i -= 1
        while i > floor and data[i] in _WHITESPACE:
            i -= 1
        if i < 0 or data[i] != _QUOTE:
            return False
        opening = data.rfind(b'"', max(0, i - self._longest - 1), i)
        return opening != -1 and data[opening + 1 : i] in self._date_keys


_WHITESPACE = frozenset(b" \t\n\r")
_COLON = ord(":")
_QUOTE = ord('"')
