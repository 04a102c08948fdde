"""Benchmarks run by `make bench`; each compares Leviers with a baseline in the same run."""
