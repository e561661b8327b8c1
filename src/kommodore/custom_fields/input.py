"""A custom field write item taken apart (Kommo's API "Writes"): every writable key
type-checked, read-only keys a client sends back (``account_id``, ``entity_type``,
``is_predefined``, ``is_deletable``, ``is_computed``, ``triggers``, ``_links``...) ignored.
Lookups (stages, catalogs, codes, the fields being edited) come after, in
:mod:`kommodore.custom_fields.changes`.

A key that is sent replaces the stored value; a key that is absent keeps it. ``null`` clears
the nullable ones (``code``, ``group_id``, ``required_statuses``...), and is ignored for
``enums``, which the read model shows as ``null`` on types without enums.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kommodore.custom_fields import types
from kommodore.http.directory import edit_id
from kommodore.http.validation import BLANK, ItemErrors, Reader

MAX_NAME = 255
MAX_CODE = 64
"""The ``code`` columns of fields and enums."""
MAX_GROUP_ID = 64
MAX_SEARCH_IN = 32
MAX_CALLBACK = 10_000
MAX_SORT = 2**31 - 1
"""``sort`` is a 32-bit integer column on PostgreSQL."""
REMINDS = ("never", "day", "week", "month")
CURRENCY = re.compile(r"[A-Za-z]{3}")

NULLABLE = (
    "code", "group_id", "required_statuses", "remind", "currency", "chained_lists",
    "tracking_callback", "search_in",
)  # fmt: skip
"""Columns a ``null`` clears (``hidden_statuses``: null is ``[]``)."""


@dataclass(frozen=True, slots=True)
class StageRef:
    """A ``{status_id, pipeline_id}`` pair; ``path`` is where an unknown pair is reported."""

    pipeline_id: int
    status_id: int
    path: str


@dataclass(frozen=True, slots=True)
class CatalogRef:
    catalog_id: int
    path: str


@dataclass(slots=True)
class EnumInput:
    """One entry of ``enums``: ``None`` means not sent (an edited enum keeps its value)."""

    path: str
    id: int | None
    value: str | None
    sort: int | None
    code: str | None
    code_sent: bool


@dataclass(slots=True)
class FieldInput:
    """One item; ``columns`` holds only the keys sent (column -> new value, JSON columns as
    Python lists); ``ok`` is False once the item has an error of its own."""

    request_id: str
    errors: ItemErrors
    id: int | None = None
    type: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    stages: list[StageRef] = field(default_factory=list)
    catalogs: list[CatalogRef] = field(default_factory=list)
    enums: list[EnumInput] | None = None
    """The new full list of enums; None when ``enums`` was not sent (or null)."""


def read_field(r: Reader, *, update: bool, path_id: int | None = None) -> FieldInput:
    """Type-check one item. ``path_id``: the field the URL names (``PATCH /{id}``), which
    wins over an ``id`` in the body."""
    f = FieldInput(r.errors.request_id, r.errors, id=edit_id(r, path_id) if update else None)
    _type(f, r, update=update)
    _name(f, r, required=not update)
    _nullable_text(f, r, "code", MAX_CODE)
    if "code" in f.columns and f.columns["code"] is not None and not f.columns["code"].strip():
        f.columns["code"] = None  # a blank code is no code
    if _not_null(r, "sort", "int"):
        sort = r.integer("sort", maximum=MAX_SORT)
        if sort is not None:
            f.columns["sort"] = sort
    if _not_null(r, "is_api_only", "bool"):
        is_api_only = r.boolean("is_api_only")
        if is_api_only is not None:
            f.columns["is_api_only"] = is_api_only
    _nullable_text(f, r, "group_id", MAX_GROUP_ID)
    _stages(f, r, "required_statuses")
    _stages(f, r, "hidden_statuses")
    _nullable_text(f, r, "remind", MAX_CODE, _remind)
    _nullable_text(f, r, "currency", 3, _currency)
    _nullable_text(f, r, "tracking_callback", MAX_CALLBACK)
    _nullable_text(f, r, "search_in", MAX_SEARCH_IN)
    _chained_lists(f, r)
    _enums(f, r, update=update)
    return f


def _not_null(r: Reader, key: str, type_name: str) -> bool:
    """A non-nullable key sent as ``null`` is a type error (as loss reasons answer it)."""
    if r.is_null(key):
        r.errors.invalid_type(r.path(key), type_name)
        return False
    return True


def _type(f: FieldInput, r: Reader, *, update: bool) -> None:
    if "type" not in r.data:
        if not update:
            f.errors.missing("type")
        return
    value = r.data["type"]
    if not isinstance(value, str):
        f.errors.invalid_type("type", "string")
        return
    if not update and value not in types.ALL:
        f.errors.not_supported("type")
        return
    f.type = value


def _name(f: FieldInput, r: Reader, *, required: bool) -> None:
    name = r.name(required=required, max_length=MAX_NAME)
    if name is not None:
        f.columns["name"] = name


def _nullable_text(
    f: FieldInput,
    r: Reader,
    key: str,
    max_length: int,
    check: Callable[[FieldInput, str], str | None] | None = None,
) -> None:
    """A text key ``null`` clears; ``check`` (which records why) may refuse or normalise it."""
    if key not in r.data:
        return
    if r.is_null(key):
        f.columns[key] = None
        return
    value = r.text(key, max_length=max_length)
    if value is not None and check is not None:
        value = check(f, value)
    if value is not None:
        f.columns[key] = value


def _stages(f: FieldInput, r: Reader, key: str) -> None:
    """``[{status_id, pipeline_id}]``, stored as sent without repeats; each pair is checked
    against the account's stages later."""
    if key not in r.data:
        return
    if r.is_null(key):
        f.columns[key] = None if key == "required_statuses" else []
        return
    entries = r.nested_list(key)
    if entries is None:
        return
    pairs: list[dict[str, int]] = []
    valid = True
    for entry in entries:
        status_id, pipeline_id = entry.id("status_id"), entry.id("pipeline_id")
        for name, value in (("status_id", status_id), ("pipeline_id", pipeline_id)):
            if value is None and not entry.has(name):
                entry.errors.missing(entry.path(name))
        if status_id is None or pipeline_id is None:
            valid = False
            continue
        f.stages.append(StageRef(pipeline_id, status_id, entry.path("status_id")))
        pair = {"status_id": status_id, "pipeline_id": pipeline_id}
        if pair not in pairs:
            pairs.append(pair)
    if valid and len(entries) == len(r.data[key]):
        f.columns[key] = pairs


def _remind(f: FieldInput, value: str) -> str | None:
    if value not in REMINDS:
        f.errors.not_supported("remind")
        return None
    return value


def _currency(f: FieldInput, value: str) -> str | None:
    if not CURRENCY.fullmatch(value):
        f.errors.invalid("currency", "This value should be a 3-letter currency code.")
        return None
    return value.upper()


def _chained_lists(f: FieldInput, r: Reader) -> None:
    """``[{title, catalog_id, parent_catalog_id}]`` in the read model's shape; the catalogs
    must be the account's (checked later)."""
    if "chained_lists" not in r.data:
        return
    if r.is_null("chained_lists"):
        f.columns["chained_lists"] = None
        return
    entries = r.nested_list("chained_lists")
    if entries is None:
        return
    lists: list[dict[str, Any]] = []
    valid = len(entries) == len(r.data["chained_lists"])
    for entry in entries:
        title = entry.text("title", max_length=MAX_NAME)
        catalog_id = entry.id("catalog_id")
        parent_id = entry.id("parent_catalog_id")
        if catalog_id is None:
            if not entry.has("catalog_id"):
                entry.errors.missing(entry.path("catalog_id"))
            valid = False
            continue
        if (entry.has("title") and title is None) or (
            entry.has("parent_catalog_id") and parent_id is None
        ):
            valid = False
            continue
        f.catalogs.append(CatalogRef(catalog_id, entry.path("catalog_id")))
        if parent_id is not None:
            f.catalogs.append(CatalogRef(parent_id, entry.path("parent_catalog_id")))
        lists.append({"title": title, "catalog_id": catalog_id, "parent_catalog_id": parent_id})
    if valid:
        f.columns["chained_lists"] = lists


def _enums(f: FieldInput, r: Reader, *, update: bool) -> None:
    """The new full list of enums. On create an ``id`` is ignored; on edit an entry with an
    ``id`` edits that enum (the keys it leaves out keep their values), one without adds."""
    if not r.has("enums"):
        return
    entries = r.nested_list("enums")
    if entries is None:
        return
    enums: list[EnumInput] = []
    for entry in entries:
        enum_id = entry.id("id") if update else None
        has_id = update and entry.has("id")
        value: str | None = None
        if entry.is_null("value"):
            entry.errors.invalid_type(entry.path("value"), "string")
        else:
            value = entry.text("value", max_length=MAX_NAME)
            if value is not None and not value.strip():
                entry.errors.invalid(entry.path("value"), BLANK)
                value = None
            elif value is None and not has_id and "value" not in entry.data:
                entry.errors.missing(entry.path("value"))
        sort = None
        if _not_null(entry, "sort", "int"):
            sort = entry.integer("sort", maximum=MAX_SORT)
        code = entry.text("code", max_length=MAX_CODE)
        if code is not None and not code.strip():
            code = None
        enums.append(
            EnumInput(
                path=entry.prefix.rstrip("."),
                id=enum_id,
                value=value,
                sort=sort,
                code=code,
                code_sent="code" in entry.data,
            )
        )
    f.enums = enums
