"""Date and timestamp fields that read Qonto's ``""`` as ``None`` within the one decode.

Qonto drafts carry ``"finalized_at": ""`` where a timestamp belongs. msgspec rejects ``""``
for a ``date``/``datetime`` in strict and lax mode alike, allows no ``datetime | Literal[""]``
union, and lets a ``dec_hook`` answer only for a type it does not know. So every date field of
every model is annotated ``Day | None`` or ``Timestamp | None``: for the type checker these
are plain ``datetime.date`` and ``datetime.datetime``; at run time they are marker classes,
and msgspec hands each non-null value to :func:`dec_hook`, which parses it, or answers
``None`` for ``""``. A page holding drafts therefore decodes in one pass, like any other page.

The price is one Python call per non-null date: a draft-free page decodes 10% to 15% slower
than with msgspec's native parser (``benchmarks/decode.py`` prints both, side by side), and a
page with drafts no longer costs 2.3x a draft-free one. Finding the blanks before decoding costs
more than that on every page (a byte search for ``""`` runs at about 1 GB/s, a fifth of the
decode; splitting a page into raw items first, a fifth too). And only fields typed as dates
reach the hook, so a ``""`` in a ``str`` field (``"declined_note": ""``) stays as it is.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypeVar

__all__ = ["Day", "Timestamp", "dec_hook"]

if TYPE_CHECKING:
    Day = datetime.date
    Timestamp = datetime.datetime
else:

    class _DateMarker(type):
        # msgspec checks each hook answer with isinstance(answer, marker). dec_hook only ever
        # answers a date, a datetime or None, so the check cannot fail; `id` (a C function,
        # always truthy) answers it without a Python call per date: 5% of a page's decode.
        __instancecheck__ = id

    class Day(metaclass=_DateMarker):
        pass

    class Timestamp(metaclass=_DateMarker):
        pass


_D = TypeVar("_D", datetime.date, datetime.datetime)
_parse_timestamp = datetime.datetime.fromisoformat
_parse_day = datetime.date.fromisoformat
_UTC = datetime.UTC
_SHOWN = 40  # characters of a malformed value quoted in the error


def dec_hook(type_: Any, value: Any) -> Any:
    """msgspec's ``dec_hook`` for qonto_async models.

    Our decoders use it already. Pass it when you decode Qonto JSON into our models yourself:
    ``msgspec.json.decode(raw, type=ClientInvoice, dec_hook=dec_hook)``, or to
    ``msgspec.convert``. ``""`` decodes to ``None``; a timestamp given as a day only (an answer
    to ``mark_as_paid`` may carry ``"paid_at": "2026-01-05"``) decodes to midnight UTC.

    Every timestamp decodes aware. One written without a zone (``"2025-01-01T10:00:00"``, or
    ``contract_signed_at``'s ``"2022-12-01 08:57:00.123047"``) is read as UTC: Qonto's
    timestamps are UTC (its docs write them with ``Z``) and none of its sources gives another
    zone for a zoneless one (UNCONFIRMED: the tolerant reading). A value with a zone keeps it.
    """
    # This runs once per date on every page: the common case is first, flat, and asks
    # forgiveness (a blank or a non-string fails inside the try and goes the slow way).
    if type_ is Timestamp:
        try:
            moment = _parse_timestamp(value)
            # A zone is checked on the answer, not looked for in the string: one attribute
            # read (20 ns of a 160 ns call). A day only parses to a naive midnight, made UTC.
            if moment.tzinfo is not None:
                return moment
            return moment.replace(tzinfo=_UTC)
        except (TypeError, ValueError):
            return _rare_timestamp(value)
    if type_ is Day:
        try:
            return _parse_day(value)
        except (TypeError, ValueError):
            return _blank_or_typed(value, datetime.date, "date")
    # What msgspec says of a type it has no hook for.
    name = getattr(type_, "__name__", repr(type_))
    raise TypeError(f"Expected `{name}`, got `{type(value).__name__}`")


def _rare_timestamp(value: Any) -> datetime.datetime | None:
    """Blank, ``t``/``z`` in lower case (RFC 3339 allows them, ``fromisoformat`` does not),
    malformed, or not a string at all (``msgspec.convert`` of a datetime)."""
    moment: datetime.datetime | None
    try:
        moment = _parse_timestamp(value.upper())
    except (AttributeError, TypeError, ValueError):
        moment = _blank_or_typed(value, datetime.datetime, "timestamp")
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment


def _blank_or_typed(value: Any, expected: type[_D], what: str) -> _D | None:
    if value == "":
        return None
    if type(value) is expected:  # msgspec.convert of an object already typed
        return value
    if type(value) is str:
        raise ValueError(f"Invalid {what} {value[:_SHOWN]!r}")
    raise TypeError(f"Expected `{expected.__name__}`, got `{type(value).__name__}`")
