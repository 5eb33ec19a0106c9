"""A local ledger of Qonto data, kept in step by polling (``await ledger.sync(qonto)``) and by
webhook events (``await ledger.apply(event)``), on SQLite or PostgreSQL.

```python
async with QontoClient(...) as qonto, Ledger.open("ledger.sqlite") as ledger:
    counts = await ledger.sync(qonto)
```

The ``qonto-async sync`` and ``listen`` commands are this module with a command line around
it. What the tables hold, the lock, the migrations and the PostgreSQL types are in the
README's "The ledger" section.
"""

from ._errors import (
    LedgerBusyError,
    LedgerDamagedError,
    LedgerError,
    LedgerTooNewError,
    NotALedgerError,
)
from ._ledger import Ledger
from ._rows import Outcome
from ._schema import SCHEMA_VERSION
from ._sync import RESOURCES, SyncCounts

__all__ = [
    "RESOURCES",
    "SCHEMA_VERSION",
    "Ledger",
    "LedgerBusyError",
    "LedgerDamagedError",
    "LedgerError",
    "LedgerTooNewError",
    "NotALedgerError",
    "Outcome",
    "SyncCounts",
]
