"""Kommo's user rights: A, G, M, D per action, refined per pipeline stage.

A lead is judged by its responsible user and that user's group (stored on the lead as
``group_id``) and by the stage it sits in: a ``status_rights`` entry for the lead's
``(pipeline_id, status_id)`` replaces the general ``rights.leads`` code for the actions it names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import msgspec

Code = Literal["A", "G", "M", "D", "L"]
Action = Literal["view", "edit", "add", "delete", "export"]

ALLOW_ALL: Code = "A"
DENY: Code = "D"


class EntityRights(msgspec.Struct, frozen=True, kw_only=True):
    view: Code = "D"
    edit: Code = "D"
    add: Code = "D"
    delete: Code = "D"
    export: Code = "D"


class StatusRightsEntry(msgspec.Struct, frozen=True, kw_only=True):
    entity_type: str
    pipeline_id: int
    status_id: int
    rights: dict[str, Code]


class StoredRights(msgspec.Struct, frozen=True, kw_only=True):
    """The JSON kept in ``users.rights``: the rights object of GET /users minus user columns."""

    leads: EntityRights = EntityRights()
    contacts: EntityRights = EntityRights()
    companies: EntityRights = EntityRights()
    tasks: dict[str, Code] = msgspec.field(default_factory=dict)
    mail_access: bool = False
    catalog_access: bool = False
    status_rights: list[StatusRightsEntry] | None = None


@dataclass(frozen=True, slots=True)
class LeadRights:
    """Rights ready to evaluate: the general codes plus a stage lookup."""

    general: EntityRights
    by_status: dict[tuple[int, int], dict[str, Code]] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def parse_lead_rights(rights_json: str) -> LeadRights:
    """Decode ``users.rights`` once per distinct JSON text (users share few distinct rights)."""
    stored = msgspec.json.decode(rights_json, type=StoredRights)
    by_status = {
        (e.pipeline_id, e.status_id): e.rights
        for e in stored.status_rights or ()
        if e.entity_type == "leads"
    }
    return LeadRights(general=stored.leads, by_status=by_status)


@lru_cache(maxsize=4096)
def parse_task_edit(rights_json: str) -> Code:
    """``rights.tasks.edit`` of ``users.rights`` (D when absent)."""
    stored = msgspec.json.decode(rights_json, type=StoredRights)
    return stored.tasks.get("edit", DENY)


@dataclass(frozen=True, slots=True)
class Actor:
    """The user a request acts as (the token's, or ``X-Context-User-ID``'s for admins)."""

    user_id: int
    group_id: int
    is_admin: bool
    lead_rights: LeadRights
    task_edit: Code = DENY
    """``rights.tasks.edit``: tasks have no view or add right, every user sees and adds them."""


def lead_code(actor: Actor, action: Action, pipeline_id: int, status_id: int) -> Code:
    """The effective code of ``action`` on a lead in that stage; admins hold ``A`` everywhere."""
    if actor.is_admin:
        return ALLOW_ALL
    stage = actor.lead_rights.by_status.get((pipeline_id, status_id))
    if stage is not None and action in stage:
        return stage[action]
    code: Code = getattr(actor.lead_rights.general, action)
    return code


def allows(code: Code, actor: Actor, responsible_user_id: int, group_id: int) -> bool:
    if code == "A":
        return True
    if code == "G":
        return group_id == actor.group_id
    if code == "M":
        return responsible_user_id == actor.user_id
    return False


def can_edit_task(actor: Actor, task: Any) -> bool:
    """``rights.tasks.edit`` judged against the task's responsible user and group."""
    if actor.is_admin:
        return True
    return allows(actor.task_edit, actor, task.responsible_user_id, task.group_id)


def can_view_lead(actor: Actor, lead: Any) -> bool:
    """``lead`` is anything with responsible_user_id, group_id, pipeline_id and status_id."""
    code = lead_code(actor, "view", lead.pipeline_id, lead.status_id)
    return allows(code, actor, lead.responsible_user_id, lead.group_id)


_STRENGTH: dict[str, int] = {"D": 0, "M": 1, "G": 2, "L": 3, "A": 4}


def _weaker(a: Code, b: Code) -> Code:
    return a if _STRENGTH[a] <= _STRENGTH[b] else b


def can_add_lead(actor: Actor, pipeline_id: int, status_id: int) -> bool:
    """``add`` takes only A or D; a stage entry may deny it for its stage."""
    return lead_code(actor, "add", pipeline_id, status_id) != DENY


def can_edit_lead(actor: Actor, lead: Any, to_stage: tuple[int, int] | None = None) -> bool:
    """Edit rights on the lead as it is, and, when it moves, in the stage it moves to.
    ``edit`` never exceeds ``view`` (Kommo's dependencies between rights)."""

    def allowed(pipeline_id: int, status_id: int) -> bool:
        code = _weaker(
            lead_code(actor, "edit", pipeline_id, status_id),
            lead_code(actor, "view", pipeline_id, status_id),
        )
        return allows(code, actor, lead.responsible_user_id, lead.group_id)

    if not allowed(lead.pipeline_id, lead.status_id):
        return False
    if to_stage is not None and to_stage != (lead.pipeline_id, lead.status_id):
        return allowed(*to_stage)
    return True


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which leads an actor may view, as data a store can turn into a WHERE clause: the
    general code, and the stages whose code differs from it."""

    everything: bool
    general: Code
    stages: dict[tuple[int, int], Code]
    user_id: int
    group_id: int


def lead_visibility(actor: Actor) -> Visibility:
    if actor.is_admin:
        return Visibility(True, ALLOW_ALL, {}, actor.user_id, actor.group_id)
    general = actor.lead_rights.general.view
    stages = {
        stage: rights["view"]
        for stage, rights in actor.lead_rights.by_status.items()
        if "view" in rights
    }
    everything = general == ALLOW_ALL and all(code == ALLOW_ALL for code in stages.values())
    return Visibility(everything, general, stages, actor.user_id, actor.group_id)
