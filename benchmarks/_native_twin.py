"""A twin of a qonto_async model whose dates are msgspec's native ``date``/``datetime``.

It decodes what the model decodes, except Qonto's blank ``""`` dates (it rejects them). The
decode and throughput benchmarks run it beside the real model, so the price of reading blank
dates in the same pass (one Python call per non-null date) is measured in every run.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from decimal import Decimal
from typing import Any

import msgspec
from msgspec import inspect as mi

from qonto_async.models._dates import Day, Timestamp

_SCALARS: dict[type[mi.Type], Any] = {
    mi.NoneType: type(None),
    mi.StrType: str,
    mi.IntType: int,
    mi.FloatType: float,
    mi.BoolType: bool,
    mi.DecimalType: Decimal,
    mi.DateType: dt.date,
    mi.DateTimeType: dt.datetime,
    mi.AnyType: Any,
}
_DATES: dict[Any, type] = {Timestamp: dt.datetime, Day: dt.date}


def native_twin(model: type[msgspec.Struct]) -> type[msgspec.Struct]:
    twins: dict[type, type[msgspec.Struct]] = {}

    def python_type(t: mi.Type) -> Any:
        if isinstance(t, mi.CustomType):
            return _DATES[t.cls]
        if isinstance(t, mi.UnionType):
            return functools.reduce(operator.or_, (python_type(m) for m in t.types))
        if isinstance(t, mi.ListType):
            return list[python_type(t.item_type)]  # type: ignore[misc]
        if isinstance(t, mi.DictType):
            return dict[python_type(t.key_type), python_type(t.value_type)]  # type: ignore[misc]
        if isinstance(t, mi.StructType):
            return twin(t)
        return _SCALARS[type(t)]

    def twin(t: mi.StructType) -> type[msgspec.Struct]:
        if t.cls not in twins:
            fields = []
            for f in t.fields:
                default: Any = msgspec.field(name=f.encode_name)
                if f.default is not msgspec.NODEFAULT:
                    default = msgspec.field(name=f.encode_name, default=f.default)
                elif f.default_factory is not msgspec.NODEFAULT:
                    default = msgspec.field(name=f.encode_name, default_factory=f.default_factory)
                fields.append((f.name, python_type(f.type), default))
            twins[t.cls] = msgspec.defstruct(
                f"Native{t.cls.__name__}", fields, kw_only=True, frozen=True, gc=False
            )
        return twins[t.cls]

    info = mi.type_info(model)
    assert isinstance(info, mi.StructType)
    return twin(info)


def native_envelope_decoder(key: str, model: type[msgspec.Struct]) -> msgspec.json.Decoder[Any]:
    """Decodes ``{key: {...}}`` into the native twin of ``model``."""
    envelope = msgspec.defstruct(f"Native{model.__name__}Envelope", [(key, native_twin(model))])
    return msgspec.json.Decoder(envelope)
