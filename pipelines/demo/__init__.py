"""Deterministic demo data: twelve months of ITSM exports (canonical, ServiceNow, Jira) with seeded defects."""

from pipelines.demo.defects import Defect
from pipelines.demo.generator import DEMO_FILES, DemoFile, DemoSummary, generate_demo_data

__all__ = ["DEMO_FILES", "Defect", "DemoFile", "DemoSummary", "generate_demo_data"]
