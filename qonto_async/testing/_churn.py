"""Seeded churn: FakeQonto changing its own data between requests, as a busy organisation
does while a listing or a sync runs."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from ._bank_mutations import BankMutations
from ._data import Dataset
from ._mutations import Mutations

__all__ = ["Change", "Churn", "ChurnState"]

Change = tuple[str, str, str]
"""``(action, resource, id)``: ``("created", "client_invoices", "9b1d...")``."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class Churn:
    """How FakeQonto changes its data on its own.

    Before answering each ``GET`` of a list or a record, for each resource in ``resources``,
    it creates a record with probability ``creates``, updates a random one with probability
    ``updates`` and deletes a random one with probability ``deletes``. ``max_changes`` stops
    it after that many changes. Draws derive from ``seed``; every change is appended to
    ``fake.stats.changes``.

    ``"transactions"`` churn as Qonto's do: a create is a new pending card authorisation (or,
    one time in four, an income or transfer completed now); an update settles or declines a
    pending transaction, or adds a receipt, changes the labels or the note of one. Qonto
    never deletes a transaction: ``deletes`` means nothing for them.
    """

    seed: int = 0
    creates: float = 0.0
    updates: float = 0.0
    deletes: float = 0.0
    resources: tuple[str, ...] = ("clients", "client_invoices", "supplier_invoices")
    max_changes: int | None = None

    def __post_init__(self) -> None:
        for name in ("creates", "updates", "deletes"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1, not {value}")
        known = {"clients", "client_invoices", "supplier_invoices", "transactions"}
        unknown = set(self.resources) - known
        if unknown:
            raise ValueError(f"churn cannot change {sorted(unknown)}")

    @classmethod
    def parse(cls, spec: str, *, seed: int = 0) -> Churn:
        """``"creates=5%,updates=10%,deletes=1%"`` (``0.05`` works too): the command lines'
        way of saying it."""
        values: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, sep, raw = part.partition("=")
            if not sep or name not in ("creates", "updates", "deletes"):
                raise ValueError(f"{part!r}: expected creates=, updates= or deletes=")
            try:
                number = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
            except ValueError:
                raise ValueError(f"{part!r}: {raw!r} is not a number or a percentage") from None
            values[name] = number
        return cls(
            seed=seed,
            creates=values.get("creates", 0.0),
            updates=values.get("updates", 0.0),
            deletes=values.get("deletes", 0.0),
        )


class ChurnState:
    def __init__(
        self,
        churn: Churn,
        dataset: Dataset,
        mutations: Mutations,
        now_us: Callable[[], int],
        log: Callable[[Change], None],
        *,
        bank: BankMutations | None = None,
    ) -> None:
        self.churn = churn
        self._bank = bank
        self._dataset = dataset
        self._mutations = mutations
        self._now_us = now_us
        self._log = log
        self._rng = random.Random(f"{churn.seed}:churn")
        self._made = 0

    def step(self) -> None:
        churn, rng = self.churn, self._rng
        for resource in churn.resources:
            for action, chance in (
                ("created", churn.creates),
                ("updated", churn.updates),
                ("deleted", churn.deletes),
            ):
                if churn.max_changes is not None and self._made >= churn.max_changes:
                    return
                if chance and rng.random() < chance:
                    self._change(action, resource)

    def _change(self, action: str, resource: str) -> None:
        if resource == "transactions":
            if self._bank is not None and action != "deleted":
                self._bank.churn(action, self._rng, self._now_us() // 1000)
                self._made += 1
            return
        table = self._dataset.tables[resource]
        if action == "created":
            record_id = self._mutations.create(resource, self._now_us(), {})
        else:
            if not table.index:
                return
            alive = table.alive()
            record_id = table.ids[alive[self._rng.randrange(len(alive))]]
            if action == "updated":
                self._mutations.update(resource, record_id, self._now_us(), {})
            else:
                self._mutations.delete(resource, record_id)
        self._made += 1
        self._log((action, resource, record_id))
