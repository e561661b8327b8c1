"""Pipelines and their statuses."""
