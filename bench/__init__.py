"""Benchmarks: `python -m bench <suite> [--json] [--seconds N]`. They measure and report; they never assert."""
