"""The rarer knobs of :class:`FakeQonto`, in one small object."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Literal

from ._datagen import DEFAULT_NOW
from ._faults import RateLimit

__all__ = ["AUTH_FAILURE_LIMIT", "FakeOptions"]

# Qonto throttles a caller after more than 200 answers with status 401 in an hour.
AUTH_FAILURE_LIMIT = RateLimit(200, 3600.0)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FakeOptions:
    """How a :class:`FakeQonto` behaves beyond its data, latency, faults and rate limit.

    - ``staging_token``: make ``/v2`` demand a matching ``X-Qonto-Staging-Token``, answering
      an HTML login page otherwise (``staging_status`` 200 or 401, or 302 to that page).
    - ``host``, ``port``: where to listen (a free port of 127.0.0.1 by default).
    - ``login``, ``secret_key``: the API key it accepts (derived from the seed by default).
    - ``max_per_page`` (one number, or one per resource) and ``default_per_page``.
    - ``upload_envelope``: the shape of ``GET /v2/client_invoices/uploads/{id}``: the
      JSON:API ``"data"`` envelope (default) or ``"client_invoice_upload"``.
    - ``access_token_ttl``, ``refresh_token_grace``: OAuth token lifetimes, in seconds.
    - ``auth_failure_limit``: Qonto's throttling of callers with too many 401s (None: off).
    - ``now``: the instant the generated data is relative to.
    - ``webhook_retry_delays``: seconds before each new attempt of a webhook delivery that
      was not answered 2xx within a second (Qonto backs off over days; this compresses it).
    - ``replay_reused_keys``: answer an idempotency key reused with a different body with the
      first answer, as Qonto's page documents, instead of 422 ``idempotency_key_reused``.
    - ``attachment_delay``: seconds of the fake's clock Qonto takes to process a receipt
      uploaded to a transaction before it shows in ``attachment_ids`` (0: at once).
    - ``max_per_page`` and ``default_per_page`` apply to the bank lists too
      (``transactions``, ``bank_accounts``, ``labels``, ``memberships``, ``statements``).
    """

    staging_token: str | None = None
    staging_status: Literal[200, 302, 401] = 200
    host: str = "127.0.0.1"
    port: int = 0
    login: str | None = None
    secret_key: str | None = None
    max_per_page: int | Mapping[str, int] = 100
    default_per_page: int = 100
    upload_envelope: Literal["data", "client_invoice_upload"] = "data"
    access_token_ttl: float = 3600.0
    refresh_token_grace: float = 60.0
    auth_failure_limit: RateLimit | None = AUTH_FAILURE_LIMIT
    now: dt.datetime = DEFAULT_NOW
    replay_reused_keys: bool = False
    webhook_retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
    attachment_delay: float = 1.0

    def __post_init__(self) -> None:
        if self.staging_status not in (200, 302, 401):
            raise ValueError("staging_status must be 200, 302 or 401")
        if self.upload_envelope not in ("data", "client_invoice_upload"):
            raise ValueError("upload_envelope must be 'data' or 'client_invoice_upload'")
        if self.attachment_delay < 0:
            raise ValueError("attachment_delay must be >= 0")
