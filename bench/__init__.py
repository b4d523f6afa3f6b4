"""Benchmarks: each module prints its figures (operations per second, latency, memory)."""
