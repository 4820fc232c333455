"""Benchmark of the design budgets: `python -m bench` (make bench)."""
