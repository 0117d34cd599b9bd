"""Packaged JSON Schemas (report.json)."""
