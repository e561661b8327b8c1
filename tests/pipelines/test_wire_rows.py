"""Pipelines and statuses are answered from their stored rows in column order: the wire's
first keys must be the row's columns, in the same order."""

from __future__ import annotations

from kommodore.pipelines import store, wire


def test_pipeline_rows_lead_the_wire() -> None:
    columns = store.PipelineRow.__struct_fields__
    assert issubclass(wire.Pipeline, store.PipelineRow)
    assert wire.Pipeline.__struct_fields__[: len(columns)] == columns


def test_status_rows_lead_the_wire() -> None:
    columns = store.StatusRow.__struct_fields__
    assert issubclass(wire.Status, store.StatusRow)
    assert wire.Status.__struct_fields__[: len(columns)] == columns
