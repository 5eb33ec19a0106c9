"""Type-check every Python block of README.md with ``mypy --strict``.

``python tests/readme_blocks.py`` (the test command runs it) writes each block to a module of
its own in a temporary folder and runs mypy on them. A block that starts with an import is a
complete program and is checked as it is. Any other block is a fragment: it is checked as the
body of ``async def example(...)``, whose parameters are the names fragments may use without
defining them (``qonto``, ``ids``...), after the imports below. A fragment that uses anything
else fails, so the README cannot show code that does not type-check.
"""

from __future__ import annotations

import re
import sys
import tempfile
import textwrap
from pathlib import Path

from mypy import api

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

PRELUDE = """\
import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import msgspec

from qonto_async import *  # noqa: F403
from qonto_async.testing import *  # noqa: F403


async def example(
    qonto: QontoClient,
    ids: list[str],
    client_id: str,
    client_secret: str,
    refresh_token: str,
    save_credentials: Callable[[OAuthCredentials], None],
) -> None:
"""


def blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every fenced ``python`` block."""
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


def module_for(code: str) -> str:
    first = next((line for line in code.splitlines() if line.strip()), "")
    if first.startswith(("import ", "from ")):
        return code
    return PRELUDE + textwrap.indent(code, "    ")


def main() -> int:
    found = blocks(README.read_text(encoding="utf-8"))
    if not found:
        print("README.md has no python block", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for line, code in found:
            path = Path(folder) / f"readme_line_{line}.py"
            path.write_text(module_for(code), encoding="utf-8")
            paths.append(str(path))
        out, err, status = api.run(
            ["--strict", "--no-incremental", "--disable-error-code=import-untyped", *paths]
        )
    sys.stdout.write(out.replace(folder + "/", "README.md block at "))
    sys.stderr.write(err)
    print(f"README.md: {len(found)} python blocks type-checked")
    return status


if __name__ == "__main__":
    sys.exit(main())
