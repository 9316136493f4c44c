"""Hypothesis-based fuzzers for pbr_rules (issue 11): see docs/fuzzing.md and fuzz/targets.py."""
