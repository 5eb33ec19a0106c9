"""Where a ``created_at`` listing stands, and the resume token that carries it."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping

from ..errors import clip

__all__ = ["SECOND", "ListState", "decode_token", "encode_token", "us_of", "us_to_iso"]

SECOND = 1_000_000
_PREFIX = "qlp1."
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The instants a token may hold: what a datetime can represent (a forged token cannot
# overflow date arithmetic later).
MIN_US = -62_135_596_800 * SECOND
MAX_US = 253_402_300_799 * SECOND


def encode_token(prefix: str, data: Mapping[str, object]) -> str:
    """The one token codec: compact JSON, URL-safe base64 without padding, a version prefix."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return prefix + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(prefix: str, token: object, what: str) -> dict[str, object]:
    """The fields of a token from :func:`encode_token`; ``ValueError`` naming ``what`` if it
    is not one (wrong prefix, bad base64 or JSON, not an object)."""
    if not isinstance(token, str) or not token.startswith(prefix):
        raise ValueError(f"not {what}: {_shown(token)}")
    body = token[len(prefix) :]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, TypeError, RecursionError):
        raise ValueError(f"not {what}: {_shown(token)}") from None
    if not isinstance(data, dict):
        raise ValueError(f"not {what}: {_shown(token)}")
    return data


def _shown(token: object) -> str:
    """A token as a message shows it: a forged one may be megabytes long."""
    return clip(repr(token), 80)


def checked_us(value: object, what: str, token: object) -> int | None:
    """An instant read from a token: None, or an int a datetime can hold."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_US <= value <= MAX_US:
        raise ValueError(f"not {what}: {_shown(token)}")
    return value


def us_of(moment: dt.datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def us_to_iso(us: int) -> str:
    moment = _EPOCH + dt.timedelta(microseconds=us)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


class ListState:
    """The frontier of an exactly-once listing, in walking-order keys.

    Every record whose key is below ``key`` has been yielded (or did not exist throughout);
    at ``key`` itself, ``ids`` were yielded, and ``closed`` says that all of that instant
    was. ``None``: nothing yet.
    """

    __slots__ = ("closed", "descending", "ids", "key")

    def __init__(self, descending: bool) -> None:
        self.descending = descending
        self.key: int | None = None
        self.closed = False
        self.ids: set[str] = set()

    def copy(self) -> ListState:
        state = ListState(self.descending)
        state.key, state.closed, state.ids = self.key, self.closed, set(self.ids)
        return state

    def take(self, key: int, record_id: str) -> bool:
        """Whether a record at ``key`` is new; if so, it counts as yielded."""
        current = self.key
        if current is None or key > current:
            self.key, self.closed, self.ids = key, False, {record_id}
            return True
        if key == current and record_id not in self.ids:
            self.ids.add(record_id)
            return True
        return False

    def close(self, key: int) -> None:
        """Everything up to and including ``key`` has been read."""
        if self.key is None or key > self.key:
            self.key, self.closed, self.ids = key, True, set()
        elif key == self.key:
            self.closed = True

    def covers_before(self, key: int, *, inclusive: bool) -> bool:
        """Whether everything below ``key`` (and ``key`` itself when ``inclusive``) is read."""
        current = self.key
        if current is None:
            return False
        if inclusive:
            return key < current or (key == current and self.closed)
        return key <= current or (key == current + 1 and self.closed)

    def token(self) -> str:
        data = {"d": self.descending, "k": self.key, "c": self.closed, "i": sorted(self.ids)}
        return encode_token(_PREFIX, data)

    @classmethod
    def from_token(cls, token: str, *, descending: bool) -> ListState:
        what = "a listing position"
        data = decode_token(_PREFIX, token, what)
        try:
            key, closed, ids, desc = data["k"], data["c"], data["i"], data["d"]
        except KeyError:
            raise ValueError(f"not {what}: {_shown(token)}") from None
        if desc != descending:
            raise ValueError("this position belongs to a listing in the other order")
        if not isinstance(ids, list):
            raise ValueError(f"not {what}: {_shown(token)}")
        if key is not None:  # an instant, negated when walking newest first
            if isinstance(key, bool) or not isinstance(key, int):
                raise ValueError(f"not {what}: {_shown(token)}")
            checked_us(-key if desc else key, what, token)
        state = cls(descending)
        state.key = key
        state.closed, state.ids = bool(closed), {str(i) for i in ids}
        return state
