"""Files: client-invoice uploads (with idempotency keys), attachments, and the signed links
they and bank statements are downloaded from, which expire and refuse credentials as S3's
do."""

from __future__ import annotations

import datetime as dt
import hmac
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msgspec
from aiohttp import hdrs, web

from ._data import Dataset, Upload, ts_offset, uuid4
from ._responses import SERVED, TRACE_ID, error_response, json_response, s3_error
from ._stats import Download, Stats
from ._validation import multipart_parts

__all__ = ["IDEMPOTENCY_KEY", "FileServer", "not_found"]

encode = msgspec.json.Encoder().encode
IDEMPOTENCY_KEY = "X-Qonto-Idempotency-Key"
UPLOAD_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAGIC = ((b"%PDF", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"))
SIGNED_URL_TTL = 1800


def not_found(request: web.Request) -> web.Response:
    return error_response(
        404, "not_found", "Object not found", request[TRACE_ID], request.path, parameter="id"
    )


class FileServer:
    def __init__(
        self,
        dataset: Dataset,
        *,
        stats: Stats,
        rng: random.Random,
        base_url: Callable[[], str],
        upload_envelope: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._dataset = dataset
        self._stats = stats
        self._rng = rng
        self._base_url = base_url
        self._clock = clock  # signed links are dated and expire by the fake's clock
        self.expired_links_to_issue = 0
        self._envelope = upload_envelope
        self._idempotent_uploads: dict[str, str] = {}

    def upload_attributes(self, upload: Upload) -> dict[str, Any]:
        return {
            "id": upload.id,
            "organization_id": self._dataset.organization_id,
            "filename": upload.filename,
            "content_type": upload.content_type,
            "file_size": len(upload.content),
            "url": self.signed_url("uploads", upload.id, upload.filename),
            "created_at": upload.created_at,
            "updated_at": upload.updated_at,
        }

    async def get_upload(self, request: web.Request) -> web.StreamResponse:
        upload = self._dataset.uploads.get(request.match_info["id"])
        if upload is None:
            return not_found(request)
        attributes = self.upload_attributes(upload)
        if self._envelope == "data":
            data = {"type": "client_invoices_upload", "id": upload.id, "attributes": attributes}
            payload: dict[str, Any] = {"data": data}
        else:
            payload = {"client_invoice_upload": attributes}
        request[SERVED] = ("client_invoice_uploads", (upload.id,))
        return json_response(encode(payload))

    async def create_upload(self, request: web.Request) -> web.StreamResponse:
        trace_id, path = request[TRACE_ID], request.path
        key = request.headers.get(IDEMPOTENCY_KEY)
        content: bytes | None = None
        filename = declared = None
        if request.content_type == "multipart/form-data":
            for name, part_file, part_type, part_content in multipart_parts(
                request, await request.read()
            ):
                if name == "client_invoices_upload" and content is None:
                    content, filename, declared = part_content, part_file, part_type
        if content is None:
            return error_response(
                422,
                "invalid",
                "client_invoices_upload is missing: send the file as multipart/form-data",
                trace_id,
                path,
                pointer="/client_invoices_upload",
            )
        content_type = upload_content_type(declared, content)
        if content_type is None:
            return error_response(
                422,
                "invalid",
                "client_invoices_upload must be a PDF, JPEG or PNG file",
                trace_id,
                path,
                pointer="/client_invoices_upload",
            )
        # No await between this lookup and the store below: concurrent retries of one key
        # cannot both create an upload.
        if key is not None and key in self._idempotent_uploads:
            upload = self._dataset.uploads[self._idempotent_uploads[key]]
        else:
            stamp = ts_offset(int(time.time()))
            upload = Upload(
                id=uuid4(self._rng),
                filename=filename or "upload",
                content_type=content_type,
                content=content,
                created_at=stamp,
                updated_at=stamp,
            )
            self._dataset.uploads[upload.id] = upload
            self._stats.uploads_created += 1
            if key is not None:
                self._idempotent_uploads[key] = upload.id
        request[SERVED] = ("client_invoice_uploads", (upload.id,))
        return json_response(encode({"client_invoice_upload": self.upload_attributes(upload)}), 201)

    async def get_attachment(self, request: web.Request) -> web.StreamResponse:
        attachment_id = request.match_info["id"]
        if attachment_id not in self._dataset.attachments:
            return not_found(request)
        name, content, created = self._dataset.attachment_file(attachment_id)
        payload = {
            "attachment": {
                "id": attachment_id,
                "created_at": ts_offset(created),
                "file_name": name,
                "file_size": str(len(content)),
                "file_content_type": self._dataset.attachment_content_type(attachment_id),
                "url": self.signed_url("attachments", attachment_id, name),
                "probative_attachment": {"status": "unavailable"},
            }
        }
        request[SERVED] = ("attachments", (attachment_id,))
        return json_response(encode(payload))

    # -- signed file URLs --------------------------------------------------------------------

    def signed_url(self, kind: str, file_id: str, filename: str) -> str:
        signed_at = self._clock()
        if self.expired_links_to_issue > 0:
            self.expired_links_to_issue -= 1
            signed_at -= 2 * SIGNED_URL_TTL
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(signed_at))
        signature = self._dataset.sign(f"{kind}/{file_id}:{amz_date}:{SIGNED_URL_TTL}")
        return (
            f"{self._base_url()}/files/{kind}/{quote(file_id, safe='')}/{quote(filename, safe='')}"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={amz_date}"
            f"&X-Amz-Expires={SIGNED_URL_TTL}&X-Amz-SignedHeaders=host"
            f"&X-Amz-Signature={signature}"
        )

    async def download(self, request: web.Request) -> web.StreamResponse:
        response = self.serve_file(request)
        self._stats.downloads.append(
            Download(request.path, hdrs.AUTHORIZATION in request.headers, response.status)
        )
        return response

    def serve_file(self, request: web.Request) -> web.Response:
        kind, file_id = request.match_info["kind"], request.match_info["id"]
        if kind == "uploads" and file_id in self._dataset.uploads:
            upload = self._dataset.uploads[file_id]
            content, content_type = upload.content, upload.content_type
        elif kind == "attachments" and file_id in self._dataset.attachments:
            content = self._dataset.attachment_file(file_id)[1]
            content_type = self._dataset.attachment_content_type(file_id)
        elif kind == "statements" and file_id in self._dataset.bank.statement_index:
            bank = self._dataset.bank
            content, content_type = (
                bank.statement_file(bank.statement_index[file_id])[1],
                "application/pdf",
            )
        else:
            return s3_error(404, "NoSuchKey", "The specified key does not exist.")
        query = request.query
        amz_date = query.get("X-Amz-Date", "")
        expires = query.get("X-Amz-Expires", "")
        expected = self._dataset.sign(f"{kind}/{file_id}:{amz_date}:{expires}")
        if not hmac.compare_digest(query.get("X-Amz-Signature", ""), expected):
            return s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
        if signed_at.timestamp() + int(expires) < self._clock():
            return s3_error(403, "AccessDenied", "Request has expired")
        if hdrs.AUTHORIZATION in request.headers:
            # S3 refuses a presigned URL that also carries an Authorization header.
            return s3_error(
                400,
                "InvalidArgument",
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be "
                "specified",
            )
        return web.Response(body=content, content_type=content_type)


def upload_content_type(declared: str | None, content: bytes) -> str | None:
    declared = (declared or "").split(";")[0].strip().lower()
    if declared in UPLOAD_CONTENT_TYPES:
        return declared
    if declared in ("", "application/octet-stream"):
        for magic, content_type in MAGIC:
            if content.startswith(magic):
                return content_type
    return None
