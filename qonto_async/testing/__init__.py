"""A faithful local Qonto for tests, benchmarks and demos.

```python
from qonto_async.testing import FakeQonto, Faults

async with FakeQonto(seed=0, client_invoices=500) as fake:
    async with QontoClient(login=fake.login, secret_key=fake.secret_key,
                           base_url=fake.base_url) as qonto:
        fake.faults = Faults(error_rate=0.1)
        invoices = await qonto.client_invoices.list().all()
    assert fake.stats.duplicates("client_invoices") == {}
```

The bank side too: ``FakeQonto(transactions=50_000, bank_accounts=3)`` serves an
organisation, its accounts (the last one external), transactions with a continuous
``settled_balance`` chain per account, labels, memberships and statements;
``fake.churn = Churn(updates=0.2, resources=("transactions",))`` settles and declines them.

Standalone: ``python -m qonto_async.testing --port 8080``.
"""

from ._churn import Churn
from ._clock import VirtualClock
from ._data import CLIENT_INVOICE_STATUSES, DEFAULT_NOW, SUPPLIER_INVOICE_STATUSES
from ._faults import QONTO_RATE_LIMITS, FaultAction, Faults, RateLimit
from ._options import FakeOptions
from ._server import FakeQonto
from ._stats import Download, Stats

__all__ = [
    "CLIENT_INVOICE_STATUSES",
    "DEFAULT_NOW",
    "QONTO_RATE_LIMITS",
    "SUPPLIER_INVOICE_STATUSES",
    "Churn",
    "Download",
    "FakeOptions",
    "FakeQonto",
    "FaultAction",
    "Faults",
    "RateLimit",
    "Stats",
    "VirtualClock",
]
