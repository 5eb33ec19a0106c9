"""Keyword arguments to a JSON request body, checked before anything is sent.

Qonto's formats: decimals as strings (``"0.2"``), dates as ``YYYY-MM-DD``, timestamps as ISO
8601 with an offset. A ``float`` is refused wherever a number is money, a quantity or a rate
(``0.1 + 0.2`` is not ``0.3``); a naive ``datetime`` is refused (ambiguous). Every error names
the field as a path, ``items/0/vat_rate``, the way Qonto's own 422s point at it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, get_args, get_type_hints

import msgspec

__all__ = ["DATE_FIELDS", "DECIMAL_FIELDS", "body_of", "date_text"]

DATE_FIELDS = frozenset(
    {
        "issue_date",
        "due_date",
        "expiry_date",
        "paid_at",
        "payment_date",
        "performance_date",
        "performance_start_date",
        "performance_end_date",
    }
)
DECIMAL_FIELDS = frozenset({"quantity", "vat_rate", "value", "rate", "amount"})
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@functools.cache
def _hints(spec: type) -> dict[str, Any]:
    """Each field's type, ``X | None`` read as ``X``."""
    hints = {}
    for name, hint in get_type_hints(spec).items():
        members = [t for t in get_args(hint) if t is not type(None)]
        hints[name] = members[0] if len(members) == 1 else hint
    return hints


def body_of(spec: type, fields: Mapping[str, Any], *, call: str) -> dict[str, Any]:
    """``fields`` as Qonto's JSON, checked against ``spec`` (a ``TypedDict``): unknown or
    missing names are a ``TypeError`` naming ``call``; values are checked by :func:`wire`.
    ``None`` is sent as ``null`` (it clears a field on update)."""
    allowed: frozenset[str] = spec.__required_keys__ | spec.__optional_keys__  # type: ignore[attr-defined]
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise TypeError(f"{call}() got unexpected field(s) {', '.join(unknown)}")
    missing = sorted(spec.__required_keys__ - set(fields))  # type: ignore[attr-defined]
    if missing:
        raise TypeError(f"{call}() is missing required field(s) {', '.join(missing)}")
    hints = _hints(spec)
    out: dict[str, Any] = {}
    for name, value in fields.items():
        expected = hints.get(name)
        if value is not None and expected in (str, bool) and type(value) is not expected:
            raise TypeError(f"{name}: expected {expected.__name__}, not {type(value).__name__}")
        out[name] = wire(value, name)
    return out


def date_text(value: object, path: str) -> str:
    """A date field's text: a ``date`` (not a ``datetime``) or a ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        raise TypeError(f"{path}: expected a date, not a datetime (pass {value.date()!r})")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        if _DAY.fullmatch(value):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                pass
            else:
                return value
        raise ValueError(f"{path}: expected a date as YYYY-MM-DD, not {value!r}")
    raise TypeError(f"{path}: expected a date, not {type(value).__name__}")


def _decimal_text(value: object, path: str) -> str:
    if isinstance(value, float):
        raise TypeError(
            f"{path}: a float cannot carry an exact amount; pass a Decimal or a string "
            f"(Decimal({str(value)!r}))"
        )
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{path}: expected a Decimal, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{path}: {value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError(f"{path}: {value!r} is not a finite number")
    return format(number, "f")


def wire(value: Any, path: str) -> Any:
    """``value`` as JSON-ready builtins, its leaf named ``path`` checked by its name."""
    if value is None:
        return None
    leaf = path.rsplit("/", 1)[-1]
    if leaf in DATE_FIELDS:
        return date_text(value, path)
    if leaf in DECIMAL_FIELDS and not isinstance(value, Mapping | msgspec.Struct):
        return _decimal_text(value, path)
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        raise TypeError(f"{path}: floats are not sent; pass a Decimal or a string")
    if isinstance(value, Decimal):
        return _decimal_text(value, path)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{path}: a naive datetime is ambiguous; give it a timezone")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, msgspec.Struct):
        # Unset optional fields are left out rather than sent as null.
        return {
            name: wire(item, f"{path}/{name}")
            for name in value.__struct_fields__
            if (item := getattr(value, name)) is not None
        }
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"{path}: object keys must be str, not {type(key).__name__}")
        return {key: wire(item, f"{path}/{key}") for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [wire(item, f"{path}/{i}") for i, item in enumerate(value)]
    raise TypeError(f"{path}: cannot send a {type(value).__name__}")
