"""Pipelines and their statuses (spec §11)."""
