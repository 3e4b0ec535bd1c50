"""Benchmarks: the default ruleset against a bare walk, the SDK's scrubber, a hand-written hook and Relay."""
