"""Custom field values on write: each entry found by ``field_id`` or
``field_code``, each value checked against its field's type and enums, and turned into the
rows the read side (``values.py``) turns back into Kommo's read shapes.

The checks only record errors; nothing is written until the whole batch has passed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from kommodore.custom_fields import store, types
from kommodore.db.database import Connection
from kommodore.http.validation import MAX_ID, MAX_TIMESTAMP, Reader, as_int, storable_text

T = TypeVar("T")

MAX_TEXT = 10_000
"""The longest text value kept; Kommo's own limits per type are not public."""
MAX_ENUM_CHOICES = 1
"""select, radiobutton and category hold one value; multiselect any number of its enums."""
SINGLE_CHOICE = frozenset({"select", "radiobutton", "category"})


@dataclass(frozen=True, slots=True)
class EnumDef:
    id: int
    value: str
    code: str | None


@dataclass(slots=True)
class FieldDef:
    id: int
    name: str
    code: str | None
    type: str
    required_statuses: tuple[tuple[int, int], ...]
    enums: dict[int, EnumDef] = field(default_factory=dict)

    def enum_by_value(self, value: str) -> EnumDef | None:
        return next((e for e in self.enums.values() if e.value == value), None)

    def enum_by_code(self, code: str) -> EnumDef | None:
        folded = code.casefold()
        return next(
            (e for e in self.enums.values() if e.code is not None and e.code.casefold() == folded),
            None,
        )

    def kind_by_code(self, code: str) -> EnumDef | None:
        """A phone's or e-mail's kind by ``enum_code``: the enum's code, or else its value
        (``WORK``, ``MOB``: the predefined enums have no code of their own, §4.2)."""
        folded = code.casefold()
        return self.enum_by_code(code) or next(
            (e for e in self.enums.values() if e.code is None and e.value.casefold() == folded),
            None,
        )


@dataclass(frozen=True, slots=True)
class StoredValue:
    """One row of ``*_custom_field_values`` without its owner: what ``values.py`` reads."""

    position: int
    enum_id: int | None = None
    value_text: str | None = None
    value_number: float | None = None
    value_int: int | None = None
    value_json: str | None = None


@dataclass(frozen=True, slots=True)
class FieldWrite:
    """The new values of one field; an empty tuple clears it (``"values": null`` or ``[]``)."""

    field_id: int
    values: tuple[StoredValue, ...]


def value_rows(
    account_id: int, owner_id: int, writes: Iterable[FieldWrite]
) -> list[tuple[Any, ...]]:
    """``(account_id, owner, field_id, position, enum_id, value_text, value_number,
    value_int, value_json)`` rows, the column order of every ``*_custom_field_values`` table."""
    return [
        (account_id, owner_id, w.field_id, v.position, v.enum_id, v.value_text, v.value_number,
         v.value_int, v.value_json)
        for w in writes
        for v in w.values
    ]  # fmt: skip


@dataclass(slots=True)
class FieldCatalog:
    """The fields a batch names, by id and by code, with their enums."""

    by_id: dict[int, FieldDef] = field(default_factory=dict)
    by_code: dict[str, FieldDef] = field(default_factory=dict)


def _required(raw: str | None) -> tuple[tuple[int, int], ...]:
    if not raw:
        return ()
    try:
        entries = json.loads(raw)
    except ValueError:
        return ()
    pairs = []
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict):
            pipeline_id, status_id = entry.get("pipeline_id"), entry.get("status_id")
            if isinstance(pipeline_id, int) and isinstance(status_id, int):
                pairs.append((pipeline_id, status_id))
    return tuple(pairs)


async def load_catalog(
    conn: Connection,
    account_id: int,
    entity_type: str,
    field_ids: Collection[int],
    field_codes: Collection[str],
) -> FieldCatalog:
    """The account's fields of ``entity_type`` among those ids and codes: two statements."""
    catalog = FieldCatalog()
    if not field_ids and not field_codes:
        return catalog
    rows = await store.fields_by_id_or_code(
        conn, account_id, entity_type, sorted(field_ids), sorted(field_codes)
    )
    for r in rows:
        definition = FieldDef(r.id, r.name, r.code, r.type, _required(r.required_statuses))
        catalog.by_id[definition.id] = definition
        if definition.code is not None:
            catalog.by_code.setdefault(definition.code, definition)
    with_enums = [f.id for f in catalog.by_id.values() if f.type in types.WITH_ENUMS]
    for e in await store.enums_of_fields(conn, account_id, with_enums):
        catalog.by_id[e.field_id].enums[e.id] = EnumDef(e.id, e.value, e.code)
    return catalog


async def required_fields(conn: Connection, account_id: int, entity_type: str) -> list[FieldDef]:
    """Fields that some stage requires (``required_statuses``), for checks on a move."""
    rows = await store.fields_requiring_stages(conn, account_id, entity_type)
    return [FieldDef(r.id, r.name, r.code, r.type, _required(r.required_statuses)) for r in rows]


def referenced(entries: Any) -> tuple[set[int], set[str]]:
    """The field ids and codes a ``custom_fields_values`` array names (for one lookup).

    Takes the body as sent, before it is validated: anything but a list names nothing (its
    type error is the validation's to report)."""
    ids: set[int] = set()
    codes: set[str] = set()
    if not isinstance(entries, list):
        return ids, codes
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        field_id = as_int(entry.get("field_id"))
        if field_id is not None and 1 <= field_id <= MAX_ID:
            ids.add(field_id)
        code = entry.get("field_code")
        if isinstance(code, str) and code and storable_text(code):
            codes.add(code)
    return ids, codes


def read_field_writes(entries: list[Reader], catalog: FieldCatalog) -> list[FieldWrite]:
    """Every entry's values as rows; errors go to the entries' reader, paths as Kommo's
    (``custom_fields_values.N.values.M.value``). A field named twice keeps its last entry."""
    writes: dict[int, FieldWrite] = {}
    for entry in entries:
        definition = _field_of(entry, catalog)
        if definition is None:
            continue
        if entry.data.get("values") is None:
            writes[definition.id] = FieldWrite(definition.id, ())
            continue
        values = entry.nested_list("values")
        if values is None:
            continue
        if definition.type in SINGLE_CHOICE and len(values) > MAX_ENUM_CHOICES:
            entry.errors.invalid(entry.path("values"), "This field takes one value.")
            continue
        stored = []
        for position, value in enumerate(values):
            row = _value(definition, value, position)
            if row is not None:
                stored.append(row)
        if len(stored) == len(values):
            writes[definition.id] = FieldWrite(definition.id, tuple(_dedupe(definition, stored)))
    return list(writes.values())


def _named(
    r: Reader,
    id_key: str,
    code_key: str,
    by_id: Callable[[int], T | None],
    by_code: Callable[[str], T | None],
) -> tuple[bool, T | None]:
    """What an entry names by ``id_key`` (or else by ``code_key``): whether it names one at
    all, and the one it names; None when it is wrong or unknown (``NotSupportedChoice``). A
    ``null`` id beside a code is the SDK's way of naming by code (``"enum_id": null,
    "enum_code": "WORK"``)."""
    if r.has(id_key) and not (r.is_null(id_key) and r.has(code_key) and not r.is_null(code_key)):
        wanted_id = r.id(id_key)
        key, named = id_key, None if wanted_id is None else by_id(wanted_id)
        given = wanted_id is not None
    elif r.has(code_key):
        code = r.text(code_key, max_length=64)
        key, named = code_key, None if code is None else by_code(code)
        given = code is not None
    else:
        return False, None
    if given and named is None:
        r.errors.not_supported(r.path(key))
    return True, named


def _field_of(entry: Reader, catalog: FieldCatalog) -> FieldDef | None:
    named, definition = _named(
        entry, "field_id", "field_code", catalog.by_id.get, catalog.by_code.get
    )
    if not named:
        entry.errors.missing(entry.path("field_id"))
    return definition


def _dedupe(definition: FieldDef, rows: list[StoredValue]) -> list[StoredValue]:
    """A multiselect naming one enum twice keeps it once (the key is field + position, but a
    choice is a set)."""
    if definition.type not in types.ENUM_LABEL:
        return rows
    seen: set[int | None] = set()
    kept: list[StoredValue] = []
    for row in rows:
        if row.enum_id in seen:
            continue
        seen.add(row.enum_id)
        kept.append(StoredValue(len(kept), enum_id=row.enum_id))
    return kept


def _value(definition: FieldDef, value: Reader, position: int) -> StoredValue | None:
    kind = definition.type
    if kind in types.TEXT:
        text = _text_of(value)
        return None if text is None else StoredValue(position, value_text=text)
    if kind in types.NUMERIC:
        return _numeric(value, position)
    if kind in types.CHECKBOX:
        return _checkbox(value, position)
    if kind in types.DATE:
        stamp = _date(value)
        return None if stamp is None else StoredValue(position, value_int=stamp)
    if kind in types.ENUM_LABEL:
        choice = _enum(definition, value, by_label=True)
        return None if choice is None else StoredValue(position, enum_id=choice.id)
    if kind in types.ENUM_TYPED_TEXT:
        return _typed_text(definition, value, position)
    if kind in types.CHAINED:
        return _chained(value, position)
    return _object(kind, value, position)


def _text_of(value: Reader) -> str | None:
    raw = value.data.get("value")
    if raw is None:
        value.errors.missing(value.path("value"))
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        value.errors.invalid_type(value.path("value"), "string")
        return None
    if not isinstance(raw, str):
        return _number_text(raw)
    return value.text("value", max_length=MAX_TEXT)


def _number_text(number: int | float) -> str:
    """How a JSON number is kept as text: ``12`` and ``12.0`` both as ``"12"``."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number) if isinstance(number, float) else str(number)


def _numeric(value: Reader, position: int) -> StoredValue | None:
    raw = value.data.get("value")
    path = value.path("value")
    if raw is None:
        value.errors.missing(path)
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        value.errors.invalid_type(path, "numeric")
        return None
    text = raw.strip() if isinstance(raw, str) else _number_text(raw)
    try:
        number = float(text)
    except ValueError:
        value.errors.invalid_type(path, "numeric")
        return None
    if not math.isfinite(number) or len(text) > 64:
        value.errors.invalid(path, "This value is not a valid number.")
        return None
    return StoredValue(position, value_text=text, value_number=number)


def _checkbox(value: Reader, position: int) -> StoredValue | None:
    raw = value.data.get("value")
    if isinstance(raw, bool):
        return StoredValue(position, value_int=int(raw))
    if raw in (0, 1) and not isinstance(raw, float):
        return StoredValue(position, value_int=int(raw))
    if raw is None:
        value.errors.missing(value.path("value"))
    else:
        value.errors.invalid_type(value.path("value"), "bool")
    return None


def _date(value: Reader) -> int | None:
    """Unix seconds, or an RFC 3339 string (the current PHP SDK sends those)."""
    raw = value.data.get("value")
    path = value.path("value")
    if raw is None:
        value.errors.missing(path)
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if text.lstrip("-").isdigit():
            raw = int(text)
        else:
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError:
                value.errors.invalid_type(path, "date")
                return None
            if parsed.tzinfo is None:
                value.errors.invalid(path, "A date needs a time zone offset (RFC 3339).")
                return None
            return int(parsed.timestamp())
    stamp = as_int(raw)
    if stamp is None:
        value.errors.invalid_type(path, "int")
        return None
    if not -MAX_TIMESTAMP <= stamp <= MAX_TIMESTAMP:
        value.errors.invalid(path, "This value is not a valid date.")
        return None
    return stamp


def _enum(definition: FieldDef, value: Reader, *, by_label: bool) -> EnumDef | None:
    """The chosen enum: by ``enum_id``, ``enum_code`` or (labelled types) ``value``."""
    by_code = definition.enum_by_code if by_label else definition.kind_by_code
    named, choice = _named(value, "enum_id", "enum_code", definition.enums.get, by_code)
    if named or not by_label:
        return choice
    label = value.data.get("value")
    if label is None:
        value.errors.missing(value.path("value"))
        return None
    if not isinstance(label, str):
        value.errors.invalid_type(value.path("value"), "string")
        return None
    choice = definition.enum_by_value(label)
    if choice is None:
        value.errors.not_supported(value.path("value"))
    return choice


def _typed_text(definition: FieldDef, value: Reader, position: int) -> StoredValue | None:
    """multitext and smart_address: free text plus the enum saying what kind it is; without
    one, the field's first enum (multitext: WORK)."""
    text = _text_of(value)
    if value.has("enum_id") or value.has("enum_code"):
        choice = _enum(definition, value, by_label=False)
        if choice is None:
            return None
    else:
        choice = next(iter(definition.enums.values()), None)
    if text is None:
        return None
    return StoredValue(position, enum_id=choice.id if choice else None, value_text=text)


def _chained(value: Reader, position: int) -> StoredValue | None:
    catalog_id = value.id("catalog_id")
    element_id = value.id("catalog_element_id")
    for key, got in (("catalog_id", catalog_id), ("catalog_element_id", element_id)):
        if got is None and not value.has(key):
            value.errors.missing(value.path(key))
    if catalog_id is None or element_id is None:
        return None
    payload = {"catalog_id": catalog_id, "catalog_element_id": element_id}
    return StoredValue(position, value_json=json.dumps(payload))


_OBJECT_TEXT_LIMIT = 64 * 1024


def _object(kind: str, value: Reader, position: int) -> StoredValue | None:
    """legal_entity, items, linked_entity, file, payer, supplier: an object kept as sent."""
    inner = value.nested("value")
    if inner is None:
        if not value.has("value"):
            value.errors.missing(value.path("value"))
        return None
    if kind == "legal_entity" and inner.text("name") is None and not inner.has("name"):
        inner.errors.missing(inner.path("name"))
        return None
    encoded = json.dumps(inner.data, ensure_ascii=False, separators=(",", ":"))
    if len(encoded) > _OBJECT_TEXT_LIMIT or not storable_text(encoded):
        value.errors.invalid(value.path("value"), "This value is too large or not storable.")
        return None
    return StoredValue(position, value_json=encoded)
