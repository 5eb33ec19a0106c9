"""Labels: ``GET /v2/labels`` and ``GET /v2/labels/{id}``; also embedded in a transaction
(``includes[]=labels``)."""

from __future__ import annotations

import msgspec

from ._lenient import lenient_decoder, lenient_page_decoder
from .common import Meta, QontoModel

__all__ = ["Label", "LabelList", "decode_label", "decode_label_page"]


class Label(QontoModel, frozen=True, kw_only=True):
    """``parent_id`` is the id of the label this one is grouped under (None at the top). The
    docs show one level of nesting; nothing says deeper nesting cannot happen: treat the labels
    as a tree."""

    id: str
    name: str | None = None
    parent_id: str | None = None


class LabelList(QontoModel, frozen=True, kw_only=True):
    """One page of ``GET /v2/labels``."""

    items: list[Label] = msgspec.field(name="labels")
    meta: Meta | None = None


class _LabelEnvelope(QontoModel, frozen=True, kw_only=True):
    label: Label


_LABEL = lenient_decoder(_LabelEnvelope)
decode_label_page = lenient_page_decoder(LabelList, Label)
"""``{"labels": [...], "meta": {...}}`` with each item's JSON as sent (for listings)."""


def decode_label(data: bytes) -> Label:
    """Decode ``{"label": {...}}``."""
    return _LABEL(data).label
