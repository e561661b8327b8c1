"""Where a lead goes: the pipeline a stage implies, the defaults, what 142/143 do
to ``closed_at`` and the loss reason. Pure rules over the account's stages, loaded once per
batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from kommodore.db.database import Connection
from kommodore.leads import store

WON, LOST = 142, 143
CLOSED = frozenset({WON, LOST})
INCOMING = 1


@dataclass(frozen=True, slots=True)
class Stage:
    pipeline_id: int
    status_id: int
    type: int
    sort: int


@dataclass(slots=True)
class Stages:
    """Every stage of the account: a status id names one stage, except 142 and 143, which
    every pipeline has."""

    main_pipeline: int | None = None
    by_key: dict[tuple[int, int], Stage] = field(default_factory=dict)
    pipeline_of: dict[int, int] = field(default_factory=dict)
    """status id -> its pipeline, for regular and incoming stages."""
    first_regular: dict[int, int] = field(default_factory=dict)
    incoming: dict[int, int] = field(default_factory=dict)

    def has_pipeline(self, pipeline_id: int) -> bool:
        return pipeline_id in self.first_regular or pipeline_id in self.incoming


async def load_stages(conn: Connection, account_id: int) -> Stages:
    stages = Stages()
    for pipeline_id, status_id, kind, sort, is_main in await store.stages_of(conn, account_id):
        stage = Stage(pipeline_id, status_id, kind, sort)
        stages.by_key[(pipeline_id, status_id)] = stage
        if is_main and stages.main_pipeline is None:
            stages.main_pipeline = pipeline_id
        if status_id in CLOSED:
            continue
        stages.pipeline_of[status_id] = pipeline_id
        if kind == INCOMING:
            stages.incoming.setdefault(pipeline_id, status_id)
        else:
            stages.first_regular.setdefault(pipeline_id, status_id)
    if stages.main_pipeline is None and stages.first_regular:
        stages.main_pipeline = next(iter(stages.first_regular))
    return stages


class StageError(Exception):
    """Which key of the item names a stage that cannot be."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class StageKey(NamedTuple):
    """Where a lead stands."""

    pipeline_id: int
    status_id: int


def resolve_stage(
    stages: Stages,
    pipeline_id: int | None,
    status_id: int | None,
    current: StageKey | None,
    *,
    incoming: bool = False,
) -> StageKey:
    """The (pipeline, status) a lead ends up in; ``current`` is the edited lead's, None on
    create. ``incoming`` puts it in the pipeline's incoming stage (complex add with metadata).
    Raises :class:`StageError` naming the key at fault."""
    if pipeline_id is not None and not stages.has_pipeline(pipeline_id):
        raise StageError("pipeline_id")
    home = current.pipeline_id if current is not None else stages.main_pipeline
    if incoming:
        target = pipeline_id or stages.main_pipeline
        if target is None or target not in stages.incoming:
            raise StageError("pipeline_id")
        return StageKey(target, stages.incoming[target])
    if status_id is None:
        if pipeline_id is None:
            if current is not None:
                return current
            if home is None or home not in stages.first_regular:
                raise StageError("status_id")
            return StageKey(home, stages.first_regular[home])
        if current is not None and current.pipeline_id == pipeline_id:
            return current
        if pipeline_id not in stages.first_regular:
            raise StageError("pipeline_id")
        return StageKey(pipeline_id, stages.first_regular[pipeline_id])
    if status_id in CLOSED:
        target = pipeline_id if pipeline_id is not None else home
        if target is None or (target, status_id) not in stages.by_key:
            raise StageError("status_id")
        return StageKey(target, status_id)
    owner = stages.pipeline_of.get(status_id)
    if owner is None or (pipeline_id is not None and owner != pipeline_id):
        raise StageError("status_id")
    if stages.by_key[(owner, status_id)].type == INCOMING and (
        current is None or current != (owner, status_id)
    ):
        # our choice: incoming leads come from complex adds with metadata
        raise StageError("status_id")
    return StageKey(owner, status_id)


def closed_at_after(
    before: StageKey | None,
    after: StageKey,
    current_closed_at: int | None,
    sent: int | None,
    now: int,
) -> int | None:
    """Entering 142/143 closes the lead now; leaving them reopens it; a ``closed_at`` the
    client sends is kept as sent (our choice)."""
    if sent is not None:
        return sent
    was_closed = before is not None and before.status_id in CLOSED
    is_closed = after.status_id in CLOSED
    if is_closed and (not was_closed or before is None or before.status_id != after.status_id):
        return now
    if not is_closed:
        return None
    return current_closed_at
