"""Benchmarks: runnable measurements of spotsyncd components."""
