"""A lead write item taken apart: every writable field type-checked, every
read-only field and every null a client sends back ignored, nothing looked up yet.

Lookups (users, stages, fields, tags) come after, for the whole batch at once, in
:mod:`kommodore.leads.changes`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kommodore.custom_fields.value_writes import referenced
from kommodore.http.validation import BLANK, ItemErrors, Reader
from kommodore.leads import prices

MAX_NAME = 255
MAX_PRICE = 2**53
"""Prices stay exact as JSON numbers in every client below 2^53."""


@dataclass(frozen=True, slots=True)
class TagRef:
    """A tag named by id or by name; ``path`` is where an error about it points."""

    id: int | None
    name: str | None
    path: str


@dataclass(frozen=True, slots=True)
class PartyRef:
    """A contact or company to link on creation; ``new`` holds a new one's model (complex)."""

    id: int | None
    is_main: bool
    path: str
    new: Reader | None = None


@dataclass(slots=True)
class LeadInput:
    """One item. ``None`` means "not sent" (or sent as null, which Kommo's clients expect ignored)
    except where a flag says a null means to clear."""

    index: int
    request_id: str
    errors: ItemErrors
    reader: Reader
    id: int | None = None
    name: str | None = None
    price: int | None = None
    """Whole units; with ``price_minor``, the hundredths beyond them (0..99)."""
    price_minor: int = 0
    status_id: int | None = None
    pipeline_id: int | None = None
    responsible_user_id: int | None = None
    created_by: int | None = None
    updated_by: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    closed_at: int | None = None
    loss_reason_id: int | None = None
    clear_loss_reason: bool = False
    field_entries: list[Reader] | None = None
    tags: list[TagRef] | None = None
    """``_embedded.tags``: the full new set (``[]`` or null clears), None when not sent."""
    tags_to_add: list[TagRef] = field(default_factory=list)
    tags_to_delete: list[TagRef] = field(default_factory=list)
    contacts: list[PartyRef] = field(default_factory=list)
    companies: list[PartyRef] = field(default_factory=list)
    source_external_id: str | None = None
    metadata: Reader | None = None

    def field_refs(self) -> tuple[set[int], set[str]]:
        return referenced([e.data for e in self.field_entries or ()])


_NUMBERS: tuple[tuple[str, Callable[[Reader, str], int | None]], ...] = (
    ("status_id", Reader.id), ("pipeline_id", Reader.id), ("responsible_user_id", Reader.id),
    ("created_by", Reader.integer), ("updated_by", Reader.integer),
    ("created_at", Reader.timestamp), ("updated_at", Reader.timestamp),
    ("closed_at", Reader.timestamp),
)  # fmt: skip
"""The lead's number fields and how each is read, in the order their errors are listed."""


def read_lead(
    item: Any, index: int, errors: ItemErrors, *, update: bool, complex_: bool = False
) -> LeadInput | None:
    """Type-check one item; None when it is not even an object."""
    if not isinstance(item, dict):
        errors.invalid_type("", "object")
        return None
    r = Reader(item, errors)
    lead = LeadInput(index=index, request_id=errors.request_id, errors=errors, reader=r)
    if update:
        lead.id = r.id("id")
        if lead.id is None and not r.has("id"):
            errors.missing("id")
    # a batch edit item usually holds two or three keys: look only at those present, in a
    # fixed order so that errors are listed the same way whatever the client's key order
    sent = item.keys()
    if "name" in sent:
        lead.name = r.text("name", max_length=MAX_NAME)
    if "price" in sent or "price_with_minor_units" in sent:
        _read_price(lead, r)
    for key, read in _NUMBERS:
        if key in sent:
            setattr(lead, key, read(r, key))
    if "loss_reason_id" in sent:
        lead.loss_reason_id = r.id("loss_reason_id")
        lead.clear_loss_reason = r.is_null("loss_reason_id")
    if r.has("custom_fields_values"):
        lead.field_entries = r.nested_list("custom_fields_values")
    if "tags_to_add" in sent:
        lead.tags_to_add = _tags(r, "tags_to_add")
    if update and "tags_to_delete" in sent:
        lead.tags_to_delete = _tags(r, "tags_to_delete")
    if "_embedded" in sent:
        embedded = r.nested("_embedded")
        if embedded is not None:
            _embedded(lead, embedded, update=update, complex_=complex_)
    return lead


def _read_price(lead: LeadInput, r: Reader) -> None:
    """``price`` (an int, or a float: the PHP SDK sends ``100.0``, and ``100.5`` for a
    fractional budget) and ``price_with_minor_units``, Kommo's name for the fractional one,
    which wins when both are sent (it is the exact one, and the SDK reads it first)."""
    price = _number(r, "price", "int")
    precise = _number(r, "price_with_minor_units", "float")
    value = precise if precise is not None else price
    if value is not None:
        lead.price, lead.price_minor = prices.split(value)


def _number(r: Reader, key: str, type_name: str) -> int | float | None:
    """A price key: a JSON number within 0..MAX_PRICE; None when absent, null or refused."""
    value = r.data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        r.errors.invalid_type(r.path(key), type_name)
        return None
    if value != value or not 0 <= value <= MAX_PRICE:
        r.errors.invalid(r.path(key), f"This value should be between 0 and {MAX_PRICE}.")
        return None
    return value


def _tags(r: Reader, key: str) -> list[TagRef]:
    refs: list[TagRef] = []
    for tag in r.nested_list(key) or ():
        refs.extend(_tag(tag))
    return refs


def _tag(tag: Reader) -> list[TagRef]:
    """``{"id"}`` or ``{"name"}``; with both, the id wins (the SDK sends both once known)."""
    if tag.has("id"):
        tag_id = tag.id("id")
        return [] if tag_id is None else [TagRef(tag_id, None, tag.path("id"))]
    if tag.has("name"):
        name = tag.text("name")
        if name is None:
            return []
        if not name.strip():
            tag.errors.invalid(tag.path("name"), BLANK)
            return []
        return [TagRef(None, name, tag.path("name"))]
    tag.errors.missing(tag.path("name"))
    return []


def _embedded(lead: LeadInput, embedded: Reader, *, update: bool, complex_: bool) -> None:
    """``tags`` on create and edit; ``contacts``, ``companies``, ``source`` (and for complex
    adds ``metadata``) on create only; PATCH ignores them (our choice)."""
    if "tags" in embedded.data:
        lead.tags = [] if embedded.data["tags"] is None else _tags(embedded, "tags")
    if update:
        return
    lead.contacts = _parties(embedded, "contacts", complex_=complex_)
    lead.companies = _parties(embedded, "companies", complex_=complex_)
    source = embedded.nested("source")
    if source is not None:
        lead.source_external_id = source.text("external_id", max_length=36)
        if lead.source_external_id is None and not source.has("external_id"):
            source.errors.missing(source.path("external_id"))
    if complex_:
        lead.metadata = embedded.nested("metadata")


def _parties(embedded: Reader, key: str, *, complex_: bool) -> list[PartyRef]:
    refs = []
    for party in embedded.nested_list(key) or ():
        is_main = party.data.get("is_main") is True
        if party.has("id"):
            party_id = party.id("id")
            if party_id is not None:
                refs.append(PartyRef(party_id, is_main, party.path("id")))
        elif complex_:
            refs.append(PartyRef(None, is_main, party.prefix.rstrip("."), new=party))
        else:
            party.errors.missing(party.path("id"))
    return refs
