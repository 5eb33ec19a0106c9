from __future__ import annotations

from collections.abc import Mapping
from typing import Unpack

from .._body import body_of
from .._http.raw import RawMethod
from .._http.transport import Transport
from .._listing.paginator import Paginator
from .._listing.spec import ListingSpec
from ..models.client import CLIENT_SORT_FIELDS, Client, decode_client, decode_client_page
from ..models.requests import ClientCreateFields, ClientFields, RequestOptions
from ._base import RawReader, quote_id
from ._listable import ListableResource
from ._params import ListOptions, Query, add
from ._writes import WriteOptions, delete_once, write

__all__ = ["ClientsResource", "RawClients"]


class ClientsResource(ListableResource[Client]):
    """``/v2/clients`` (scope ``client.read``)."""

    _path = "/v2/clients"
    # Qonto documents filter[updated_at_from|to] and sort_by updated_at for clients, and no
    # created_at filter: the walk goes oldest change first on updated_at, a key that only
    # moves forward (see _listing/spec.py for why that is exact).
    _listing = ListingSpec(
        key="updated_at", sorts=CLIENT_SORT_FIELDS, descending=False, moving=True
    )

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_client, decode_client_page)

    def list(
        self,
        *,
        tax_identification_number: str | None = None,
        vat_number: str | None = None,
        email: str | None = None,
        name: str | None = None,
        **options: Unpack[ListOptions],
    ) -> Paginator[Client]:
        """Every client matching the filters (``name`` matches partially, 2 characters or more).

        Newest first by default (Qonto's own default is by name, which cannot be listed
        exactly once while clients change); ``sort_by`` is ``created_at``, ``updated_at`` or
        ``name`` with ``:asc``/``:desc``. See :class:`~qonto_async.Paginator` for ``limit``,
        ``start`` and the guarantees.
        """
        if name is not None and len(name) < 2:
            raise ValueError("name filters need at least 2 characters")
        query: Query = []
        add(query, "filter[tax_identification_number]", tax_identification_number)
        add(query, "filter[vat_number]", vat_number)
        add(query, "filter[email]", email)
        add(query, "filter[name]", name)
        return self._paginate(query, options)

    async def create(
        self,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        **fields: Unpack[ClientCreateFields],
    ) -> Client:
        """Create a client (``kind`` is ``company``, ``individual`` or ``freelancer``).

        Qonto keeps no uniqueness rule: to make a retried sign-up create one client, pass
        an ``idempotency_key`` derived from your own record (``f"signup-{user.id}"``). To be
        usable on an invoice a client also needs ``currency``, ``locale`` and an address.
        """
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        body = body_of(ClientCreateFields, fields, call="clients.create")
        client: Client = await write(
            self._transport, "POST", self._path, decode_client, options, json=body
        )
        return client

    async def update(
        self,
        id: str,
        *,
        idempotency_key: str | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        **fields: Unpack[ClientFields],
    ) -> Client:
        """Change the given fields (``None`` clears one); the others stay as they are."""
        options = WriteOptions(idempotency_key, timeout, extra_headers)
        body = body_of(ClientFields, fields, call="clients.update")
        path = f"{self._path}/{quote_id(id)}"
        client: Client = await write(
            self._transport, "PATCH", path, decode_client, options, json=body, resource_id=id
        )
        return client

    async def delete(self, id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete a client for good (its recurring invoices are canceled; issued invoices
        keep their copy of it). A retry that finds it gone already counts as done."""
        path = f"{self._path}/{quote_id(id)}"
        await delete_once(self._transport, path, WriteOptions.of(options), resource_id=id)

    @property
    def with_raw_response(self) -> RawClients:
        """The same methods, each returning a :class:`~qonto_async.RawResponse` around what
        it returns (see ``ReadableResource.with_raw_response``)."""
        return RawClients(self)


class RawClients(RawReader[Client]):
    """``qonto.clients.with_raw_response``."""

    create = RawMethod(ClientsResource.create)
    update = RawMethod(ClientsResource.update)
    delete = RawMethod(ClientsResource.delete)
