"""What the listing engine knows of one collection: data, not code.

A :class:`ListingSpec` names the field an exact listing walks (its *key*), the filters and
sorts Qonto documents for the collection, and whether the key can move. The engine reads
nothing else about a resource, so a new collection keyed on ``settled_at`` or
``updated_at`` is one more spec, not a change here.

Which reader a ``list()`` gets:

- ``sort_by`` on the key (or no ``sort_by``): the keyset walk of :mod:`.keyset` over
  ``filter[<key>_from|to]``. An immutable key (``created_at``) is exact whatever changes
  meanwhile. A key that only moves forward (``updated_at``, walked oldest first) is exact too:
  a record changed during the run leaves its place for one beyond the frontier, where the walk
  meets it again, and an id already yielded is not yielded twice.
- any other ``sort_by``, or a server that does not honour what the walk relies on: pages by
  number, verified (:mod:`.verified`).
"""

from __future__ import annotations

from collections.abc import Collection

__all__ = ["ListingSpec"]


class ListingSpec:
    """One collection's listing, as Qonto documents it.

    ``key``: the timestamp field walked by the keyset reader, or None when Qonto documents no
    filter on a field that could serve (then every listing is read by page number, verified).
    ``key_from``/``key_to``: the query names of its inclusive bounds. ``descending``: the
    default direction. ``moving``: the key changes when a record does (``updated_at``).
    ``sorts``: the fields ``sort_by`` accepts. ``updated_filter``: whether
    ``filter[updated_at_from]`` is documented (the verified reader's change check).
    ``bracketed``: whether the collection's filters are ``filter[name]`` (invoicing) or bare
    ``name`` (transactions: ``updated_at_from``); :meth:`filter_name` spells one.
    """

    __slots__ = (
        "bracketed",
        "descending",
        "key",
        "key_from",
        "key_to",
        "moving",
        "sorts",
        "updated_filter",
        "updated_from",
    )

    def __init__(
        self,
        *,
        key: str | None,
        sorts: Collection[str],
        descending: bool = True,
        moving: bool = False,
        updated_filter: bool = True,
        bracketed: bool = True,
    ) -> None:
        if key is not None and key not in sorts:
            raise ValueError(f"the key {key!r} must be one of the documented sorts")
        self.key = key
        self.bracketed = bracketed
        self.key_from = self.filter_name(f"{key}_from") if key else ""
        self.key_to = self.filter_name(f"{key}_to") if key else ""
        self.updated_from = self.filter_name("updated_at_from") if updated_filter else ""
        self.descending = descending
        self.moving = moving
        self.sorts = tuple(sorts)
        self.updated_filter = updated_filter

    def filter_name(self, name: str) -> str:
        """The query name of the filter ``name`` (``created_at_from``) on this collection."""
        return f"filter[{name}]" if self.bracketed else name

    @property
    def own_filters(self) -> frozenset[str]:
        """The filters a listing sends itself (the walk's bounds, the change check), which
        replace a caller's of the same name: a server reads one value per key."""
        return frozenset(n for n in (self.key_from, self.key_to, self.updated_from) if n)

    @property
    def default_sort(self) -> str:
        """``field:asc|desc`` of the default order; "" where Qonto documents no sort."""
        field = self.key or (self.sorts[0] if self.sorts else "")
        return f"{field}:{'desc' if self.descending else 'asc'}" if field else ""

    def __repr__(self) -> str:
        return f"ListingSpec(key={self.key!r}, sorts={self.sorts!r}, moving={self.moving})"
