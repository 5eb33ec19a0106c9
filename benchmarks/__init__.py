"""Benchmarks for qonto-async. Run each from the repository root: `python -m benchmarks.<name>`."""
