from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._balance_check import PeriodCheck, check_balance_continuity
from .._http.transport import Transport
from .._listing.changes import DEFAULT_OVERLAP, ChangeFeed
from .._listing.fanout import FanOutPaginator
from .._listing.paginator import Paginator, ProgressCallback
from .._listing.position import ListState, us_of, us_to_iso
from .._listing.spec import ListingSpec
from ..errors import APIResponseValidationError
from ..models.transaction import (
    TRANSACTION_INCLUDES,
    TRANSACTION_SIDES,
    TRANSACTION_SORT_FIELDS,
    TRANSACTION_STATUSES,
    Transaction,
    TransactionInclude,
    TransactionSide,
    TransactionStatus,
    decode_transaction,
    decode_transaction_page,
)
from ._base import RawReader, quote_id
from ._listable import MAX_PER_PAGE, ListableResource
from ._params import ListOptions, Moment, Query, add_moments, flag, instant_us, sort_key, statuses
from .organization import OrganizationResource

__all__ = ["TransactionsResource"]

_EDGE_PAGE = 10  # transactions read around a period's edge (more when they share an instant)


def _other_account(account_id: str | None) -> Callable[[Transaction], bool] | None:
    """Whether a transaction belongs to another account than ``account_id`` (None: cannot
    tell, by IBAN)."""
    if account_id is None:
        return None

    def foreign(transaction: Transaction) -> bool:
        found = transaction.bank_account_id
        return found is not None and found != account_id

    return foreign


def _includes(value: TransactionInclude | Iterable[TransactionInclude] | None) -> Query:
    if value is None:
        return []
    return [("includes[]", v) for v in statuses("includes", value, TRANSACTION_INCLUDES)]


class TransactionsResource(ListableResource[Transaction]):
    """``/v2/transactions`` (scope ``organization.read``): every movement of every account.

    Qonto lists one account at a time; without ``bank_account_id`` or ``iban`` the SDK lists
    every account of the organization. Its filters are bare names (``updated_at_from``), and
    the exact walk goes by ``updated_at``, oldest change first: a transaction that settles,
    is declined or gains an attachment while it is read moves past the walk's frontier and
    is met again there, and is yielded once (see ``_listing/spec.py``).
    """

    _path = "/v2/transactions"
    _listing = ListingSpec(
        key="updated_at",
        sorts=TRANSACTION_SORT_FIELDS,
        descending=False,
        moving=True,
        bracketed=False,
    )
    # the list needs an account: the change feed's clock asks the accounts' list instead
    _clock_path = "/v2/bank_accounts"

    def __init__(self, transport: Transport) -> None:
        super().__init__(transport, decode_transaction, decode_transaction_page)
        self._organization = OrganizationResource(transport)

    def list(
        self,
        *,
        bank_account_id: str | None = None,
        iban: str | None = None,
        status: TransactionStatus | Iterable[TransactionStatus] | None = None,
        side: TransactionSide | None = None,
        operation_type: str | Iterable[str] | None = None,
        updated_at_from: Moment | None = None,
        updated_at_to: Moment | None = None,
        settled_at_from: Moment | None = None,
        settled_at_to: Moment | None = None,
        emitted_at_from: Moment | None = None,
        emitted_at_to: Moment | None = None,
        with_attachments: bool | None = None,
        includes: TransactionInclude | Iterable[TransactionInclude] | None = None,
        include_external_accounts: bool = False,
        sort_by: str | None = None,
        per_page: int = 100,
        prefetch: int = 4,
        on_progress: ProgressCallback | None = None,
        limit: int | None = None,
        start: str | None = None,
    ) -> Paginator[Transaction]:
        """Every transaction matching the filters, bounds included.

        ``status`` defaults to **all three**, ``pending``, ``declined`` and ``completed``,
        always sent (Qonto's own default is ``completed`` only, which hides card
        authorisations and refusals). Without ``bank_account_id`` or ``iban``, every account
        of the organization (``include_external_accounts=True`` adds the ones held at other
        banks), read concurrently, each transaction once; pages of different accounts
        interleave. ``operation_type``: one or several (``card``, ``transfer``, ``income``,
        ``direct_debit``...; Qonto adds types, so any is sent). ``includes``: ``vat_details``,
        ``labels``, ``attachments`` embedded in each transaction.

        By default the listing walks ``updated_at`` oldest first and yields every transaction
        that exists throughout exactly once, whatever settles or changes meanwhile;
        ``position`` and ``start=`` resume it. ``sort_by`` (``settled_at:desc``,
        ``emitted_at:asc``...) reads by page number, verified (see
        :class:`~qonto_async.Paginator`). For an accounting period, filter on ``settled_at``
        and see :meth:`check_period`.
        """
        query: Query = [
            ("status[]", s)
            for s in (
                TRANSACTION_STATUSES
                if status is None
                else statuses("status", status, TRANSACTION_STATUSES)
            )
        ]
        if side is not None:
            if side not in TRANSACTION_SIDES:
                raise ValueError(f"side={side!r} is not one of {', '.join(TRANSACTION_SIDES)}")
            query.append(("side", side))
        if operation_type is not None:
            types = [operation_type] if isinstance(operation_type, str) else list(operation_type)
            if not types or not all(isinstance(t, str) and t for t in types):
                raise ValueError("operation_type must be a non-empty string or list of strings")
            query += [("operation_type[]", t) for t in types]
        add_moments(
            query,
            bracketed=False,
            settled_at_from=settled_at_from,
            settled_at_to=settled_at_to,
            emitted_at_from=emitted_at_from,
            emitted_at_to=emitted_at_to,
        )
        if with_attachments is not None:
            query.append(("with_attachments", flag(with_attachments)))
        query += _includes(includes)
        if sort_by is not None:
            sort_by = sort_key(sort_by, self._listing.sorts)
        options: ListOptions = {"per_page": per_page, "prefetch": prefetch}
        if sort_by is not None:
            options["sort_by"] = sort_by
        if updated_at_from is not None:
            options["updated_at_from"] = updated_at_from
        if updated_at_to is not None:
            options["updated_at_to"] = updated_at_to
        if bank_account_id is not None or iban is not None:
            # Qonto reads bank_account_id first when both are given: send that one only.
            selector = ("bank_account_id", bank_account_id) if bank_account_id else ("iban", iban)
            if not selector[1] or not isinstance(selector[1], str):
                raise ValueError(f"{selector[0]} must be a non-empty string")
            one: ListOptions = {**options, "on_progress": on_progress, "limit": limit}
            if start is not None:
                one["start"] = start
            return self._paginate(
                [selector, *query],  # type: ignore[list-item]
                one,
                foreign=_other_account(bank_account_id),
            )
        if not isinstance(include_external_accounts, bool):
            raise TypeError("include_external_accounts must be a bool")
        # What each account's paginator checks when made, checked now: they are made only
        # once the accounts are known, inside the reading.
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")
        if prefetch < 1:
            raise ValueError("prefetch must be at least 1")
        order = sort_by or self._listing.default_sort
        if start is not None and not order.startswith(f"{self._listing.key}"):
            raise ValueError(
                f"start= needs the listing's own order ({self._listing.default_sort}): "
                "positions are keys on it"
            )
        descending = order.endswith(":desc")

        def check_start(position: str) -> object:
            return ListState.from_token(position, descending=descending)

        selectors: dict[str, tuple[str, str]] = {}

        async def accounts() -> list[str]:
            organization = await self._organization.get(
                include_external_accounts=include_external_accounts
            )
            for account in organization.bank_accounts or ():
                # an account the docs' example shows without an id is read by its IBAN
                if account.id:
                    selectors[account.id] = ("bank_account_id", account.id)
                elif account.iban:
                    selectors[account.iban] = ("iban", account.iban)
                else:  # left out, its transactions would be missing without a word
                    raise APIResponseValidationError(
                        status=200,
                        body_excerpt="",
                        where=f"bank account {account.name or account.slug!r} has neither an "
                        "id nor an IBAN: its transactions cannot be listed",
                        method="GET",
                        url="/v2/organization",
                    )
            return list(selectors)

        def open_account(account: str, position: str | None) -> Paginator[Transaction]:
            own: ListOptions = dict(options)  # type: ignore[assignment]
            if position is not None:
                own["start"] = position
            selector = selectors[account]
            foreign = _other_account(selector[1] if selector[0] == "bank_account_id" else None)
            return self._paginate([selector, *query], own, foreign=foreign)

        return FanOutPaginator(
            accounts,
            open_account,
            limit=limit,
            on_progress=on_progress,
            start=start,
            check_start=check_start,
        )

    async def get(
        self,
        id: str,
        *,
        includes: TransactionInclude | Iterable[TransactionInclude] | None = None,
        timeout: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Transaction:
        """One transaction by its ``id`` (the UUID, not the human ``transaction_id``), with
        ``includes`` (``vat_details``, ``labels``, ``attachments``) embedded;
        :class:`~qonto_async.NotFoundError` if there is none."""
        return await self._transport.request(
            "GET",
            f"{self._path}/{quote_id(id)}",
            decode_transaction,
            params=_includes(includes),
            resource_id=id,
            headers=extra_headers,
            timeout=timeout,
        )

    def changes(
        self,
        since: str | dt.datetime | None = None,
        *,
        overlap: dt.timedelta = DEFAULT_OVERLAP,
        per_page: int = 100,
        prefetch: int = 4,
        include_external_accounts: bool = False,
    ) -> ChangeFeed[Transaction]:
        """Every transaction created or updated after ``since``, on every account, every
        status (see :meth:`ListableResource.changes`); ``feed.cursor`` holds every account's
        place."""
        extra: dict[str, Any] = {"include_external_accounts": include_external_accounts}
        return self._feed(since, overlap, per_page, prefetch, extra)

    async def check_period(
        self,
        *,
        settled_at_from: Moment,
        settled_at_to: Moment,
        bank_account_id: str | None = None,
        iban: str | None = None,
        include_external_accounts: bool = False,
        per_page: int = 100,
        prefetch: int = 4,
    ) -> PeriodCheck:
        """List the period's completed transactions (settled within the bounds, included)
        and prove nothing is missing: on each account (the one given, or every account of
        the organization), each one's ``settled_balance`` must follow from the one before
        it, from the last transaction before the period to the first after it (a few small
        requests per account), so an account whose transactions all went missing is caught
        too. See :class:`~qonto_async.PeriodCheck` for what balances cannot see.
        """
        if settled_at_from is None or settled_at_to is None:
            raise TypeError("check_period needs both settled_at_from and settled_at_to")
        lower = instant_us("settled_at_from", settled_at_from, end=False)
        upper = instant_us("settled_at_to", settled_at_to, end=True)
        assert lower is not None
        assert upper is not None
        if upper < lower:
            raise ValueError("settled_at_to is before settled_at_from")
        accounts = await self._accounts_checked(bank_account_id, iban, include_external_accounts)
        period = await self.list(
            bank_account_id=bank_account_id,
            iban=iban,
            include_external_accounts=include_external_accounts,
            status="completed",
            settled_at_from=us_to_iso(lower),
            settled_at_to=us_to_iso(upper),
            per_page=per_page,
            prefetch=prefetch,
        ).all()
        accounts |= {t.bank_account_id for t in period if t.bank_account_id}
        before: dict[str, Transaction] = {}
        after: dict[str, Transaction] = {}
        for account in sorted(accounts):
            earlier = await self._edge(account, settled_at_to=lower - 1)
            later = await self._edge(account, settled_at_from=upper + 1)
            if earlier is not None:
                before[account] = earlier
            if later is not None:
                after[account] = later
        return check_balance_continuity(period, before=before, after=after, accounts=accounts)

    async def _accounts_checked(
        self, bank_account_id: str | None, iban: str | None, external: bool
    ) -> set[str]:
        """The ids of the accounts a period check covers: the one given, or every account of
        the organization (an account with no id is read by IBAN, and its transactions say
        their account)."""
        if bank_account_id:
            return {bank_account_id}
        organization = await self._organization.get(
            include_external_accounts=external or bool(iban)
        )
        accounts = organization.bank_accounts or []
        if iban:
            return {a.id for a in accounts if a.id and a.iban == iban}
        return {a.id for a in accounts if a.id}

    async def _edge(
        self, account: str, *, settled_at_to: int | None = None, settled_at_from: int | None = None
    ) -> Transaction | None:
        """The completed transaction of ``account`` settled last before ``settled_at_to``
        (or first after ``settled_at_from``), in the chain's order among those settled at
        that same instant (all of them read when there are many)."""
        newest_first = settled_at_to is not None
        bound = settled_at_to if newest_first else settled_at_from
        assert bound is not None
        near = await self.list(
            bank_account_id=account,
            status="completed",
            sort_by="settled_at:desc" if newest_first else "settled_at:asc",
            settled_at_to=us_to_iso(bound) if newest_first else None,
            settled_at_from=None if newest_first else us_to_iso(bound),
            per_page=_EDGE_PAGE,
            limit=_EDGE_PAGE,
        ).all()
        near = [t for t in near if t.settled_at is not None and t.settled_balance is not None]
        if not near:
            return None
        edge = near[0].settled_at
        assert edge is not None
        tied = [t for t in near if t.settled_at == edge]
        if len(tied) == _EDGE_PAGE:  # more may share that instant: read it whole
            instant = us_to_iso(us_of(edge))
            tied = [
                t
                for t in await self.list(
                    bank_account_id=account,
                    status="completed",
                    settled_at_from=instant,
                    settled_at_to=instant,
                ).all()
                if t.settled_at == edge and t.settled_balance is not None
            ]
        chain = check_balance_continuity(tied).transactions
        return chain[-1] if newest_first else chain[0]

    @property
    def with_raw_response(self) -> RawReader[Transaction]:
        """``get`` and ``get_many``, each returning a :class:`~qonto_async.RawResponse`."""
        return RawReader(self)
