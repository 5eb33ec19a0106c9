"""The ``qonto-async`` command group: export lists and get single records, against Qonto or
a fake. Each command lives in its own module; this one only assembles them."""

from __future__ import annotations

import logging

import click

from .._version import __version__
from .export import export
from .get import get
from .invoice import invoice
from .listen import listen
from .sync import sync
from .upload import upload

__all__ = ["cli", "run"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="qonto-async")
@click.option(
    "-v", "--verbose", count=True, help="Log retries (-v) or every request (-vv) on stderr."
)
def cli(verbose: int) -> None:
    """Export and inspect Qonto data with the qonto-async SDK.

    Credentials come from QONTO_LOGIN / QONTO_SECRET_KEY (or QONTO_ACCESS_TOKEN) or the
    matching options; --fake runs everything against an embedded fake Qonto.

    Exit status: 0 done, 1 API error, 2 usage, 3 authentication, 4 not found, 5 network,
    75 another sync holds the ledger, 130 interrupted, 141 output closed.
    """
    sdk_logger = logging.getLogger("qonto_async")
    sdk_logger.propagate = False
    if not any(type(h) is logging.StreamHandler for h in sdk_logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        sdk_logger.addHandler(handler)
    # Retries are counted in the summary; without -v they need no line of their own.
    sdk_logger.setLevel({0: logging.ERROR, 1: logging.INFO}.get(verbose, logging.DEBUG))


cli.add_command(export)
cli.add_command(get)
cli.add_command(sync)
cli.add_command(upload)
cli.add_command(invoice)
cli.add_command(listen)


def run(argv: list[str] | None = None) -> None:
    """Run the command line and exit with its status."""
    cli.main(args=argv, prog_name="qonto-async")
