"""What FakeQonto served, for tests to assert on."""

from __future__ import annotations

import collections
import dataclasses

__all__ = ["Download", "Stats"]


@dataclasses.dataclass(frozen=True)
class Download:
    """One GET of a signed file URL, as the fake saw it."""

    path: str
    authorization: bool  # did the request carry an Authorization header?
    status: int


class Stats:
    """What the fake served. ``reset()`` starts over (the data and tokens stay).

    - ``requests``: ``Counter`` of ``(route, status)``; ``route`` is ``"GET /v2/clients/{id}"``
      style, ``status`` 0 for a dropped connection (a truncated answer counts with its status).
    - ``served``: per resource (``clients``, ``client_invoices``, ``supplier_invoices``,
      ``client_invoice_uploads``, ``attachments``, ``transactions``) a ``Counter`` of ids
      delivered in complete 2xx answers, by list or by id.
    - ``faults``: ``Counter`` by ``FaultAction.label`` (``"503"``, ``"502:html"``, ``"429"``,
      ``"drop"``, ``"truncate"``, ``"html"``...).
    - ``rate_limited``: 429s sent by the rate limiter; ``auth_throttled``: 429s sent for too
      many 401s; ``staging_rejections``: HTML pages sent for a missing staging token.
    - ``token_refreshes``, ``tokens_issued``, ``uploads_created``, ``idempotency_keys`` (the
      ``X-Qonto-Idempotency-Key`` of every request that carried one, faulted ones included,
      in arrival order), ``downloads``.
    - ``changes``: every change to the data, made through ``fake.create/update/delete``, by
      churn, or by the API (a transaction's receipt processed or removed), as
      ``(action, resource, id)`` with ``action`` one of ``created``, ``updated``,
      ``deleted``, in order.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: collections.Counter[tuple[str, int]] = collections.Counter()
        self.served: collections.defaultdict[str, collections.Counter[str]] = (
            collections.defaultdict(collections.Counter)
        )
        self.faults: collections.Counter[str] = collections.Counter()
        self.rate_limited = 0
        self.auth_throttled = 0
        self.staging_rejections = 0
        self.token_refreshes = 0
        self.tokens_issued = 0
        self.uploads_created = 0
        self.idempotency_keys: list[str] = []
        self.downloads: list[Download] = []
        self.changes: list[tuple[str, str, str]] = []

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def count(self, route: str | None = None, status: int | None = None) -> int:
        """Requests answered, optionally only for ``route`` (exact, or a ``"GET /v2/x"``
        prefix ending in ``*``) and/or ``status``."""
        total = 0
        for (r, s), n in self.requests.items():
            if status is not None and s != status:
                continue
            prefix = route is not None and route.endswith("*") and r.startswith(route[:-1])
            if route is not None and r != route and not prefix:
                continue
            total += n
        return total

    @property
    def too_many_requests(self) -> int:
        """Every 429 sent: rate limiter, auth throttling and injected faults."""
        return self.count(status=429)

    @property
    def faults_injected(self) -> int:
        return sum(self.faults.values())

    def duplicates(self, resource: str) -> dict[str, int]:
        """Ids of ``resource`` served more than once, with their counts."""
        return {rid: n for rid, n in self.served[resource].items() if n > 1}

    def __repr__(self) -> str:
        return (
            f"Stats(requests={self.total_requests}, faults={dict(self.faults)}, "
            f"rate_limited={self.rate_limited}, token_refreshes={self.token_refreshes})"
        )
