"""Adding and editing contacts and companies (``POST``/``PATCH /api/v4/{contacts|companies}``):
each batch validated as a unit, Kommo's validation-errors naming every bad item, nothing
written unless every item is good.

Names follow §1.4: ``first_name``/``last_name`` without ``name`` compose it in the account's
display order. Custom field values replace the named fields' value lists (``null`` clears);
phones and e-mails are stored exactly as sent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from kommodore.auth.rights import EntityRights, allows
from kommodore.auth.service import Principal
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
from kommodore.events.values import ValueKey, value_entry
from kommodore.http.hal import self_links
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, ItemErrors, Reader, request_id_of
from kommodore.parties import service, store, wire
from kommodore.parties.outbox import PartyChange, enqueue_party_changes
from kommodore.parties.store import Kind, PartyRow, ValueRow
from kommodore.tags.resolve import lead_tags_by_id, resolve_lead_tags

SINGULAR: dict[Kind, str] = {"contacts": "contact", "companies": "company"}
"""The events' ``entity_type`` of each kind."""
MAX_BATCH = 250
MAX_NAME = 255
DENIED = "Access denied"
LAST_FIRST = 2
"""``contact_name_display_order`` for "Last First"."""


@dataclass(slots=True)
class PartyInput:
    """One item of a batch, type-checked."""

    request_id: str
    errors: ItemErrors
    reader: Reader
    id: int | None = None
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    responsible_user_id: int | None = None
    created_by: int | None = None
    updated_by: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    field_entries: list[Reader] | None = None
    field_writes: list[FieldWrite] = field(default_factory=list)
    tags: list[TagRef] | None = None
    """``_embedded.tags``: the whole set (``[]`` or null clears)."""
    tags_to_add: list[TagRef] = field(default_factory=list)
    tags_to_delete: list[TagRef] = field(default_factory=list)


@dataclass(slots=True)
class TagRef:
    """A tag named by ``id`` or by ``name`` (the id wins), and where the item names it."""

    path: str
    id: int | None = None
    name: str | None = None
    resolved: int | None = None


def _tag_refs(r: Reader, key: str, values: list[Any] | None) -> list[TagRef]:
    refs = []
    for index, value in enumerate(values or []):
        path = f"{key}.{index}"
        if not isinstance(value, dict):
            r.errors.invalid_type(path, "object")
            continue
        ref = Reader(value, r.errors, f"{path}.")
        if ref.has("id"):
            refs.append(TagRef(path, id=ref.id("id")))
        elif ref.has("name"):
            name = ref.name(required=True)
            if name is not None:
                refs.append(TagRef(path, name=name))
        else:
            r.errors.missing(f"{path}.id")
    return refs


def read_tags(p: PartyInput, r: Reader, item: dict[str, Any], update: bool) -> None:
    """``_embedded.tags``, ``tags_to_add`` (and on edits ``tags_to_delete``) of ``item``,
    their error paths under ``r``'s prefix (a complex add's ``_embedded.contacts.0.``)."""
    embedded = item.get("_embedded")
    if isinstance(embedded, dict) and "tags" in embedded:
        inner = Reader(embedded, r.errors, r.path("_embedded."))
        p.tags = _tag_refs(r, r.path("_embedded.tags"), inner.array("tags"))
    elif embedded is not None and not isinstance(embedded, dict):
        r.errors.invalid_type(r.path("_embedded"), "object")
    if "tags_to_add" in item:
        p.tags_to_add = _tag_refs(r, r.path("tags_to_add"), r.array("tags_to_add"))
    if update and "tags_to_delete" in item:
        p.tags_to_delete = _tag_refs(r, r.path("tags_to_delete"), r.array("tags_to_delete"))


def read_batch(
    kind: Kind, items: Sequence[Any], *, update: bool
) -> tuple[list[PartyInput], BatchErrors]:
    """Every item read; read-only keys clients send back (``group_id``, ``is_deleted`` ...)
    are ignored."""
    errors = BatchErrors()
    inputs = []
    for index, item in enumerate(items):
        item_errors = errors.item(request_id_of(item, index))
        if not isinstance(item, dict):
            item_errors.invalid_type("", "object")
            continue
        r = Reader(item, item_errors)
        p = PartyInput(item_errors.request_id, item_errors, r)
        if update:
            p.id = r.id("id")
            if p.id is None and not r.has("id"):
                item_errors.missing("id")
        p.name = r.text("name", max_length=MAX_NAME)
        if kind == "contacts":
            p.first_name = r.text("first_name", max_length=MAX_NAME)
            p.last_name = r.text("last_name", max_length=MAX_NAME)
        p.responsible_user_id = r.id("responsible_user_id")
        p.created_by = r.integer("created_by")
        p.updated_by = r.integer("updated_by")
        p.created_at = r.timestamp("created_at")
        p.updated_at = r.timestamp("updated_at")
        if "custom_fields_values" in item:
            p.field_entries = r.nested_list("custom_fields_values") or []
        read_tags(p, r, item, update)
        inputs.append(p)
    return inputs, errors


def _compose(first: str, last: str, order: int) -> str:
    """The full name from its parts in the account's display order (1: first last)."""
    parts = (last, first) if order == LAST_FIRST else (first, last)
    return " ".join(p for p in parts if p)


async def _check_users_and_fields(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    inputs: Sequence[PartyInput],
    stored: dict[int, PartyRow],
) -> dict[int, int]:
    """Users named must be the account's (a stored value may stay as it is); fields must be
    the entity's. Returns user id -> group."""
    account_id = principal.account.id
    wanted = {principal.actor.user_id}
    for p in inputs:
        wanted |= {u for u in (p.responsible_user_id, p.created_by, p.updated_by) if u}
    users = await store.user_groups(conn, account_id, wanted)
    field_ids: set[int] = set()
    codes: set[str] = set()
    for p in inputs:
        more_ids, more_codes = referenced([e.data for e in p.field_entries or ()])
        field_ids |= more_ids
        codes |= more_codes
    catalog = await load_catalog(conn, account_id, kind, field_ids, codes)
    for p in inputs:
        old = stored.get(p.id) if p.id is not None else None
        for key in ("responsible_user_id", "created_by", "updated_by"):
            user = getattr(p, key)
            kept = old is not None and getattr(old, key) == user
            if user and user not in users and not kept:
                p.errors.not_supported(key)
        if p.field_entries:
            p.field_writes = read_field_writes(p.field_entries, catalog)
    await check_tags(conn, account_id, kind, inputs)
    return users


async def check_tags(
    conn: Connection, account_id: int, kind: Kind, inputs: Sequence[PartyInput]
) -> None:
    """Tags named by id must be in the entity's directory (``NotSupportedChoice`` else)."""
    refs = [t for p in inputs for t in _all_tags(p)]
    known = await lead_tags_by_id(conn, account_id, {t.id for t in refs if t.id is not None}, kind)
    for p in inputs:
        for t in _all_tags(p):
            if t.id is not None:
                if t.id in known:
                    t.resolved = t.id
                else:
                    p.errors.not_supported(f"{t.path}.id")


def _all_tags(p: PartyInput) -> list[TagRef]:
    return [*(p.tags or ()), *p.tags_to_add, *p.tags_to_delete]


async def write_tags(
    conn: Connection,
    kind: Kind,
    account_id: int,
    inputs: Sequence[PartyInput],
    before: dict[int, list[tuple[int, str]]],
) -> None:
    """Each party's tags as its item asks: the ``_embedded.tags`` set, plus ``tags_to_add``,
    minus ``tags_to_delete``; names become tags of the entity's directory."""
    names = {t.name for p in inputs for t in _all_tags(p) if t.id is None and t.name}
    made = await resolve_lead_tags(conn, account_id, sorted(names), kind) if names else {}
    added: list[tuple[int, int]] = []
    dropped: list[tuple[int, int]] = []
    for p in inputs:
        if p.tags is None and not p.tags_to_add and not p.tags_to_delete:
            continue
        assert p.id is not None

        def tag_id(t: TagRef) -> int:
            return t.resolved if t.resolved is not None else made[t.name or ""].id

        old = {t for t, _ in before.get(p.id, [])}
        new = {tag_id(t) for t in p.tags} if p.tags is not None else set(old)
        new |= {tag_id(t) for t in p.tags_to_add}
        new -= {tag_id(t) for t in p.tags_to_delete}
        added += [(p.id, t) for t in sorted(new - old)]
        dropped += [(p.id, t) for t in sorted(old - new)]
    await store.set_tags(conn, kind, account_id, added, dropped)


async def added_events(
    conn: Connection, kind: Kind, account_id: int, created: Sequence[tuple[int, int]]
) -> list[NewEvent]:
    """What adding the (party id, user) pairs records, once their tags are written:
    ``contact_added``/``company_added``, each pointing at its system note ("contact created",
    "company created"; the id drawn from the notes' sequence, the note never listed or served,
    as ``lead_added``'s, spec §10), then an ``entity_tag_added`` per tag."""
    singular = SINGULAR[kind]
    notes = await ids.allocate(conn, "notes", len(created))
    out = [
        NewEvent(f"{singular}_added", party_id, user, [{"note": {"id": note}}],
                 entity_type=singular)
        for (party_id, user), note in zip(created, notes, strict=True)
    ]  # fmt: skip
    tags = await store.party_tags(conn, kind, account_id, [party_id for party_id, _ in created])
    for party_id, user in created:
        out += _tag_events(kind, party_id, user, [], tags.get(party_id, []))
    return out


def _rights(principal: Principal, rights: EntityRights | None) -> EntityRights | None:
    return None if principal.actor.is_admin else rights


async def add(
    conn: Connection, principal: Principal, kind: Kind, items: Sequence[Any], now: int, origin: str
) -> bytes:
    """Create the batch, or refuse it whole; Kommo's answer of ids and request ids."""
    inputs, errors = read_batch(kind, items, update=False)
    rights = await service.party_rights(conn, principal, kind)
    if rights is not None and rights.add != "A":
        raise Problem(403, DENIED)
    users = await _check_users_and_fields(conn, principal, kind, inputs, {})
    errors.raise_if_any()
    account_id = principal.account.id
    actor = principal.actor.user_id
    order = await store.name_order(conn, account_id)
    new_ids = await ids.allocate(conn, kind, len(inputs))
    rows: list[tuple[Any, ...]] = []
    values: list[tuple[Any, ...]] = []
    for p, party_id in zip(inputs, new_ids, strict=True):
        p.id = party_id
        responsible = p.responsible_user_id or actor
        head = (account_id, party_id)
        tail = (
            responsible,
            users.get(responsible, 0),
            p.created_by if p.created_by is not None else actor,
            p.updated_by if p.updated_by is not None else actor,
            p.created_at or now,
            p.updated_at or p.created_at or now,
        )
        if kind == "contacts":
            first, last = p.first_name or "", p.last_name or ""
            name = p.name if p.name is not None else _compose(first, last, order)
            rows.append((*head, name, first, last, *tail))
        else:
            rows.append((*head, p.name or "", *tail))
        values += value_rows(account_id, party_id, p.field_writes)
    await store.insert_parties(conn, kind, rows, values)
    await write_tags(conn, kind, account_id, inputs, {})
    # row[-3] is updated_by: the user the events name
    created = [(row[1], row[-3]) for row in rows]
    await record(conn, account_id, await added_events(conn, kind, account_id, created), now)
    await enqueue_party_changes(
        conn, kind, account_id, [PartyChange(row[1], "add") for row in rows], now
    )
    items_out: list[Any] = []
    for p in inputs:
        assert p.id is not None
        links = self_links(f"{origin}/api/v4/{kind}/{p.id}")
        if kind == "contacts":
            items_out.append(
                wire.AddedContact(
                    id=p.id, is_deleted=False, is_unsorted=False, request_id=p.request_id,
                    links=links,
                )
            )  # fmt: skip
        else:
            items_out.append(wire.AddedCompany(id=p.id, request_id=p.request_id, links=links))
    return wire.encoder.encode(
        wire.Written(links=self_links(f"{origin}/api/v4/{kind}"), embedded={kind: items_out})
    )


async def edit(
    conn: Connection,
    principal: Principal,
    kind: Kind,
    items: Sequence[Any],
    now: int,
    origin: str,
    *,
    one: bool = False,
) -> bytes:
    """Apply the batch (or the one edit of ``PATCH /{id}``), or refuse it whole."""
    inputs, errors = read_batch(kind, items, update=True)
    account_id = principal.account.id
    rights = await service.party_rights(conn, principal, kind)
    actor = principal.actor
    stored: dict[int, PartyRow] = {}
    for p in inputs:
        if p.id is None:
            continue
        row = await store.get_party(conn, kind, account_id, p.id)
        if (
            row is None
            or row.is_deleted
            or (
                rights is not None
                and not allows(rights.view, actor, row.responsible_user_id, row.owner_group_id)
            )
        ):
            p.errors.not_supported("id")  # one the user cannot see is absent, as a lead is
        else:
            stored[p.id] = row
    users = await _check_users_and_fields(conn, principal, kind, inputs, stored)
    errors.raise_if_any()
    if rights is not None:
        refused = BatchErrors()
        for p in inputs:
            row = stored[p.id or 0]
            if not allows(rights.edit, actor, row.responsible_user_id, row.owner_group_id):
                refused.item(p.request_id).denied("id")
        refused.raise_denied_if_any()
    order = await store.name_order(conn, account_id)
    before = await store.party_tags(conn, kind, account_id, list(stored))
    await write_tags(conn, kind, account_id, inputs, before)
    after = await store.party_tags(conn, kind, account_id, list(stored))
    valued = [p.id for p in inputs if p.id is not None and p.field_writes]
    values_before = await store.party_values(conn, kind, account_id, valued)
    new_events: list[NewEvent] = []
    hook_changes: list[PartyChange] = []
    changed_fields: dict[int, tuple[list[int], int]] = {}
    out: list[Any] = []
    for p in inputs:
        row = stored[p.id or 0]
        name = p.name if p.name is not None else row.name
        first, last = row.first_name or "", row.last_name or ""
        if kind == "contacts":
            first = p.first_name if p.first_name is not None else first
            last = p.last_name if p.last_name is not None else last
            if p.name is None and (p.first_name is not None or p.last_name is not None):
                name = _compose(first, last, order)
        responsible = p.responsible_user_id or row.responsible_user_id
        group = users.get(responsible, row.group_id) if p.responsible_user_id else row.group_id
        updated_at = p.updated_at or now
        await store.update_party(
            conn, kind, account_id, row.id,
            (name, first, last, responsible, group,
             p.created_by if p.created_by is not None else row.created_by,
             p.updated_by if p.updated_by is not None else principal.actor.user_id,
             p.created_at or row.created_at, updated_at),
        )  # fmt: skip
        if p.field_writes:
            await store.replace_values(
                conn,
                kind,
                account_id,
                row.id,
                [w.field_id for w in p.field_writes],
                value_rows(account_id, row.id, p.field_writes),
            )
        user = p.updated_by if p.updated_by is not None else principal.actor.user_id
        new_events += _edit_events(kind, row, name, responsible, user)
        moved = responsible != row.responsible_user_id
        hook_changes.append(
            PartyChange(row.id, "update", row.responsible_user_id if moved else None)
        )
        new_events += _tag_events(kind, row.id, user, before.get(row.id, []), after.get(row.id, []))
        changed_fields[row.id] = ([w.field_id for w in p.field_writes], user)
        links = self_links(f"{origin}/api/v4/{kind}/{row.id}")
        if kind == "contacts":
            out.append(
                wire.EditedContact(
                    id=row.id, name=name, updated_at=updated_at, is_deleted=False,
                    is_unsorted=False, request_id=p.request_id, links=links,
                )
            )  # fmt: skip
        else:
            out.append(
                wire.EditedCompany(
                    id=row.id, name=name, updated_at=updated_at, request_id=p.request_id,
                    links=links,
                )
            )  # fmt: skip
    await store.reindex(conn, kind, account_id, list(stored))
    values_after = await store.party_values(conn, kind, account_id, valued)
    for party_id, (field_ids, user) in changed_fields.items():
        new_events += _value_events(
            kind, party_id, user, field_ids,
            values_before.get(party_id, []), values_after.get(party_id, []),
        )  # fmt: skip
    await record(conn, account_id, new_events, now)
    await enqueue_party_changes(conn, kind, account_id, hook_changes, now)
    if one:
        return wire.encoder.encode(out[0])
    return wire.encoder.encode(
        wire.Written(links=self_links(f"{origin}/api/v4/{kind}"), embedded={kind: out})
    )


def _edit_events(
    kind: Kind, row: PartyRow, name: str, responsible: int, user: int
) -> list[NewEvent]:
    """``name_field_changed`` and ``entity_responsible_changed`` for what an edit changed."""
    singular = SINGULAR[kind]
    out = []
    if name != row.name:
        out.append(
            NewEvent("name_field_changed", row.id, user, [{"name_field_value": {"name": name}}],
                     [{"name_field_value": {"name": row.name}}], entity_type=singular)
        )  # fmt: skip
    if responsible != row.responsible_user_id:
        out.append(
            NewEvent("entity_responsible_changed", row.id, user,
                     [{"responsible_user": {"id": responsible}}],
                     [{"responsible_user": {"id": row.responsible_user_id}}],
                     entity_type=singular)
        )  # fmt: skip
    return out


def _value_events(
    kind: Kind,
    party_id: int,
    user: int,
    field_ids: Sequence[int],
    before: Sequence[ValueRow],
    after: Sequence[ValueRow],
) -> list[NewEvent]:
    """``custom_field_value_changed``, one per written field whose stored values differ (as
    leads record them; the values as stored before and after, an enum's label as its text)."""
    out = []
    for field_id in field_ids:
        old = [v for v in before if v.field_id == field_id]
        new = [v for v in after if v.field_id == field_id]
        if [_key(v) for v in old] == [_key(v) for v in new]:
            continue
        field_type = (new or old)[0].field_type
        out.append(
            NewEvent("custom_field_value_changed", party_id, user,
                     [value_entry(field_id, field_type, _key(v), v.enum_value) for v in new],
                     [value_entry(field_id, field_type, _key(v), v.enum_value) for v in old],
                     entity_type=SINGULAR[kind])
        )  # fmt: skip
    return out


def _key(v: ValueRow) -> ValueKey:
    blob = (
        v.value_json if v.value_json is None or isinstance(v.value_json, str) else str(v.value_json)
    )
    return (v.enum_id, v.value_text, v.value_int, blob)


def _tag_events(
    kind: Kind,
    party_id: int,
    user: int,
    before: Sequence[tuple[int, str]],
    after: Sequence[tuple[int, str]],
) -> list[NewEvent]:
    """``entity_tag_added`` / ``entity_tag_deleted``, one per tag, by name."""
    singular = SINGULAR[kind]
    old, new = dict(before), dict(after)
    out = [
        NewEvent("entity_tag_added", party_id, user, [{"tag": {"name": new[t]}}],
                 entity_type=singular)
        for t in sorted(set(new) - set(old))
    ]  # fmt: skip
    out += [
        NewEvent("entity_tag_deleted", party_id, user, [], [{"tag": {"name": old[t]}}],
                 entity_type=singular)
        for t in sorted(set(old) - set(new))
    ]  # fmt: skip
    return out


# -- contact-company links (POST /{contacts|companies}/link, and the complex add's pairs) --------


def _link_event(kind: Kind, entity_id: int, user: int, other: str, other_id: int, *,
                unlink: bool) -> NewEvent:  # fmt: skip
    """``{other}_linked``/``{other}_unlinked`` on one end (``company_linked`` on a contact,
    ``contact_linked`` on a company), naming the other in ``value_after``."""
    action = "unlink" if unlink else "link"
    value = [{action: {"entity": {"type": other, "id": other_id}}}]
    return NewEvent(f"{other}_{action}ed", entity_id, user, value, entity_type=SINGULAR[kind])


async def write_company_links(
    conn: Connection,
    account_id: int,
    pairs: Sequence[tuple[int, int]],
    user: int,
    now: int,
    *,
    unlink: bool,
    created: Collection[tuple[Kind, int]] = (),
) -> list[NewEvent]:
    """Apply the (contact, company) pairs in order to each contact's one company (a new one
    replaces it), write what differs and return its events for the caller to record with its
    own: per change ``company_linked``/``company_unlinked`` on the contact and
    ``contact_linked``/``contact_unlinked`` on the company. Both ends are bumped and queue
    ``update_*`` hooks, except those ``created`` in the same write (they report an add)."""
    if not pairs:
        return []
    contacts = sorted({c for c, _ in pairs})
    companies = await store.linked(conn, "contacts", "companies", account_id, contacts)
    before = {c: linked[0] for c, linked in companies.items()}
    after: dict[int, int | None] = {c: before.get(c) for c in contacts}
    for contact, company in pairs:
        if not unlink:
            after[contact] = company
        elif after[contact] == company:
            after[contact] = None
    events: list[NewEvent] = []
    touched: dict[Kind, set[int]] = {"contacts": set(), "companies": set()}
    for contact in contacts:
        old, new = before.get(contact), after[contact]
        if old == new:
            continue
        await store.set_company(conn, account_id, contact, new)
        touched["contacts"].add(contact)
        for end, gone in ((old, True), (new, False)):
            if end is None:
                continue
            touched["companies"].add(end)
            events.append(_link_event("contacts", contact, user, "company", end, unlink=gone))
            events.append(_link_event("companies", end, user, "contact", contact, unlink=gone))
    for kind, ids_ in touched.items():
        bumped = sorted(i for i in ids_ if (kind, i) not in created)
        await store.touch(conn, kind, account_id, bumped, now, user)
        await enqueue_party_changes(
            conn, kind, account_id, [PartyChange(i, "update") for i in bumped], now
        )
    return events
