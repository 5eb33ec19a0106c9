"""The README's example tests run, so they cannot rot (``readme_blocks.py`` type-checks them)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from readme_blocks import README, blocks

EXAMPLES = [
    (line, code)
    for line, code in blocks(README.read_text(encoding="utf-8"))
    if code.startswith(("import ", "from ")) and "async def test_" in code
]


@pytest.mark.parametrize(("line", "code"), EXAMPLES, ids=[f"line-{n}" for n, _ in EXAMPLES])
async def test_readme_example_passes(line: int, code: str) -> None:
    namespace: dict[str, Any] = {"__name__": f"readme_line_{line}"}
    exec(compile(code, f"README.md:{line}", "exec"), namespace)
    tests = [f for name, f in namespace.items() if name.startswith("test_")]
    assert tests
    for test in tests:
        assert inspect.iscoroutinefunction(test)
        await test()


def test_the_readme_has_runnable_examples() -> None:
    assert len(EXAMPLES) >= 2
