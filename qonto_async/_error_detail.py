"""One entry of Qonto's ``errors`` array (re-exported by :mod:`qonto_async.errors`)."""

from __future__ import annotations

__all__ = ["ErrorDetail"]


class ErrorDetail:
    """One entry of Qonto's ``errors`` array."""

    __slots__ = ("code", "detail", "parameter", "pointer", "status")

    def __init__(
        self,
        *,
        code: str | None = None,
        detail: str | None = None,
        pointer: str | None = None,
        parameter: str | None = None,
        status: str | None = None,
    ) -> None:
        self.code = code
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.status = status

    @property
    def field(self) -> str | None:
        """Which input this is about, as a path: ``items/0/vat_rate`` for the pointer
        ``/data/attributes/items/0/vat_rate``, or the query parameter's name."""
        if self.pointer:
            path = self.pointer.removeprefix("/data/attributes").strip("/")
            return path or None
        return self.parameter

    def __repr__(self) -> str:
        parts = [
            f"{name}={getattr(self, name)!r}"
            for name in ("code", "detail", "pointer", "parameter", "status")
            if getattr(self, name) is not None
        ]
        return f"ErrorDetail({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ErrorDetail):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]
