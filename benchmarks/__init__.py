"""Runnable benchmarks. Each module `bench_*.py` has `run(quick: bool) -> list[Result]`.

`make bench` (python -m benchmarks) runs them all, prints a table and rewrites the results
section of docs/benchmarks.md with the date and the machine's size. Every result compares the
code against a baseline measured in the same run, as a ratio, because machines are noisy.
"""
