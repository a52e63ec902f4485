"""Benchmarks; each script rewrites its own section of docs/benchmarks.md."""
