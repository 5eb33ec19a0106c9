"""The ``qonto_async`` logger: silent unless the application, or ``QONTO_LOG``, says otherwise.

A library must not print: the package logger has a ``NullHandler``, so an application that
configured no logging sees nothing (not even Python's "last resort" stderr output for
warnings). ``QONTO_LOG=debug`` or ``QONTO_LOG=info`` switches on a stderr handler without
code, as ``OPENAI_LOG`` does for openai-python. Every line is one line, and secrets never
reach a log call.
"""

from __future__ import annotations

import logging
import os

__all__ = ["LOGGER_NAME", "setup_logging"]

LOGGER_NAME = "qonto_async"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


def setup_logging() -> None:
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    level = _LEVELS.get(os.environ.get("QONTO_LOG", "").strip().lower())
    if level is None or any(getattr(h, "_qonto_log", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
    )
    handler._qonto_log = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
