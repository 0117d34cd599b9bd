"""Fuzzing the scan with mutated fixture file systems: harness, fixed-seed sample, regressions."""
