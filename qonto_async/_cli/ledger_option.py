"""``--db``, the ledger option of ``sync`` and ``listen``."""

from __future__ import annotations

import click

__all__ = ["db_option"]


def _ledger_target(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A command's ledger outlives it: an empty path or SQLite's private ``:memory:`` would
    sync into a database thrown away at exit, and ``-`` is not standard output here."""
    if value.strip() in ("", ":memory:", "-"):
        raise click.BadParameter(
            f"{value!r} is no place to keep a ledger: give a file path or a postgresql:// URL"
        )
    return value


db_option = click.option(
    "--db",
    default="ledger.sqlite",
    show_default=True,
    callback=_ledger_target,
    help="The ledger: a SQLite file, or a postgresql:// URL.",
)
