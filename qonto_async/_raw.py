"""What a call answered beside its typed result: for support tickets and debugging."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, TypeVar

__all__ = ["RawResponse"]

T = TypeVar("T")


class RawResponse(Generic[T]):
    """The typed result of a call (``parsed``) with the ``status``, response ``headers`` and
    Qonto ``trace_id`` it came with, and how many ``attempts`` it took. The request's own
    headers (credentials) are never kept."""

    __slots__ = ("attempts", "headers", "parsed", "status", "trace_id")

    def __init__(
        self,
        parsed: T,
        *,
        status: int,
        headers: Mapping[str, str],
        trace_id: str | None,
        attempts: int,
    ) -> None:
        self.parsed = parsed
        self.status = status
        self.headers = headers
        self.trace_id = trace_id
        self.attempts = attempts

    def __repr__(self) -> str:
        return (
            f"RawResponse(status={self.status}, trace_id={self.trace_id!r}, "
            f"attempts={self.attempts}, parsed={type(self.parsed).__name__})"
        )
