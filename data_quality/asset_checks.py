"""Placeholder until the data-quality issue lands."""

CHECKS: list = []
