"""The README's example tests run, so they cannot rot (``readme_blocks.py`` type-checks them)."""

from __future__ import annotations

import inspect
import re
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


def test_the_method_table_shows_every_resource_and_method() -> None:
    from qonto_async import QontoClient

    text = README.read_text(encoding="utf-8")
    table = text[text.index("| attribute | methods | returns |") :].split("\n\n", 1)[0]
    shown: dict[str, set[str]] = {}
    for row in table.splitlines()[2:]:
        attributes, methods, _ = row.strip("|").split("|")
        names = set(re.findall(r"`(\w+)[(`]", methods))
        for attribute in re.findall(r"`qonto\.(\w+)`", attributes):
            shown[attribute] = names
    qonto = QontoClient(login="l", secret_key="s")
    resources = {
        name: value
        for name, value in vars(qonto).items()
        if not name.startswith("_") and hasattr(value, "with_raw_response")
    }
    expected = {
        name: {
            method
            for method in dir(type(resource))
            if not method.startswith("_")
            and method != "with_raw_response"
            and callable(getattr(resource, method))
        }
        for name, resource in resources.items()
    }
    assert shown == expected
