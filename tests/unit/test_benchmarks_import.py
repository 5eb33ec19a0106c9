"""The benchmarks' modules import one another without a cycle (read from the source, so the
benchmark extras need not be installed)."""

from __future__ import annotations

import ast
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _imports() -> dict[str, set[str]]:
    """Every `benchmarks.*` module each module imports, at module level or in a function."""
    modules = {f"benchmarks.{p.stem}" for p in BENCHMARKS.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in BENCHMARKS.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[f"benchmarks.{path.stem}"] = (found & modules) - {f"benchmarks.{path.stem}"}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph[module]):
            if found := visit(imported, [*path, module]):
                return found
        done.add(module)
        return None

    for module in sorted(graph):
        if found := visit(module, []):
            return found
    return None


def test_the_benchmarks_have_no_import_cycle() -> None:
    graph = _imports()
    assert "benchmarks._common" in graph
    assert graph["benchmarks._common"] == {"benchmarks._shapes"}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
