"""The catalog answers are built from the stored rows in column order: the wire's first keys
must be the row's columns, in the same order."""

from __future__ import annotations

from kommodore.catalogs import store, wire


def test_catalog_rows_line_up_with_the_wire() -> None:
    columns = store.CatalogRow.__struct_fields__
    assert wire.Catalog.__struct_fields__[: len(columns)] == columns
    assert wire.Catalog.__struct_fields__[len(columns) :] == ("account_id", "links")


def test_element_rows_line_up_with_the_wire() -> None:
    columns = store.ElementRow.__struct_fields__
    assert wire.Element.__struct_fields__[: len(columns)] == columns
    assert wire.Element.__struct_fields__[len(columns) :] == (
        "custom_fields_values",
        "catalog_id",
        "account_id",
        "links",
    )
