"""The bodies Qonto and what stands in front of it answer with: Qonto's JSON errors, the
gateway's rate-limit body, a proxy's HTML page, S3's XML errors, the sandbox's login page."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import msgspec
from aiohttp import web

__all__ = [
    "SERVED",
    "STAGING_PAGE",
    "STATUS_CODES",
    "TRACE_ID",
    "TYK_RATE_LIMIT_BODY",
    "error_response",
    "json_response",
    "oauth_error",
    "proxy_page",
    "s3_error",
]

encode = msgspec.json.Encoder().encode
TRACE_ID = web.RequestKey("trace_id", str)
# (resource, ids) of the records an answer delivers, counted once the answer went out whole
SERVED = web.RequestKey("served", tuple[str, Sequence[str]])

STATUS_CODES = {
    500: ("internal_server_error", "An internal server error occurred"),
    502: ("bad_gateway", "The server received an invalid response from an upstream server"),
    503: ("service_unavailable", "The service is temporarily unavailable"),
    504: ("gateway_timeout", "The upstream server did not answer in time"),
}
# Tyk, the gateway in front of Qonto, answers its own rate limit with this body.
TYK_RATE_LIMIT_BODY = b'{\n    "error": "API Rate limit exceeded"\n}'
STAGING_PAGE = b"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Qonto | Sign in</title></head>
<body>
<main><h1>Sign in to Qonto</h1>
<form method="post" action="/sso/login"><input type="email" name="email">
<input type="password" name="password"><button type="submit">Sign in</button></form></main>
</body>
</html>
"""


def proxy_page(status: int) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    ).encode()


def s3_error(status: int, code: str, message: str) -> web.Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return web.Response(status=status, text=body, content_type="application/xml")


def error_response(
    status: int,
    code: str,
    detail: str,
    trace_id: str,
    path: str,
    *,
    parameter: str | None = None,
    pointer: str | None = None,
) -> web.Response:
    error: dict[str, Any] = {}
    if path.startswith("/v2/client_invoices"):
        error["status"] = str(status)  # as on Qonto's client-invoice pages
    error["code"] = code
    error["detail"] = detail
    if parameter is not None or pointer is not None:
        error["source"] = {
            k: v for k, v in (("pointer", pointer), ("parameter", parameter)) if v is not None
        }
    body = encode({"errors": [error], "trace_id": trace_id})
    return web.Response(status=status, body=body, content_type="application/json")


def json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(status=status, body=body, content_type="application/json")


def oauth_error(status: int, error: str, description: str) -> web.Response:
    body = encode({"error": error, "error_description": description})
    return web.Response(status=status, body=body, content_type="application/json")
