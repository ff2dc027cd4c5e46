"""Benchmarks for Vouch: interaction round trip, startup time and memory, against a baseline.

Run from the repository root: ``python -m bench.run_all`` (see bench/README.md).
"""
