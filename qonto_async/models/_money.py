"""Money: a :class:`~decimal.Decimal` from a JSON number or a numeric string, ``"10,00"`` too.

Qonto sends money as JSON numbers (``"amount": 0.43``), and sometimes as strings: balances
(``"authorized_balance": "141148.12"``), one webhook version (``"amount": "50.00"``) and the
newest docs example of a transaction (``"amount": "10,00"``, a decimal comma; UNCONFIRMED as
live behaviour, accepted anyway: the tolerant reading).

A :data:`Money` field is a plain ``Decimal`` field, which msgspec decodes natively from a number
or a string: from a number it builds the ``Decimal`` from the number's own digits, never through
a binary float (``0.1000000000000000055511151231257827`` stays exactly that). Exactness costs
0.15 us a value over a ``float`` field (building the ``Decimal``), and nothing else: a model with
money fields decodes at msgspec's speed, with any msgspec decoder
(``qonto.request(cast_to=Transaction)``, ``msgspec.convert``).

What msgspec does not read is the decimal comma. A custom type through ``dec_hook`` would, but
costs a Python call per value: +25% on a page of transactions (measured while designing this:
4.6 us a transaction instead of 3.7). So the comma costs nothing until it is seen: :func:`lenient`
retries a failed decode once with the comma strings of money fields rewritten
(:func:`fix_decimal_commas`), and answers the retry: a page with commas decodes in about 2.5
times the time of one without. A body without a comma-decimal money string fails as it did,
with msgspec's message and path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

import msgspec

__all__ = ["MONEY_KEYS", "SANE_EXPONENT", "Money", "fix_decimal_commas", "insane_money", "lenient"]

T = TypeVar("T")

Money = Decimal
"""A money amount in major units: a JSON number or a numeric string (``"10,00"`` through the
decoders of this package). Exact: never converted through a binary float."""

_SHOWN = 40  # characters of an absurd amount quoted in the error

SANE_EXPONENT = 15
"""The largest magnitude of a money amount, as a :meth:`~decimal.Decimal.adjusted` exponent
either way: 10^16 currency units and more, or a nonzero amount below 10^-15, is not money."""


def insane_money(value: Decimal | None) -> str | None:
    """Why ``value`` is not an amount of money, or None if it is (None is no amount: fine).

    msgspec decodes ``"NaN"``, ``"Infinity"``, ``"sNaN"``, ``1e400`` and ``"1e999999999"``
    into a Decimal as readily as ``0.43``; the last one raises ``decimal.Overflow`` in the
    first sum that meets it. A model refuses these where it decodes (a ``ValueError`` in
    ``__post_init__``, which msgspec reports as a ``ValidationError`` with the record's path).
    """
    if value is None:
        return None
    if not value.is_finite():
        return f"is {value}, not a finite number"
    if value and abs(value.adjusted()) > SANE_EXPONENT:
        shown = str(value)
        shown = shown if len(shown) <= _SHOWN else f"{shown[:_SHOWN]}... ({len(shown)} chars)"
        return f"{shown} is out of range for an amount of money (10^-15 to 10^16)"
    return None


MONEY_KEYS = (
    "amount",
    "amount_excluding_vat",
    "authorized_balance",
    "balance",
    "guarding_rate",
    "legal_share_capital",
    "local_amount",
    "rate",
    "settled_balance",
    "vat_amount",
    "vat_rate",
)
"""The JSON keys whose string values may carry a decimal comma (every money or rate field of the
banking models)."""

# A money key, then a string value "<digits>,<digits>" (one comma, no other separator: "1.234,5"
# is ambiguous and stays an error). The key's quotes are unescaped, so it is a key of the JSON
# (inside a JSON string every quote is escaped), never text that looks like one.
_COMMA_MONEY = re.compile(
    rb'("(?:' + b"|".join(re.escape(k.encode()) for k in MONEY_KEYS) + rb')"\s*:\s*")'
    rb'([-+]?[0-9]+),([0-9]+)"'
)


def fix_decimal_commas(body: bytes) -> bytes | None:
    """``body`` with each money string ``"10,00"`` written ``"10.00"``; None if it has none."""
    fixed, count = _COMMA_MONEY.subn(rb'\1\2.\3"', bytes(body))
    return fixed if count else None


def lenient(decode: Callable[[bytes], T]) -> Callable[[bytes], T]:
    """``decode``, retried once on a body whose money strings use a decimal comma.

    The fast path is ``decode`` itself: a body it reads costs nothing more. Only when it
    raises :class:`msgspec.ValidationError` is the body searched for comma money strings; if
    there are none, the error stands; if there are, the rewritten body is decoded and its
    answer (or its error) is the answer.
    """

    def run(body: bytes) -> T:
        try:
            return decode(body)
        except msgspec.ValidationError:
            fixed = fix_decimal_commas(body)
            if fixed is None:
                raise
        return decode(fixed)

    run.__doc__ = decode.__doc__
    return run
