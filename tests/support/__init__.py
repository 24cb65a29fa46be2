"""Pieces several test packages share: fake chat models that the test, not the clock, paces, and wire-format readers."""
