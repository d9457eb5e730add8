"""Reports: files, tables and charts made from results, plans and fits."""

from supportsim.reports.files import json_ready, staged_output

__all__ = ["json_ready", "staged_output"]
