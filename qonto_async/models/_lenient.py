"""The decoders of the banking models: lax, and reading money written with a decimal comma.

Qonto writes some numbers of these answers as strings: an attachment's ``file_size``
(``"666"``), a statement's (``"16966"``, or a number, by source), the ``*_cents`` of
``vat_details`` items. msgspec's lax mode (``strict=False``) reads a numeric string into an
``int`` field at no measurable cost (1% on a page of transactions), as
:func:`~qonto_async.models.decode_attachment` already does. And :func:`~._money.lenient` reads
the decimal comma (``"10,00"``) without slowing the common case.

:func:`lenient_page_decoder` is :func:`~.common.page_decoder` with both: the same
:class:`~.common.DecodedPage`, whose ``raws`` are the items exactly as sent (the body as
received, before any comma was rewritten).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ._money import lenient
from .common import DecodedPage, model_decoder, page_decoder

__all__ = ["lenient_decoder", "lenient_page_decoder"]

T = TypeVar("T")


def lenient_decoder(type: type[T]) -> Callable[[bytes], T]:
    """Decode ``type`` in lax mode, retrying a decimal-comma body once (see ``_money``)."""
    return lenient(model_decoder(type, strict=False).decode)


def lenient_page_decoder(
    list_type: type[Any], item_type: type[T]
) -> Callable[[bytes], DecodedPage[T]]:
    """:func:`~.common.page_decoder`, lax and reading the decimal comma."""
    return page_decoder(list_type, item_type, decode_whole=lenient_decoder(list_type))
