"""Benchmarks, run by ``caseflow bench``: each prints its figure with its ratio to an anchor."""
