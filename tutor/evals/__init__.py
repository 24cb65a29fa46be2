"""Offline evaluation: the gold dataset, metrics, runs and reports."""
