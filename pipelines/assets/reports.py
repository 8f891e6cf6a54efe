"""Placeholder until its issue lands: exports no assets yet."""

ASSETS: list = []
SENSORS: list = []
JOBS: list = []
