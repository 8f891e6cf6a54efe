"""Stable import path for the demo data generator (the code lives in the `pipelines.demo` package)."""

from pipelines.demo import DEMO_FILES, Defect, DemoFile, DemoSummary, generate_demo_data

__all__ = ["DEMO_FILES", "Defect", "DemoFile", "DemoSummary", "generate_demo_data"]
