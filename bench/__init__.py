"""Load benchmarks (see docs/performance.md). Not part of the test suite."""
