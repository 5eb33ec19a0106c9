from __future__ import annotations

from collections.abc import Mapping

from .._http.raw import RawMethod, RawResponses
from ..models.organization import Organization, decode_organization
from ._base import Resource

__all__ = ["OrganizationResource", "RawOrganization"]

PATH = "/v2/organization"


class OrganizationResource(Resource):
    """``/v2/organization``: the authenticated organization and its bank accounts (scope
    ``organization.read``). The account ``id`` or ``iban`` it gives is what
    ``transactions.list()`` takes."""

    async def get(
        self,
        *,
        include_external_accounts: bool = False,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Organization:
        """The organization; ``include_external_accounts=True`` lists the connected
        accounts held at other banks too (Qonto leaves them out by default)."""
        if not isinstance(include_external_accounts, bool):
            raise TypeError("include_external_accounts must be a bool")
        return await self._transport.request(
            "GET",
            PATH,
            decode_organization,
            params=[
                ("include_external_accounts", "true" if include_external_accounts else "false")
            ],
            headers=extra_headers,
            timeout=timeout,
        )

    @property
    def with_raw_response(self) -> RawOrganization:
        """``get``, returning a :class:`~qonto_async.RawResponse`."""
        return RawOrganization(self)


class RawOrganization(RawResponses):
    """``qonto.organization.with_raw_response``."""

    get = RawMethod(OrganizationResource.get)
