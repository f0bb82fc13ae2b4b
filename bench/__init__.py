"""Benchmark of rrdsl: start-up, parse + check, evaluation throughput, and a plain-Python
baseline of the §3(a)/§3(b)/§3(c) decisions.  Run it with `python bench/run.py`."""
