"""A loss reason is answered from its stored row in column order: the wire's first keys must
be the row's columns, in the same order."""

from __future__ import annotations

from kommodore.loss_reasons import store, wire


def test_loss_reason_rows_line_up_with_the_wire() -> None:
    columns = store.LossReasonRow.__struct_fields__
    assert wire.LossReason.__struct_fields__ == (*columns, "links", "request_id")
