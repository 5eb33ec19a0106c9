"""The bank side of FakeQonto, assembled: its read endpoints, its changes, its writes."""

from __future__ import annotations

from collections.abc import Callable

from ._bank_mutations import BankMutations
from ._bank_records import BankRecords
from ._data import Dataset
from ._files import FileServer
from ._options import FakeOptions
from ._transaction_writes import TransactionWrites

__all__ = ["bank_side"]


def bank_side(
    dataset: Dataset,
    files: FileServer,
    options: FakeOptions,
    *,
    clock: Callable[[], float],
    log: Callable[[tuple[str, str, str]], None],
    seed: int,
) -> tuple[BankRecords, BankMutations, TransactionWrites]:
    records = BankRecords(
        dataset.bank,
        files,
        max_per_page=options.max_per_page,
        default_per_page=options.default_per_page,
    )
    mutations = BankMutations(dataset.bank, dataset.attachments, log)
    writes = TransactionWrites(
        dataset.bank, mutations, clock=clock, delay=options.attachment_delay, seed=seed
    )
    return records, mutations, writes
