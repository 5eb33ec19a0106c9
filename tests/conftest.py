"""Shared fixtures for the whole suite."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import aiohttp
import aioresponses.core
import pytest
from aioresponses import aioresponses as AioResponses


class _FinishedUpload:
    """What aiohttp >= 3.14 reads from a response's stream writer: the bytes it sent."""

    output_size = 0


if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
    # aioresponses 0.7.9 builds ClientResponse without the ``stream_writer`` argument that
    # aiohttp 3.14 made required (pnuckowski/aioresponses#289, open). The mock never uploads,
    # so a writer that reports zero bytes sent is all the response needs.

    class _CompatClientResponse(aiohttp.ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _FinishedUpload())
            super().__init__(*args, **kwargs)

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


@pytest.fixture
def http_mock() -> Iterator[AioResponses]:
    with AioResponses() as mock:
        yield mock
