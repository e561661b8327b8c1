"""Pipelines and statuses are answered from their stored rows in column order: the wire's
first keys must be the row's columns, in the same order."""

from __future__ import annotations

from kommodore.pipelines import store, wire


def test_pipeline_rows_lead_the_wire() -> None:
    columns = store.PipelineRow._fields
    assert wire.PipelineColumns.__struct_fields__ == columns
    assert wire.Pipeline.__struct_fields__[: len(columns)] == columns


def test_status_rows_lead_the_wire() -> None:
    columns = store.StatusRow._fields
    assert wire.StatusColumns.__struct_fields__ == columns
    assert wire.Status.__struct_fields__[: len(columns)] == columns
