"""Reading write bodies the way Qonto does: one 422 listing every invalid field, each with
its JSON pointer (``/data/attributes/items/0/vat_rate``)."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
from aiohttp import hdrs, web

__all__ = ["Invalid", "Problems", "multipart_parts", "read_body", "refusal"]

encode = msgspec.json.Encoder().encode
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class Invalid(Exception):
    """A request refused as a whole: ``status`` with one or more ``(code, detail, pointer)``."""

    def __init__(self, status: int, errors: list[tuple[str, str, str | None]]) -> None:
        super().__init__(errors[0][1] if errors else "invalid")
        self.status = status
        self.errors = errors

    def response(self, trace_id: str, path: str) -> web.Response:
        items = []
        for code, detail, pointer in self.errors:
            item: dict[str, Any] = {}
            if path.startswith("/v2/client_invoices"):
                item["status"] = str(self.status)
            item["code"] = code
            item["detail"] = detail
            if pointer is not None:
                item["source"] = {"pointer": pointer}
            items.append(item)
        body = encode({"errors": items, "trace_id": trace_id})
        return web.Response(status=self.status, body=body, content_type="application/json")


def refusal(code: str, detail: str, pointer: str | None = None, status: int = 422) -> Invalid:
    return Invalid(status, [(code, detail, pointer)])


async def read_body(request: web.Request, *, wrapper: str | None = None) -> dict[str, Any]:
    """The JSON object a write sent (``{}`` allowed); a wrapped body (``{"client_invoice":
    {...}}``, as some clients send) is unwrapped when ``wrapper`` names it."""
    raw = await request.read()
    if not raw.strip():
        raise refusal("invalid_body", "invalid_body: EOF", status=422)
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise refusal("invalid_body", "The request body is not valid JSON", status=400) from None
    if not isinstance(body, dict):
        raise refusal("invalid_body", "The request body must be a JSON object", status=400)
    inner = body.get(wrapper) if wrapper else None
    return inner if isinstance(inner, dict) and len(body) == 1 else body


class Problems:
    """Collects what is wrong with a body, then raises one :class:`Invalid`."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str, str | None]] = []

    def add(self, field: str, code: str, detail: str) -> None:
        self.errors.append((code, detail, f"/data/attributes/{field}"))

    def check(self) -> None:
        if self.errors:
            raise Invalid(422, self.errors)

    def text(
        self,
        body: dict[str, Any],
        key: str,
        *,
        required: bool = False,
        limit: int = 0,
        prefix: str = "",
    ) -> str | None:
        value = body.get(key)
        field = prefix + key
        if value is None:
            if required:
                self.add(field, "blank", f"{field} can't be blank")
            return None
        if not isinstance(value, str):
            self.add(field, "invalid", f"{field} must be a string")
            return None
        if required and not value.strip():
            self.add(field, "blank", f"{field} can't be blank")
            return None
        if limit and len(value) > limit:
            self.add(field, "too_long", f"{field} is too long (maximum is {limit} characters)")
        return value

    def email(self, body: dict[str, Any], key: str) -> None:
        self.address(body.get(key), key)

    def address(self, value: Any, field: str) -> None:
        if value is not None and not (isinstance(value, str) and _EMAIL.fullmatch(value)):
            self.add(field, "invalid", f"{field} is not a valid email address")

    def day(self, body: dict[str, Any], field: str, *, required: bool = False) -> dt.date | None:
        value = body.get(field)
        if value is None:
            if required:
                self.add(field, "blank", f"{field} can't be blank")
            return None
        if isinstance(value, str) and _DAY.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.add(field, "invalid", f"{field} must be a date as YYYY-MM-DD")
        return None

    def decimal(
        self, value: Any, field: str, *, low: Decimal | None = None, high: Decimal | None = None
    ) -> Decimal | None:
        if value is None:
            self.add(field, "blank", f"{field} can't be blank")
            return None
        if not isinstance(value, str):
            # Qonto takes decimals as strings; a JSON number is refused.
            self.add(field, "invalid", f"{field} must be a decimal string")
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.add(field, "invalid", f"{field} is not a number")
            return None
        if (low is not None and number < low) or (high is not None and number > high):
            self.add(field, "invalid", f"{field} must be between {low} and {high}")
            return None
        return number


def multipart_parts(
    request: web.Request, body: bytes
) -> list[tuple[str, str | None, str | None, bytes]]:
    """``(field name, file name, content type, content)`` of each part of a multipart body,
    read from its bytes (the idempotency layer has consumed the stream already)."""
    head = f"Content-Type: {request.headers.get(hdrs.CONTENT_TYPE, '')}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise refusal("invalid_body", "Send the files as multipart/form-data", status=400)
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        declared = part.get("Content-Type")
        parts.append((name, part.get_filename(), str(declared) if declared else None, content))
    return parts
