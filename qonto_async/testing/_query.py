"""List parameters of the fake: pagination, filters and ``sort_by``, parsed and applied.

Parameter errors follow one rule: malformed pagination (``page``, ``current_page``,
``per_page``) is a 400, an invalid filter or ``sort_by`` value a 422; both carry Qonto's error
body with ``source.parameter``. Unknown parameters are ignored, as Rails does.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from ..models import (
    CLIENT_INVOICE_SORT_FIELDS,
    CLIENT_SORT_FIELDS,
    SUPPLIER_INVOICE_SORT_FIELDS,
)
from ._data import Dataset
from ._datagen import DAY, epoch_us
from ._responses import TRACE_ID, error_response

__all__ = ["LIST_SPECS", "ListQuery", "ParamError", "parse_list_query", "select"]

Filters = tuple[tuple[str, Any], ...]


class ParamError(Exception):
    def __init__(self, status: int, code: str, detail: str, parameter: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.parameter = parameter


@dataclass(frozen=True)
class ListSpec:
    sort_fields: tuple[str, ...]
    default_sort: tuple[str, bool]


LIST_SPECS = {
    "clients": ListSpec(CLIENT_SORT_FIELDS, ("name", False)),
    "client_invoices": ListSpec(CLIENT_INVOICE_SORT_FIELDS, ("created_at", True)),
    "supplier_invoices": ListSpec(SUPPLIER_INVOICE_SORT_FIELDS, ("created_at", True)),
    "quotes": ListSpec(("created_at",), ("created_at", True)),
    "credit_notes": ListSpec(("created_at",), ("created_at", True)),
}

_DUE_DATE_VALUES = ("past_and_today", "future", "missing_date")
_QUERY_FIELDS = ("supplier_name", "invoice_number", "file_name")


@dataclass(frozen=True)
class ListQuery:
    page: int
    per_page: int
    sort: tuple[str, bool]
    filters: Filters


def _int_param(query: MultiMapping[str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ParamError(400, "bad_request", f"{name} must be an integer", name) from None


def param_error_response(exc: ParamError, request: web.Request) -> web.Response:
    """Qonto's error answer for a query parameter it refuses."""
    return error_response(
        exc.status, exc.code, exc.detail, request[TRACE_ID], request.path, parameter=exc.parameter
    )


def pagination(
    query: MultiMapping[str], *, max_per_page: int, default_per_page: int
) -> tuple[int, int]:
    """``page`` (or the older ``current_page``) and ``per_page``, checked as Qonto does."""
    page = _int_param(query, "page")
    if page is None:
        page = _int_param(query, "current_page")
    page = 1 if page is None else page
    if page < 1:
        raise ParamError(400, "bad_request", "page must be greater than or equal to 1", "page")
    per_page = _int_param(query, "per_page")
    per_page = default_per_page if per_page is None else per_page
    if not 1 <= per_page <= max_per_page:
        raise ParamError(
            400, "bad_request", f"per_page must be between 1 and {max_per_page}", "per_page"
        )
    return page, per_page


def parse_list_query(
    resource: str, query: MultiMapping[str], *, max_per_page: int, default_per_page: int
) -> ListQuery:
    page, per_page = pagination(query, max_per_page=max_per_page, default_per_page=default_per_page)
    spec = LIST_SPECS[resource]
    sort = spec.default_sort
    raw_sort = query.get("sort_by")
    if raw_sort is not None:
        field, _, direction = raw_sort.partition(":")
        if field not in spec.sort_fields or direction not in ("", "asc", "desc"):
            allowed = ", ".join(f"{f}:asc|desc" for f in spec.sort_fields)
            detail = f"sort_by must be one of {allowed}"
            raise ParamError(422, "invalid_parameter", detail, "sort_by")
        sort = (field, direction == "desc")
    parser = _FILTER_PARSERS[resource]
    return ListQuery(page, per_page, sort, parser(query))


def _instant(query: MultiMapping[str], key: str, *, end: bool) -> int | None:
    """Epoch microseconds of an ISO 8601 date or timestamp (a bare ``to`` date covers its
    day); bounds are inclusive, as Qonto documents them."""
    name = f"filter[{key}]"
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            epoch = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
            return (epoch + DAY) * 1_000_000 - 1 if end else epoch * 1_000_000
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ParamError(
            422, "invalid_parameter", f"{name} must be an ISO 8601 date or timestamp", name
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return epoch_us(value)


def _ranges(query: MultiMapping[str], *keys: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key in keys:
        lo = _instant(query, f"{key}_from", end=False)
        hi = _instant(query, f"{key}_to", end=True)
        if lo is not None:
            out.append((f"{key}_from", lo))
        if hi is not None:
            out.append((f"{key}_to", hi))
    return out


def _bool(query: MultiMapping[str], key: str) -> list[tuple[str, Any]]:
    name = f"filter[{key}]"
    raw = query.get(name)
    if raw is None or raw == "":
        return []
    if raw.lower() in ("true", "1"):
        return [(key, True)]
    if raw.lower() in ("false", "0"):
        return [(key, False)]
    raise ParamError(422, "invalid_parameter", f"{name} must be true or false", name)


def _clients_filters(query: MultiMapping[str]) -> Filters:
    out: list[tuple[str, Any]] = []
    for key in ("tax_identification_number", "vat_number", "email"):
        value = query.get(f"filter[{key}]")
        if value:
            out.append((key, value))
    name = query.get("filter[name]")
    if name is not None:
        if len(name.strip()) < 2:
            raise ParamError(
                422,
                "invalid_parameter",
                "filter[name] must be at least 2 characters long",
                "filter[name]",
            )
        out.append(("name", name.strip().casefold()))
    # Qonto documents filter[updated_at_from|to] for clients and no created_at filter: a
    # created_at filter is ignored, as an unknown parameter is.
    out += _ranges(query, "updated_at")
    return tuple(out)


def _status_values(query: MultiMapping[str], *, repeated: bool) -> list[tuple[str, Any]]:
    values: set[str] = set()
    for raw in query.getall("filter[status]", []):
        values.update(v.strip() for v in raw.split(",") if v.strip())
    if repeated:
        values.update(v for v in query.getall("filter[status][]", []) if v)
    return [("status", frozenset(values))] if values else []


def _client_invoices_filters(query: MultiMapping[str]) -> Filters:
    # Documented as a comma-separated ``filter[status]``; ``filter[status][]`` is not read.
    out = _status_values(query, repeated=False)
    out += _ranges(query, "created_at", "updated_at")
    return tuple(out)


def _supplier_invoices_filters(query: MultiMapping[str]) -> Filters:
    out = _status_values(query, repeated=True)
    due = query.get("filter[due_date]")
    if due:
        if due not in _DUE_DATE_VALUES:
            raise ParamError(
                422,
                "invalid_parameter",
                f"filter[due_date] must be one of {', '.join(_DUE_DATE_VALUES)}",
                "filter[due_date]",
            )
        out.append(("due_date", due))
    out += _ranges(query, "created_at", "updated_at")
    attachment = query.get("filter[attachment_id]")
    if attachment:
        out.append(("attachment_id", attachment))
    for key in ("missing_data", "matched_transactions", "exclude_credit_notes"):
        out += _bool(query, key)
    text = query.get("query")
    if text:
        raw_fields = query.get("query_fields")
        fields = tuple(f.strip() for f in raw_fields.split(",")) if raw_fields else _QUERY_FIELDS
        unknown = [f for f in fields if f not in _QUERY_FIELDS]
        if unknown:
            raise ParamError(
                422,
                "invalid_parameter",
                f"query_fields must be taken from {', '.join(_QUERY_FIELDS)}",
                "query_fields",
            )
        out.append(("query", (text.casefold(), fields)))
    return tuple(out)


def _quotes_filters(query: MultiMapping[str]) -> Filters:
    out = _status_values(query, repeated=False)
    out += _ranges(query, "created_at", "updated_at")
    return tuple(out)


def _credit_notes_filters(query: MultiMapping[str]) -> Filters:
    return tuple(_ranges(query, "created_at", "updated_at"))


_FILTER_PARSERS: dict[str, Callable[[MultiMapping[str]], Filters]] = {
    "clients": _clients_filters,
    "client_invoices": _client_invoices_filters,
    "supplier_invoices": _supplier_invoices_filters,
    "quotes": _quotes_filters,
    "credit_notes": _credit_notes_filters,
}


def select(data: Dataset, resource: str, filters: Filters, sort: tuple[str, bool]) -> list[int]:
    """Indices of ``resource`` matching ``filters``, in ``sort`` order.

    Ordered by ``created_at``, a ``created_at`` range is cut by bisection rather than a scan:
    keyset pagination asks for many narrow windows of one large table.
    """
    table = data.tables[resource]
    order, keys = data.sorted_with_keys(table, *sort)
    if keys is not None:
        bounds = dict(f for f in filters if f[0] in ("created_at_from", "created_at_to"))
        if bounds:
            filters = tuple(f for f in filters if f[0] not in bounds)
            lo, hi = bounds.get("created_at_from"), bounds.get("created_at_to")
            if sort[1]:  # keys are negated: the range flips
                lo, hi = (None if hi is None else -hi), (None if lo is None else -lo)
            start = 0 if lo is None else bisect.bisect_left(keys, lo)
            stop = len(keys) if hi is None else bisect.bisect_right(keys, hi)
            order = order[start:stop]
    if not filters:
        return order
    predicates = [_predicate(data, resource, key, value) for key, value in filters]
    return [i for i in order if all(p(i) for p in predicates)]


def _predicate(data: Dataset, resource: str, key: str, value: Any) -> Callable[[int], bool]:
    table = data.tables[resource]
    if key.endswith(("_from", "_to")):
        column = table.created_us if key.startswith("created_at") else table.updated_us
        if key.endswith("_from"):
            return lambda i: column(i) >= value
        return lambda i: column(i) <= value
    if resource == "clients":
        if key == "name":
            return lambda i: value in data.client_display_name(i).casefold()
        return lambda i: data.client_filter_fields(i)[key] == value
    if resource == "client_invoices":
        if key == "status":
            return lambda i: data.client_invoice_status(i) in value
        raise KeyError(key)
    if resource == "quotes" and key == "status":
        quote_statuses = data.quote_records.statuses
        return lambda i: quote_statuses[i] in value
    cols = data.supplier_columns()
    if key == "status":
        status = cols["status"]
        return lambda i: status[i] in value
    if key == "due_date":
        due, today = cols["due"], data.today_day
        if value == "missing_date":
            return lambda i: due[i] is None
        if value == "future":
            return lambda i: due[i] is not None and due[i] > today
        return lambda i: due[i] is not None and due[i] <= today
    if key == "attachment_id":
        attachment = cols["attachment"]
        return lambda i: attachment[i] == value
    if key == "missing_data":
        supplier, number, due = cols["supplier_name"], cols["invoice_number"], cols["due"]
        return lambda i: (supplier[i] is None or number[i] is None or due[i] is None) is value
    if key == "matched_transactions":
        matched = cols["matched"]
        return lambda i: matched[i] is value
    if key == "exclude_credit_notes":
        credit = cols["credit_note"]
        return (lambda i: not credit[i]) if value else (lambda i: True)
    if key == "query":
        needle, fields = value
        columns = [cols[f] for f in fields]
        return lambda i: any(c[i] is not None and needle in c[i].casefold() for c in columns)
    raise KeyError(key)
