"""The ``qonto-async`` command group: export lists and get single records, against Qonto or
a fake. Each command lives in its own module; this one only assembles them."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from .._version import __version__
from .export import export
from .failures import Interrupted
from .get import get
from .invoice import invoice
from .listen import listen
from .sync import sync
from .upload import upload

__all__ = ["cli", "run"]

VERBOSE_HELP = "Log retries (-v) or every request (-vv) on stderr (default: QONTO_LOG)."
_VERBOSITY = "qonto_async.verbose"  # the -v counted so far, in the root context's meta
_QONTO_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is when a record comes, not when it was made."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure_logging(verbose: int) -> None:
    """The SDK's log lines on stderr: ``-v`` retries, ``-vv`` every request; without ``-v``,
    what ``QONTO_LOG`` asks (``info`` or ``debug``), else errors only. One handler, whatever
    the SDK installed for ``QONTO_LOG`` at import (the two would print every line twice)."""
    logger = logging.getLogger("qonto_async")
    logger.propagate = False
    for handler in list(logger.handlers):
        if getattr(handler, "_qonto_log", False):
            logger.removeHandler(handler)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger.addHandler(handler)
    if verbose:
        level = logging.INFO if verbose == 1 else logging.DEBUG
    else:
        # Retries are counted in the summary; without -v they need no line of their own.
        wanted = os.environ.get("QONTO_LOG", "").strip().lower()
        level = _QONTO_LOG_LEVELS.get(wanted, logging.ERROR)
    logger.setLevel(level)


def _more_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    """``-v`` given after a subcommand: added to those before it."""
    if value:
        root = ctx.find_root()
        root.meta[_VERBOSITY] = root.meta.get(_VERBOSITY, 0) + value
        configure_logging(root.meta[_VERBOSITY])


def _add_verbose_option(command: click.Command) -> None:
    """``-v/--verbose`` on ``command`` and every subcommand under it, so that it may come
    after the subcommand's name as well as before (``qonto-async sync -v``)."""
    taken = {opt for param in command.params for opt in getattr(param, "opts", ())}
    if not taken & {"-v", "--verbose"}:
        command.params.append(
            click.Option(
                ["-v", "--verbose"],
                count=True,
                expose_value=False,
                callback=_more_verbose,
                help=VERBOSE_HELP,
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_verbose_option(sub)


class _Root(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        # Ctrl-C outside a command's event loop (while files are listed, say): one line and
        # 130, as inside it, not click's "Aborted!" and 1.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="qonto-async")
@click.option("-v", "--verbose", count=True, help=VERBOSE_HELP)
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Export and inspect Qonto data with the qonto-async SDK.

    Credentials come from QONTO_LOGIN / QONTO_SECRET_KEY (or QONTO_ACCESS_TOKEN) or the
    matching options; --fake runs everything against an embedded fake Qonto. -v may come
    before or after the subcommand; QONTO_LOG=info or debug does the same without it.

    Exit status: 0 done, 1 API error, 2 usage, 3 authentication, 4 not found, 5 network,
    75 another sync holds the ledger, 130 interrupted, 141 output closed.
    """
    ctx.meta[_VERBOSITY] = verbose
    configure_logging(verbose)


cli.add_command(export)
cli.add_command(get)
cli.add_command(sync)
cli.add_command(upload)
cli.add_command(invoice)
cli.add_command(listen)
for _command in cli.commands.values():
    _add_verbose_option(_command)


def run(argv: list[str] | None = None) -> None:
    """Run the command line and exit with its status."""
    cli.main(args=argv, prog_name="qonto-async")
