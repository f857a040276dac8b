"""Analyses built on batched runs: fit statistics, scenario comparison, sensitivity."""
