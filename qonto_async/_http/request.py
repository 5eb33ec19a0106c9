"""``qonto.request()``: any endpoint, with the client's auth, rate gate, retries and errors."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import msgspec

from ..models.common import model_decoder
from .idempotency import new_key
from .transport import QueryParams, Transport

__all__ = ["Params", "send"]

Params = Mapping[str, str | int | float | bool] | Sequence[tuple[str, str]]
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_JSON: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


@functools.cache
def _decoder(cast_to: Any) -> msgspec.json.Decoder[Any]:
    return model_decoder(cast_to)


def _query(params: Params | None) -> QueryParams | None:
    if params is None:
        return None
    pairs = params.items() if isinstance(params, Mapping) else params
    out: list[tuple[str, str]] = []
    for key, value in pairs:
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append((str(key), str(value)))
    return out


def send(
    transport: Transport,
    method: str,
    path: str,
    *,
    params: Params | None,
    json: Any,
    cast_to: Any,
    idempotency_key: str | None,
    extra_headers: Mapping[str, str] | None,
) -> Any:
    """The coroutine of one call; a write gets an idempotency key, generated when not given
    (an empty one is a ``ValueError``), so that it is retried (with that same key) like a
    read."""
    verb = method.upper()
    if verb not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}, not {method!r}")
    if not path.startswith("/v2/") or "?" in path or "#" in path:
        raise ValueError(
            f"path must start with /v2/ and carry no query string (pass params=): {path!r}"
        )
    if verb != "GET":
        idempotency_key = new_key(idempotency_key)
    decode = _decoder(cast_to) if cast_to is not None else _JSON

    def decoded(body: bytes) -> Any:
        return decode.decode(body) if body.strip() else None  # 204, or an empty 200

    return transport.request(
        verb,
        quote(path, safe="/-_.~%:@!$&'()*+,;="),
        decoded,
        params=_query(params),
        json=json,
        headers=extra_headers,
        idempotency_key=idempotency_key,
    )
