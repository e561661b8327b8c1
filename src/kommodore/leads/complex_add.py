"""``POST /api/v4/leads/complex``: each lead with at most one contact and one
company, new or existing; a new contact and company linked to each other; ``_embedded.metadata``
making the lead an incoming one, kept as its Unsorted entry (:mod:`kommodore.leads.unsorted`).
Validated and written as one batch with the plain add.

Duplicate control is an integration setting Kommo applies only when enabled; kommodore has no
such setting, so ``merged`` is always false.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kommodore.auth.service import MAX_ID, Principal
from kommodore.custom_fields.value_writes import (
    FieldWrite,
    load_catalog,
    read_field_writes,
    referenced,
    value_rows,
)
from kommodore.db import ids
from kommodore.db.database import Connection
from kommodore.events.record import NewEvent, record
from kommodore.http.validation import Reader
from kommodore.leads import changes, store, unsorted, wire
from kommodore.leads import events as lead_events
from kommodore.leads.input import LeadInput, PartyRef
from kommodore.leads.outbox import LeadChange, enqueue_lead_changes
from kommodore.leads.unsorted import METADATA_KEYS
from kommodore.parties import changes as party_changes
from kommodore.parties import store as party_store
from kommodore.parties.changes import PartyInput, check_tags, read_tags, write_tags
from kommodore.parties.outbox import PartyChange, enqueue_party_changes
from kommodore.parties.store import Kind

CATEGORIES = {
    "forms": ("form_id", "form_name", "form_page", "form_sent_at"),
    "sip": ("uniq", "duration", "service_code", "phone", "called_at"),
}
"""The metadata each incoming-lead category needs (Kommo's unsorted models)."""
KINDS: tuple[Kind, ...] = ("contacts", "companies")
TIMESTAMP_KEYS = frozenset({"form_sent_at", "called_at"})
INT_KEYS = frozenset({"duration"})


@dataclass(slots=True)
class NewParty:
    """A contact or company to create for lead ``lead``."""

    lead: LeadInput
    kind: str
    model: Reader
    responsible: int | None = None
    field_entries: list[Reader] = field(default_factory=list)
    """``custom_fields_values`` as read once (each type error reported once)."""
    field_writes: list[FieldWrite] | None = None
    tags: PartyInput | None = None
    """``_embedded.tags`` and ``tags_to_add``, read and written as the contact or company
    add reads and writes them."""
    id: int | None = None


def _count_values(entries: Sequence[Reader]) -> int:
    return sum(len(e.data["values"]) for e in entries if isinstance(e.data.get("values"), list))


def _check_shape(lead: LeadInput) -> None:
    """One contact and one company per lead, at most 40 values per entity."""
    if len(lead.contacts) > 1:
        lead.errors.invalid("_embedded.contacts", "A complex add takes one contact per lead.")
    if len(lead.companies) > 1:
        lead.errors.invalid("_embedded.companies", "A complex add takes one company per lead.")
    if _count_values(lead.field_entries or []) > changes.MAX_VALUES_COMPLEX:
        lead.errors.invalid(
            "custom_fields_values",
            f"At most {changes.MAX_VALUES_COMPLEX} values per entity in a complex add.",
        )
    if lead.metadata is not None:
        _check_metadata(lead.metadata)


def _check_metadata(metadata: Reader) -> None:
    category = metadata.text("category", max_length=16)
    if category is None:
        if not metadata.has("category"):
            metadata.errors.missing(metadata.path("category"))
        return
    if category not in CATEGORIES:
        metadata.errors.not_supported(metadata.path("category"))
        return
    required = CATEGORIES[category]
    for key in (*required, *(k for k in METADATA_KEYS[category] if k not in required)):
        if not metadata.has(key):
            if key in required:
                metadata.errors.missing(metadata.path(key))
        elif key in TIMESTAMP_KEYS:
            metadata.timestamp(key)
        elif key in INT_KEYS:
            metadata.integer(key)
        elif isinstance(metadata.data[key], int | float) and not isinstance(
            metadata.data[key], bool
        ):
            continue  # ids sent as numbers are fine
        else:
            metadata.text(key, max_length=1024)


def _new_parties(lead: LeadInput) -> list[NewParty]:
    found = []
    for kind, refs in (("contacts", lead.contacts), ("companies", lead.companies)):
        for ref in refs:
            if ref.new is not None:
                found.append(NewParty(lead, kind, ref.new))
    return found


def _read_party(party: NewParty) -> None:
    model = party.model
    model.text("name")
    if party.kind == "contacts":
        model.text("first_name")
        model.text("last_name")
    party.responsible = model.id("responsible_user_id")
    model.integer("created_by")
    model.integer("updated_by")
    model.timestamp("created_at")
    model.timestamp("updated_at")
    entries = party.field_entries = model.nested_list("custom_fields_values") or []
    party.tags = PartyInput("", model.errors, model)
    read_tags(party.tags, model, model.data, update=False)
    if _count_values(entries) > changes.MAX_VALUES_COMPLEX:
        model.errors.invalid(
            model.path("custom_fields_values"),
            f"At most {changes.MAX_VALUES_COMPLEX} values per entity in a complex add.",
        )


async def _prepare_parties(
    conn: Connection, principal: Principal, parties: Sequence[NewParty], now: int
) -> dict[Kind, list[tuple[int, int]]]:
    """Validate the new contacts and companies; when every one is valid, create them and
    point their leads at them, so the lead add links them like existing ones. Returns what
    was created, by kind: (id, updated_by) pairs, as the contact and company adds name them."""
    account_id = principal.account.id
    for party in parties:
        _read_party(party)
    users = await store.user_groups(
        conn,
        account_id,
        {
            u
            for p in parties
            for u in (
                p.responsible,
                p.model.data.get("created_by"),
                p.model.data.get("updated_by"),
            )
            # an id past 64 bits is already refused by _read_party; it must not reach the query
            if isinstance(u, int) and not isinstance(u, bool) and 0 < u <= MAX_ID
        },
    )
    for kind in KINDS:
        of_kind = [p for p in parties if p.kind == kind]
        field_ids: set[int] = set()
        codes: set[str] = set()
        for party in of_kind:
            more_ids, more_codes = referenced([e.data for e in party.field_entries])
            field_ids |= more_ids
            codes |= more_codes
        catalog = await load_catalog(conn, account_id, kind, field_ids, codes)
        for party in of_kind:
            model = party.model
            if party.responsible is not None and party.responsible not in users:
                model.errors.not_supported(model.path("responsible_user_id"))
            for key in ("created_by", "updated_by"):
                value = model.data.get(key)
                if isinstance(value, int) and 0 < value <= MAX_ID and value not in users:
                    model.errors.not_supported(model.path(key))
            party.field_writes = read_field_writes(party.field_entries, catalog)
        await check_tags(conn, account_id, kind, [p.tags for p in of_kind if p.tags])
    created: dict[Kind, list[tuple[int, int]]] = {kind: [] for kind in KINDS}
    if any(p.model.errors.errors for p in parties):
        return created
    for kind in KINDS:
        of_kind = [p for p in parties if p.kind == kind]
        new_ids = await ids.allocate(conn, kind, len(of_kind))
        rows: list[tuple[Any, ...]] = []
        values: list[tuple[Any, ...]] = []
        for party, party_id in zip(of_kind, new_ids, strict=True):
            party.id = party_id
            rows.append(_party_row(party, account_id, principal.actor.user_id, users, now))
            created[kind].append((party_id, rows[-1][-3]))  # [-3]: updated_by
            values += value_rows(account_id, party_id, party.field_writes or ())
            _point_lead_at(party)
        await party_store.insert_parties(conn, kind, rows, values)
        tags = [p.tags for p in of_kind if p.tags is not None]
        for party in of_kind:
            if party.tags is not None:
                party.tags.id = party.id
        await write_tags(conn, kind, account_id, tags, {})
    return created


def _party_row(
    party: NewParty, account_id: int, actor: int, users: dict[int, int], now: int
) -> tuple[Any, ...]:
    data = party.model.data
    lead_owner = party.lead.responsible_user_id
    responsible = party.responsible or (lead_owner if lead_owner in users else None) or actor
    created_by = data.get("created_by") if isinstance(data.get("created_by"), int) else actor
    updated_by = data.get("updated_by") if isinstance(data.get("updated_by"), int) else actor
    created_at = data.get("created_at") if isinstance(data.get("created_at"), int) else now
    updated_at = data.get("updated_at") if isinstance(data.get("updated_at"), int) else now
    group_id = users.get(responsible, 0)
    if party.kind == "contacts":
        first = data.get("first_name") if isinstance(data.get("first_name"), str) else ""
        last = data.get("last_name") if isinstance(data.get("last_name"), str) else ""
        name = data.get("name") if isinstance(data.get("name"), str) else f"{first} {last}".strip()
        return (
            account_id, party.id, name, first, last, responsible, group_id, created_by,
            updated_by, created_at, updated_at,
        )  # fmt: skip
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    return (
        account_id, party.id, name, responsible, group_id, created_by, updated_by, created_at,
        updated_at,
    )  # fmt: skip


def _point_lead_at(party: NewParty) -> None:
    refs = party.lead.contacts if party.kind == "contacts" else party.lead.companies
    for index, ref in enumerate(refs):
        if ref.new is party.model:
            refs[index] = PartyRef(party.id, True, ref.path)


async def add(conn: Connection, principal: Principal, items: Sequence[Any], now: int) -> bytes:
    """Validate and write the batch; the answer is Kommo's bare array.

    It records what the separate calls would: the contact and company adds' events (their
    ``*_added`` and tag events), the lead add's, and the link calls' for each link to a
    contact or company it creates (``entity_linked`` on the lead, ``lead_linked`` on the
    other end) and for each contact-company link it makes; all in one ``record`` call, so
    their order is that of the calls. The new leads, contacts and companies queue ``add``
    hooks, read after the links, so a contact's item names its leads and company."""
    inputs, errors = changes.read_batch(items, update=False, complex_=True)
    for lead in inputs:
        _check_shape(lead)
    parties = [p for lead in inputs for p in _new_parties(lead)]
    created = await _prepare_parties(conn, principal, parties, now)
    plans = await changes.add_leads(
        conn,
        principal,
        inputs,
        errors,
        now,
        incoming=[lead.metadata is not None for lead in inputs],
        report=False,
    )
    account_id = principal.account.id
    actor = principal.actor.user_id
    fresh = {(kind, party_id) for kind in KINDS for party_id, _ in created[kind]}
    new_events: list[NewEvent] = []
    for kind in KINDS:
        new_events += await party_changes.added_events(conn, kind, account_id, created[kind])
    new_events += await changes.added_events(conn, plans)
    pairs = []
    results = []
    entries: list[unsorted.NewEntry] = []
    for plan in plans:
        contact = next((c for c, _ in plan.contacts), None)
        company = next(iter(plan.companies), None)
        if contact is not None and company is not None:
            pairs.append((contact, company))
        ends: tuple[tuple[str, Kind, int | None], ...] = (
            ("company", "companies", company),
            ("contact", "contacts", contact),
        )
        gained = [
            (etype, party_id)
            for etype, kind, party_id in ends
            if party_id is not None and (kind, party_id) in fresh
        ]
        new_events += lead_events.link_events(plan.lead_id, actor, [], gained)
        new_events += lead_events.party_end_events(plan.lead_id, actor, gained)
        if plan.lead.metadata is not None:
            sent = plan.lead.metadata.data
            entries.append(
                unsorted.NewEntry(
                    category=sent["category"],
                    metadata=unsorted.metadata_of(sent["category"], sent),
                    pipeline_id=plan.columns["pipeline_id"],
                    lead_id=plan.lead_id,
                    contact_id=contact,
                    company_id=company,
                )
            )
        results.append(
            wire.ComplexResult(
                id=plan.lead_id,
                contact_id=contact,
                company_id=company,
                request_id=[plan.lead.request_id],
                merged=False,
            )
        )
    new_events += await party_changes.write_company_links(
        conn, account_id, pairs, actor, now, unlink=False, created=fresh
    )
    await unsorted.add_entries(conn, account_id, entries, now)
    await record(conn, account_id, new_events, now)
    await enqueue_lead_changes(conn, account_id, [LeadChange(p.lead_id, "add") for p in plans], now)
    for kind in KINDS:
        await enqueue_party_changes(
            conn, kind, account_id, [PartyChange(i, "add") for i, _ in created[kind]], now
        )
    return wire.encoder.encode(results)
