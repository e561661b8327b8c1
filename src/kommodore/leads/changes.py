"""Adding and editing leads: every item of a batch is validated
against one set of lookups, then the batch is written with one statement per table, inside the
request's transaction. One bad item refuses the batch and nothing is written.

Order of refusals: type and reference errors (400 ``validation-errors``), then rights (403),
then the business rule of Kommo's API (400 keyed by lead). A refusal raises before the first write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kommodore.auth.rights import Actor, can_add_lead, can_edit_lead, can_view_lead
from kommodore.auth.service import Principal
from kommodore.custom_fields.value_writes import (
    FieldCatalog,
    FieldDef,
    FieldWrite,
    load_catalog,
    read_field_writes,
    required_fields,
    value_rows,
)
from kommodore.db import ids
from kommodore.db.database import Connection
from kommodore.events.record import NewEvent, record
from kommodore.events.values import ValueKey, value_entry
from kommodore.http.hal import Href, self_links
from kommodore.http.problems import Problem
from kommodore.http.validation import BatchErrors, request_id_of
from kommodore.leads import events, prices, store, wire
from kommodore.leads.input import LeadInput, PartyRef, TagRef, read_lead
from kommodore.leads.outbox import LeadChange, enqueue_lead_changes
from kommodore.leads.stages import (
    LOST,
    StageError,
    StageKey,
    Stages,
    closed_at_after,
    load_stages,
    resolve_stage,
)
from kommodore.tags.resolve import lead_tags_by_id, resolve_lead_tags

MAX_BATCH = 250
MAX_COMPLEX = 50
MAX_VALUES_COMPLEX = 40
ROBOT = 0
LOSS_REASON_ONLY_LOST = "Loss reason can be specified only for lost lead"


@dataclass(slots=True)
class Lookups:
    """What the batch names, looked up once for all its items."""

    stages: Stages
    users: dict[int, int]
    loss_reasons: set[int]
    fields: FieldCatalog
    tags: dict[int, tuple[int, str, str | None]]
    contacts: set[int]
    companies: set[int]
    sources: dict[str, store.SourceRef]
    leads: dict[int, store.LeadRow]
    required: list[FieldDef] | None = None


@dataclass(slots=True)
class Plan:
    """One item resolved: the lead's columns after the write and what changes beside them."""

    lead: LeadInput
    lead_id: int
    columns: dict[str, Any]
    before: store.LeadRow | None
    stage: StageKey
    field_writes: list[FieldWrite] = field(default_factory=list)
    contacts: list[tuple[int, bool]] = field(default_factory=list)
    companies: list[int] = field(default_factory=list)

    @property
    def tags_replace(self) -> list[TagRef] | None:
        """``_embedded.tags``: the lead's new set of tags, None when not sent."""
        return self.lead.tags

    @property
    def tags_add(self) -> list[TagRef]:
        return self.lead.tags_to_add

    @property
    def tags_delete(self) -> list[TagRef]:
        """Empty on create: only an edit reads ``tags_to_delete``."""
        return self.lead.tags_to_delete


@dataclass(frozen=True, slots=True)
class Written:
    id: int
    request_id: str
    updated_at: int


# -- reading the batch -----------------------------------------------------------------------


def read_batch(
    items: Sequence[Any], *, update: bool, complex_: bool = False
) -> tuple[list[LeadInput], BatchErrors]:
    errors = BatchErrors()
    inputs = []
    for index, item in enumerate(items):
        item_errors = errors.item(request_id_of(item, index))
        lead = read_lead(item, index, item_errors, update=update, complex_=complex_)
        if lead is not None:
            inputs.append(lead)
    return inputs, errors


async def _lookups(
    conn: Connection, principal: Principal, inputs: Sequence[LeadInput], *, update: bool
) -> Lookups:
    account_id = principal.account.id
    user_ids = {principal.actor.user_id}
    reason_ids: set[int] = set()
    field_ids: set[int] = set()
    field_codes: set[str] = set()
    tag_ids: set[int] = set()
    contact_ids: set[int] = set()
    company_ids: set[int] = set()
    external_ids: set[str] = set()
    lead_ids: set[int] = set()
    for lead in inputs:
        for user in (lead.responsible_user_id, lead.created_by, lead.updated_by):
            if user:
                user_ids.add(user)
        if lead.loss_reason_id:
            reason_ids.add(lead.loss_reason_id)
        more_ids, more_codes = lead.field_refs()
        field_ids |= more_ids
        field_codes |= more_codes
        for ref in (*(lead.tags or ()), *lead.tags_to_add, *lead.tags_to_delete):
            if ref.id is not None:
                tag_ids.add(ref.id)
        contact_ids |= {p.id for p in lead.contacts if p.id is not None}
        company_ids |= {p.id for p in lead.companies if p.id is not None}
        if lead.source_external_id:
            external_ids.add(lead.source_external_id)
        if lead.id is not None:
            lead_ids.add(lead.id)
    return Lookups(
        stages=await load_stages(conn, account_id),
        users=await store.user_groups(conn, account_id, user_ids),
        loss_reasons=await store.loss_reasons(conn, account_id, reason_ids),
        fields=await load_catalog(conn, account_id, "leads", field_ids, field_codes),
        tags=await lead_tags_by_id(conn, account_id, tag_ids),
        contacts=await store.parties(conn, "contacts", account_id, contact_ids),
        companies=await store.parties(conn, "companies", account_id, company_ids),
        sources=await store.sources(
            conn, account_id, principal.claims.integration_id, external_ids
        ),
        leads=await store.leads_for_update(conn, account_id, lead_ids) if update else {},
    )


# -- one item --------------------------------------------------------------------------------


def _user(lead: LeadInput, key: str, value: int | None, found: Lookups, *, robot: bool) -> None:
    if value is None or (robot and value == ROBOT):
        return
    if value not in found.users:
        lead.errors.not_supported(key)


def _tag_refs(lead: LeadInput, refs: Sequence[TagRef], found: Lookups) -> None:
    for ref in refs:
        if ref.id is not None and ref.id not in found.tags:
            lead.errors.not_supported(ref.path)


def _parties_of(
    lead: LeadInput, refs: Sequence[PartyRef], known: set[int]
) -> list[tuple[int, bool]]:
    """Existing contacts or companies to link, each once, the main one flagged: the first
    flagged ``is_main``, else the first listed."""
    linked: dict[int, bool] = {}
    for ref in refs:
        if ref.id is None:
            continue
        if ref.id not in known:
            lead.errors.not_supported(ref.path)
            continue
        linked.setdefault(ref.id, False)
    main = next((r.id for r in refs if r.is_main and r.id in linked), None)
    if main is None and linked:
        main = next(iter(linked))
    return [(party_id, party_id == main) for party_id in linked]


def _stage(
    lead: LeadInput,
    found: Lookups,
    before: store.LeadRow | None,
    *,
    incoming: bool = False,
) -> StageKey | None:
    pipeline_id = lead.pipeline_id
    if (
        before is None
        and pipeline_id is None
        and lead.status_id is None
        and lead.source_external_id in found.sources
    ):
        # Kommo's API: without a pipeline, a lead from a source goes to the source's pipeline
        pipeline_id = found.sources[lead.source_external_id].pipeline_id
    current = None if before is None else StageKey(before.pipeline_id, before.status_id)
    try:
        return resolve_stage(found.stages, pipeline_id, lead.status_id, current, incoming=incoming)
    except StageError as error:
        lead.errors.not_supported(error.key)
        return None


def _plan_add(
    lead: LeadInput, found: Lookups, actor: Actor, lead_id: int, now: int, *, incoming: bool
) -> Plan | None:
    _user(lead, "responsible_user_id", lead.responsible_user_id, found, robot=False)
    _user(lead, "created_by", lead.created_by, found, robot=True)
    _user(lead, "updated_by", lead.updated_by, found, robot=True)
    if lead.loss_reason_id is not None and lead.loss_reason_id not in found.loss_reasons:
        lead.errors.not_supported("loss_reason_id")
    source_id = None
    if lead.source_external_id is not None:
        source = found.sources.get(lead.source_external_id)
        if source is None:
            lead.errors.not_supported("_embedded.source.external_id")
        else:
            source_id = source.id
    _tag_refs(lead, [*(lead.tags or ()), *lead.tags_to_add], found)
    contacts = _parties_of(lead, lead.contacts, found.contacts)
    companies = [c for c, _ in _parties_of(lead, lead.companies, found.companies)]
    if len(companies) + sum(1 for p in lead.companies if p.new is not None) > 1:
        lead.errors.invalid("_embedded.companies", "A lead can have only one company.")
    field_writes = read_field_writes(lead.field_entries or [], found.fields)
    stage = _stage(lead, found, None, incoming=incoming)
    if stage is None or lead.errors.errors:
        return None
    responsible = lead.responsible_user_id or actor.user_id
    created_at = lead.created_at if lead.created_at is not None else now
    columns: dict[str, Any] = {
        "name": lead.name or "",
        "price": lead.price or 0,
        "price_minor": lead.price_minor,
        "responsible_user_id": responsible,
        "group_id": found.users.get(responsible, 0),
        "pipeline_id": stage.pipeline_id,
        "status_id": stage.status_id,
        "loss_reason_id": lead.loss_reason_id if stage.status_id == LOST else None,
        "source_id": source_id,
        "created_by": lead.created_by if lead.created_by is not None else actor.user_id,
        "updated_by": lead.updated_by if lead.updated_by is not None else actor.user_id,
        "created_at": created_at,
        "updated_at": lead.updated_at if lead.updated_at is not None else max(now, created_at),
        "closed_at": closed_at_after(None, stage, None, lead.closed_at, now),
    }
    return Plan(
        lead=lead,
        lead_id=lead_id,
        columns=columns,
        before=None,
        stage=stage,
        field_writes=field_writes,
        contacts=contacts,
        companies=companies,
    )


def _plan_edit(lead: LeadInput, found: Lookups, actor: Actor, now: int) -> Plan | None:
    assert lead.id is not None
    before = found.leads.get(lead.id)
    if before is None or before.is_deleted or not can_view_lead(actor, before):
        # an invisible lead is answered as an absent one, as GET answers 204 for both
        lead.errors.not_supported("id")
        return None
    _user(lead, "responsible_user_id", lead.responsible_user_id, found, robot=False)
    _user(lead, "updated_by", lead.updated_by, found, robot=True)
    if lead.loss_reason_id is not None and lead.loss_reason_id not in found.loss_reasons:
        lead.errors.not_supported("loss_reason_id")
    _tag_refs(lead, [*(lead.tags or ()), *lead.tags_to_add, *lead.tags_to_delete], found)
    field_writes = read_field_writes(lead.field_entries or [], found.fields)
    stage = _stage(lead, found, before)
    if stage is None or lead.errors.errors:
        return None
    columns: dict[str, Any] = {
        "updated_at": now,
        "updated_by": lead.updated_by if lead.updated_by is not None else actor.user_id,
    }
    if lead.name is not None:
        columns["name"] = lead.name
    if lead.price is not None:
        columns["price"], columns["price_minor"] = lead.price, lead.price_minor
    if lead.responsible_user_id is not None:
        columns["responsible_user_id"] = lead.responsible_user_id
        columns["group_id"] = found.users.get(lead.responsible_user_id, 0)
    if lead.created_at is not None:
        columns["created_at"] = lead.created_at
    before_stage = StageKey(before.pipeline_id, before.status_id)
    if stage != before_stage:
        columns["pipeline_id"], columns["status_id"] = stage
    closed_at = closed_at_after(before_stage, stage, before.closed_at, lead.closed_at, now)
    if closed_at != before.closed_at:
        columns["closed_at"] = closed_at
    if stage.status_id != LOST:
        if before.loss_reason_id is not None:
            columns["loss_reason_id"] = None
    elif lead.loss_reason_id is not None:
        columns["loss_reason_id"] = lead.loss_reason_id
    elif lead.clear_loss_reason and before.loss_reason_id is not None:
        columns["loss_reason_id"] = None
    return Plan(
        lead=lead,
        lead_id=before.id,
        columns=columns,
        before=before,
        stage=stage,
        field_writes=field_writes,
    )


# -- rules over the planned batch --------------------------------------------------------------


def _check_rights(plans: Sequence[Plan], actor: Actor) -> None:
    """403 when the actor may not add (or edit) an item: Kommo's add and edit rights, stage
    rights included; the answer names the items, as validation errors do."""
    refused = BatchErrors()
    for plan in plans:
        if plan.before is None:
            allowed = can_add_lead(actor, *plan.stage)
            path = "status_id"
        else:
            allowed = can_edit_lead(actor, plan.before, plan.stage)
            path = "id"
        if not allowed:
            refused.item(plan.lead.request_id).add(
                "AccessDenied", path, "You do not have the right to do this."
            )
    if refused:
        raise Problem(403, "Access denied", **{"validation-errors": refused.body()})


def _check_loss_reasons(plans: Sequence[Plan]) -> None:
    """A loss reason only on a lead that ends up lost: Kommo's keyed form, by lead id
    (by ``request_id`` for a lead not created yet)."""
    errors = {
        str(plan.before.id if plan.before is not None else plan.lead.request_id): (
            LOSS_REASON_ONLY_LOST
        )
        for plan in plans
        if plan.lead.loss_reason_id is not None and plan.stage.status_id != LOST
    }
    if errors:
        raise Problem(400, "Invalid request body", errors=errors)


async def _check_required(
    conn: Connection, account_id: int, plans: Sequence[Plan], found: Lookups
) -> None:
    """Fields a stage requires must hold a value once a lead is created in or moved into it
    (our choice: a validation error)."""
    moved = [
        p
        for p in plans
        if p.before is None or p.stage != (p.before.pipeline_id, p.before.status_id)
    ]
    if not moved:
        return
    if found.required is None:
        found.required = await required_fields(conn, account_id, "leads")
    if not found.required:
        return
    edited = [p.lead_id for p in moved if p.before is not None]
    field_ids = [f.id for f in found.required]
    valued = await store.valued_fields(conn, account_id, edited, field_ids)
    errors = BatchErrors()
    for plan in moved:
        written = {w.field_id: bool(w.values) for w in plan.field_writes}
        for definition in found.required:
            if plan.stage not in definition.required_statuses:
                continue
            has = written.get(definition.id, (plan.lead_id, definition.id) in valued)
            if not has:
                errors.item(plan.lead.request_id).missing(f"custom_fields_values.{definition.id}")
    errors.raise_if_any()


async def _checked(
    conn: Connection,
    principal: Principal,
    found: Lookups,
    errors: BatchErrors,
    planned: Iterable[Plan | None],
) -> list[Plan]:
    """The items that planned, once the batch passed every check, in the order of refusals
    (validation errors, rights, loss reasons, required fields)."""
    plans = [plan for plan in planned if plan is not None]
    errors.raise_if_any()
    _check_rights(plans, principal.actor)
    _check_loss_reasons(plans)
    await _check_required(conn, principal.account.id, plans, found)
    return plans


# -- writing ---------------------------------------------------------------------------------


async def _write_tags(conn: Connection, account_id: int, plans: Sequence[Plan]) -> None:
    plans = [p for p in plans if p.tags_replace is not None or p.tags_add or p.tags_delete]
    if not plans:
        return
    names = {
        ref.name
        for plan in plans
        for ref in (*(plan.tags_replace or ()), *plan.tags_add, *plan.tags_delete)
        if ref.name is not None
    }
    delete_only = {
        ref.name for plan in plans for ref in plan.tags_delete if ref.name is not None
    } - {
        ref.name
        for plan in plans
        for ref in (*(plan.tags_replace or ()), *plan.tags_add)
        if ref.name is not None
    }
    by_name: dict[str, int] = {}
    if names - delete_only:
        resolved = await resolve_lead_tags(conn, account_id, sorted(names - delete_only))
        by_name.update({name: tag_id for name, (tag_id, _, _) in resolved.items()})
    if delete_only:
        by_name.update(await store.tag_ids_by_name(conn, account_id, delete_only))

    def ids_of(refs: Sequence[TagRef]) -> list[int]:
        out = []
        for ref in refs:
            tag_id = ref.id if ref.id is not None else by_name.get(ref.name or "")
            if tag_id is not None and tag_id not in out:
                out.append(tag_id)
        return out

    cleared, removed, added = [], [], []
    for plan in plans:
        if plan.tags_replace is not None:
            if plan.before is not None:
                cleared.append(plan.lead_id)
            added += [(plan.lead_id, t) for t in ids_of(plan.tags_replace)]
        added += [(plan.lead_id, t) for t in ids_of(plan.tags_add)]
        removed += [(plan.lead_id, t) for t in ids_of(plan.tags_delete)]
    await store.change_tags(conn, account_id, cleared_leads=cleared, removed=removed, added=added)


async def _write_values(conn: Connection, account_id: int, plans: Sequence[Plan]) -> None:
    cleared = []
    rows = []
    for plan in plans:
        for write in plan.field_writes:
            if plan.before is not None:
                cleared.append((plan.lead_id, write.field_id))
            rows += value_rows(account_id, plan.lead_id, [write])
    await store.replace_values(conn, account_id, cleared, rows)


def _lead_row(account_id: int, plan: Plan) -> tuple[Any, ...]:
    c = plan.columns
    return (
        account_id, plan.lead_id, c["name"], c["price"], c["price_minor"],
        c["responsible_user_id"], c["group_id"], c["pipeline_id"], c["status_id"],
        c["loss_reason_id"], c["source_id"], c["created_by"], c["updated_by"], c["created_at"],
        c["updated_at"], c["closed_at"], None, False, None, None, False, False,
    )  # fmt: skip


async def add_leads(
    conn: Connection,
    principal: Principal,
    inputs: Sequence[LeadInput],
    errors: BatchErrors,
    now: int,
    *,
    incoming: Sequence[bool] | None = None,
    report: bool = True,
) -> list[Plan]:
    """Validate and write new leads; returns their plans in request order. Unless ``report``
    is false (the caller records them with its own), records their events and queues their
    ``add`` hooks."""
    account_id = principal.account.id
    found = await _lookups(conn, principal, inputs, update=False)
    lead_ids = await ids.allocate(conn, "leads", len(inputs))
    flags = incoming or [False] * len(inputs)
    plans = await _checked(
        conn,
        principal,
        found,
        errors,
        (
            _plan_add(lead, found, principal.actor, lead_id, now, incoming=is_incoming)
            for lead, lead_id, is_incoming in zip(inputs, lead_ids, flags, strict=True)
        ),
    )
    await store.insert_leads(conn, [_lead_row(account_id, p) for p in plans])
    await _write_values(conn, account_id, plans)
    await _write_tags(conn, account_id, plans)
    await store.link_parties(
        conn,
        account_id,
        [(p.lead_id, c, main) for p in plans for c, main in p.contacts],
        [(p.lead_id, c) for p in plans for c in p.companies],
    )
    await store.reindex(conn, account_id, [p.lead_id for p in plans], fresh=True)
    if report:
        await record(conn, account_id, await added_events(conn, plans), now)
        await enqueue_lead_changes(
            conn, account_id, [LeadChange(p.lead_id, "add") for p in plans], now
        )
    return plans


async def added_events(conn: Connection, plans: Sequence[Plan]) -> list[NewEvent]:
    """``lead_added`` per new lead. Kommo's points at the system note "lead created": its id
    is drawn from the notes' sequence, but no such note is listed or served (spec §10)."""
    system_notes = await ids.allocate(conn, "notes", len(plans))
    return [
        NewEvent("lead_added", p.lead_id, p.columns["updated_by"], [{"note": {"id": n}}])
        for p, n in zip(plans, system_notes, strict=True)
    ]


async def edit_leads(
    conn: Connection,
    principal: Principal,
    inputs: Sequence[LeadInput],
    errors: BatchErrors,
    now: int,
) -> list[Written]:
    """Validate and apply edits; a lead named twice in one batch is an error on the second."""
    account_id = principal.account.id
    seen: set[int] = set()
    for lead in inputs:
        if lead.id is not None:
            if lead.id in seen:
                lead.errors.invalid("id", "This lead is already edited by this batch.")
            seen.add(lead.id)
    found = await _lookups(conn, principal, [i for i in inputs if i.id is not None], update=True)
    plans = await _checked(
        conn,
        principal,
        found,
        errors,
        (_plan_edit(lead, found, principal.actor, now) for lead in inputs if lead.id is not None),
    )
    tagged = [p.lead_id for p in plans if p.tags_replace is not None or p.tags_add or p.tags_delete]
    tags_before = await store.lead_tag_ids(conn, account_id, tagged)
    values_before = await events.old_values(
        conn, account_id, {(p.lead_id, w.field_id) for p in plans for w in p.field_writes}
    )
    await store.update_leads(conn, account_id, [(p.lead_id, p.columns) for p in plans])
    await _write_values(conn, account_id, plans)
    await _write_tags(conn, account_id, plans)
    reindexed = [p.lead_id for p in plans if p.field_writes or p.lead.name is not None]
    await store.reindex(conn, account_id, reindexed)
    tags_after = await store.lead_tag_ids(conn, account_id, tagged)
    await _report_edits(conn, account_id, plans, found, tags_before, tags_after, values_before, now)
    return [Written(p.lead_id, p.lead.request_id, p.columns["updated_at"]) for p in plans]


_FIELD_EVENTS = (
    ("responsible_user_id", "entity_responsible_changed", "responsible_user", "id"),
    ("price", "sale_field_changed", "sale_field_value", "sale"),
    ("name", "name_field_changed", "name_field_value", "name"),
)
"""A lead column an edit changed, the event it records, and the event's value keys; the price
is compared and recorded with its minor units."""


def _field_change(before: store.LeadRow, columns: dict[str, Any], column: str) -> tuple[Any, Any]:
    """A column's value before and after an edit; a price as the number it is, fraction and
    all (``100`` and ``100.5`` differ)."""
    old = getattr(before, column)
    if column != "price":
        return old, columns.get(column, old)
    new = (columns.get("price", old), columns.get("price_minor", before.price_minor))
    return prices.number(old, before.price_minor), prices.number(*new)


async def _report_edits(
    conn: Connection,
    account_id: int,
    plans: Sequence[Plan],
    found: Lookups,
    tags_before: dict[int, set[int]],
    tags_after: dict[int, set[int]],
    values_before: dict[tuple[int, int], list[tuple[ValueKey, str | None]]],
    now: int,
) -> None:
    """The events for what each edit changed, and the webhook changes."""
    changed_tags = {
        t for lead_id in tags_before.keys() | tags_after.keys()
        for t in tags_before.get(lead_id, set()) ^ tags_after.get(lead_id, set())
    }  # fmt: skip
    names = {
        tag_id: name
        for tag_id, (_, name, _) in (await lead_tags_by_id(conn, account_id, changed_tags)).items()
    }
    new_events: list[NewEvent] = []
    webhook_changes: list[LeadChange] = []
    for plan in plans:
        before, columns, lead_id = plan.before, plan.columns, plan.lead_id
        assert before is not None
        user = columns["updated_by"]
        old_stage = (before.pipeline_id, before.status_id)
        moved = plan.stage != old_stage
        if moved:
            new_events.append(
                NewEvent(
                    "lead_status_changed",
                    lead_id,
                    user,
                    events.stage_value(*plan.stage),
                    events.stage_value(*old_stage),
                )
            )
        responsible = columns.get("responsible_user_id", before.responsible_user_id)
        for column, event, key, inner in _FIELD_EVENTS:
            old, new = _field_change(before, columns, column)
            if new != old:
                new_events.append(
                    NewEvent(event, lead_id, user, [{key: {inner: new}}], [{key: {inner: old}}])
                )
        if lead_id in tags_before or lead_id in tags_after:
            new_events += events.tag_events(
                lead_id, user, tags_before.get(lead_id, set()), tags_after.get(lead_id, set()),
                names,
            )  # fmt: skip
        for write in plan.field_writes:
            new_events += _value_events(plan, write, found, values_before, user)
        webhook_changes.append(
            LeadChange(
                lead_id,
                "update",
                old_stage=old_stage if moved else None,
                responsible_changed=responsible != before.responsible_user_id,
            )
        )
    await record(conn, account_id, new_events, now)
    await enqueue_lead_changes(conn, account_id, webhook_changes, now)


def _value_events(
    plan: Plan,
    write: FieldWrite,
    found: Lookups,
    values_before: dict[tuple[int, int], list[tuple[ValueKey, str | None]]],
    user: int,
) -> list[NewEvent]:
    """``custom_field_value_changed`` when a field's values differ from what it held."""
    definition = found.fields.by_id.get(write.field_id)
    if definition is None:
        return []
    old = values_before.get((plan.lead_id, write.field_id), [])
    new = []
    for v in write.values:
        enum = definition.enums.get(v.enum_id) if v.enum_id is not None else None
        new.append(
            ((v.enum_id, v.value_text, v.value_int, v.value_json), enum.value if enum else None)
        )
    if [k for k, _ in old] == [k for k, _ in new]:
        return []
    return [
        NewEvent(
            "custom_field_value_changed",
            plan.lead_id,
            user,
            [value_entry(write.field_id, definition.type, k, label) for k, label in new],
            [value_entry(write.field_id, definition.type, k, label) for k, label in old],
        )
    ]


# -- answers ---------------------------------------------------------------------------------


def _collection(origin: str, items: list[Any]) -> bytes:
    """The add and batch-edit envelope: ``_links`` and ``_embedded.leads``, no ``_page``."""
    body = {"_links": {"self": Href(f"{origin}/api/v4/leads")}, "_embedded": {"leads": items}}
    return wire.encoder.encode(body)


def added_body(plans: Sequence[Plan], origin: str) -> bytes:
    return _collection(
        origin,
        [
            wire.CreatedLead(
                id=p.lead_id,
                request_id=p.lead.request_id,
                links=self_links(f"{origin}/api/v4/leads/{p.lead_id}"),
            )
            for p in plans
        ],
    )


def edited_body(written: Sequence[Written], origin: str) -> bytes:
    return _collection(
        origin,
        [
            wire.UpdatedLead(
                id=w.id,
                updated_at=w.updated_at,
                request_id=w.request_id,
                links=self_links(f"{origin}/api/v4/leads/{w.id}"),
            )
            for w in written
        ],
    )


def edited_one(written: Written, origin: str) -> bytes:
    return wire.encoder.encode(
        wire.UpdatedLead(
            id=written.id,
            updated_at=written.updated_at,
            links=self_links(f"{origin}/api/v4/leads/{written.id}"),
        )
    )
