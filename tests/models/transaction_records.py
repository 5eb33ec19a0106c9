"""The §2.6 documentation example transaction, changed field by field, for the tests."""

import copy
import json
from pathlib import Path
from typing import Any

from qonto_async.models import Transaction, decode_transaction

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DROP = object()
"""A change that removes the field."""


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_bytes())


def base(**changes: Any) -> dict[str, Any]:
    """The §2.6 example transaction, changed (``DROP`` removes a field)."""
    record: dict[str, Any] = copy.deepcopy(fixture_json("transaction_list.json")["transactions"][0])
    record.update(changes)
    return {k: v for k, v in record.items() if v is not DROP}


def one(**changes: Any) -> Transaction:
    return decode_transaction(json.dumps({"transaction": base(**changes)}).encode())
