"""The benchmarks (run as programs: `python bench/run.py`); tests import their corpus and queries."""
