"""Kommo's validation errors and a reader that collects them while it takes an item
apart, so one answer lists every mistake of every item of a batch.

Codes: ``InvalidType`` (wrong JSON type), ``NotSupportedChoice`` (an id, enum or field that does
not exist for this account), ``FieldMissing`` (a required key absent), ``InvalidValue`` (the
right type but out of range, too long, or unstorable). The first two are Kommo's observed codes;
the details are Kommo's where known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from kommodore.http.problems import Problem

T = TypeVar("T")

MAX_ID = 2**63 - 1
MAX_TIMESTAMP = 253_402_300_799
"""9999-12-31T23:59:59Z: later instants do not fit the dates clients parse."""

INVALID_TYPE = "InvalidType"
NOT_SUPPORTED_CHOICE = "NotSupportedChoice"
FIELD_MISSING = "FieldMissing"
INVALID_VALUE = "InvalidValue"

NOT_A_CHOICE = "The value you selected is not a valid choice."
ACCESS_DENIED = "AccessDenied"
NO_RIGHT = "You do not have the right to do this."
BLANK = "This value should not be blank."


@dataclass(slots=True)
class ItemErrors:
    """The errors of one batch item, answered under its ``request_id``."""

    request_id: str
    errors: list[dict[str, str]] = field(default_factory=list)

    def add(self, code: str, path: str, detail: str) -> None:
        self.errors.append({"code": code, "path": path, "detail": detail})

    def invalid_type(self, path: str, type_name: str) -> None:
        self.add(INVALID_TYPE, path, f"This value should be of type {type_name}.")

    def not_supported(self, path: str) -> None:
        self.add(NOT_SUPPORTED_CHOICE, path, NOT_A_CHOICE)

    def missing(self, path: str) -> None:
        self.add(FIELD_MISSING, path, "This field is missing.")

    def invalid(self, path: str, detail: str) -> None:
        self.add(INVALID_VALUE, path, detail)

    def denied(self, path: str) -> None:
        """The user may not write this item (a rights refusal, answered by
        :meth:`BatchErrors.raise_denied_if_any`)."""
        self.add(ACCESS_DENIED, path, NO_RIGHT)


class BatchErrors:
    """Every item's errors; the batch is refused as a whole when any item has one."""

    def __init__(self) -> None:
        self._items: list[ItemErrors] = []

    def item(self, request_id: str) -> ItemErrors:
        errors = ItemErrors(request_id)
        self._items.append(errors)
        return errors

    def __bool__(self) -> bool:
        return any(item.errors for item in self._items)

    def body(self) -> list[dict[str, Any]]:
        return [
            {"request_id": item.request_id, "errors": item.errors}
            for item in self._items
            if item.errors
        ]

    def raise_if_any(self) -> None:
        if self:
            raise_validation(self.body())

    def raise_denied_if_any(self) -> None:
        """Kommo's 403 for rights, naming the refused items as validation errors do."""
        if self:
            raise Problem(403, "Access denied", **{"validation-errors": self.body()})


def raise_validation(entries: list[dict[str, Any]]) -> NoReturn:
    raise Problem(400, "Request validation failed", **{"validation-errors": entries})


def request_id_of(item: Any, index: int) -> str:
    """The item's ``request_id`` echoed as a string; its index when absent."""
    if isinstance(item, dict):
        value = item.get("request_id")
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
    return str(index)


def storable_text(value: str) -> bool:
    """Text both databases can hold: UTF-8 encodable (no lone surrogates) and without NUL."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def as_int(value: Any) -> int | None:
    """A JSON integer, or a float with no fraction (some clients serialise every number as
    one); None for anything else, booleans included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class Reader:
    """Reads the fields of one JSON object; each typed getter returns None when the key is
    absent or null, and also when the value is wrong, after recording why."""

    __slots__ = ("data", "errors", "prefix")

    def __init__(self, data: dict[str, Any], errors: ItemErrors, prefix: str = "") -> None:
        self.data = data
        self.errors = errors
        self.prefix = prefix

    def path(self, key: str | int) -> str:
        return f"{self.prefix}{key}"

    def has(self, key: str) -> bool:
        """Present with a value other than null."""
        return self.data.get(key) is not None

    def is_null(self, key: str) -> bool:
        return key in self.data and self.data[key] is None

    def typed(self, key: str, kind: type[T], type_name: str) -> T | None:
        """The value when it is a ``kind``; None when absent or null, and when of another
        type, after recording ``InvalidType`` with ``type_name``."""
        value = self.data.get(key)
        if value is None or isinstance(value, kind):
            return value
        self.errors.invalid_type(self.path(key), type_name)
        return None

    def _int(self, key: str) -> int | None:
        """An integer (see :func:`as_int`), unchecked for range."""
        value = self.data.get(key)
        if value is None:
            return None
        number = as_int(value)
        if number is None:
            self.errors.invalid_type(self.path(key), "int")
        return number

    def integer(self, key: str, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
        number = self._int(key)
        if number is not None and not minimum <= number <= maximum:
            self.errors.invalid(
                self.path(key), f"This value should be between {minimum} and {maximum}."
            )
            return None
        return number

    def id(self, key: str) -> int | None:
        """An entity id: an int that cannot name anything when out of range."""
        number = self._int(key)
        if number is not None and not 1 <= number <= MAX_ID:
            self.errors.not_supported(self.path(key))
            return None
        return number

    def timestamp(self, key: str) -> int | None:
        return self.integer(key, maximum=MAX_TIMESTAMP)

    def string(self, key: str) -> str | None:
        """Any string, unchecked: for values that are only compared, never stored."""
        return self.typed(key, str, "string")

    def text(self, key: str, *, max_length: int = 255) -> str | None:
        """A string to store: at most ``max_length`` characters, all storable."""
        value = self.string(key)
        if value is None:
            return None
        if len(value) > max_length:
            self.errors.invalid(
                self.path(key),
                f"This value is too long. It should have {max_length} characters or less.",
            )
            return None
        if not storable_text(value):
            self.errors.invalid(self.path(key), "This value contains characters not allowed.")
            return None
        return value

    def name(self, key: str = "name", *, required: bool, max_length: int = 255) -> str | None:
        """A name-like text of 1..``max_length`` characters, kept as sent: absent is
        ``FieldMissing`` when required, null a wrong type, blank (whitespace only) refused,
        because no list could show it."""
        if key not in self.data:
            if required:
                self.errors.missing(self.path(key))
            return None
        if self.data[key] is None:
            self.errors.invalid_type(self.path(key), "string")
            return None
        value = self.text(key, max_length=max_length)
        if value is not None and not value.strip():
            self.errors.invalid(self.path(key), BLANK)
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        return self.typed(key, bool, "bool")

    def array(self, key: str) -> list[Any] | None:
        return self.typed(key, list, "array")

    def nested(self, key: str) -> Reader | None:
        """A nested object, read with paths under ``key.``."""
        value = self.typed(key, dict, "object")
        return None if value is None else Reader(value, self.errors, f"{self.path(key)}.")

    def nested_list(self, key: str) -> list[Reader] | None:
        """A list of objects, each read with paths under ``key.N.``; a non-object entry is an
        error and is skipped."""
        values = self.array(key)
        if values is None:
            return None
        readers = []
        for index, value in enumerate(values):
            if isinstance(value, dict):
                readers.append(Reader(value, self.errors, f"{self.path(key)}.{index}."))
            else:
                self.errors.invalid_type(f"{self.path(key)}.{index}", "object")
        return readers
