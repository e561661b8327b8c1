"""Pipeline rows the shared factory does not write: extra pipelines, statuses, descriptions."""

from __future__ import annotations

from kommodore.db import schema
from tests.factories import NOW, Account, Factory


def pipeline(factory: Factory, account: Account, name: str, sort: int, archived: bool) -> int:
    pipeline_id = factory.id("pipelines")
    factory._insert(
        schema.pipelines,
        [{"account_id": account.id, "id": pipeline_id, "name": name, "sort": sort,
          "is_main": False, "is_unsorted_on": False, "is_archive": archived,
          "created_at": NOW, "updated_at": NOW}],
    )  # fmt: skip
    return pipeline_id


def status(
    factory: Factory, account: Account, pipeline_id: int, name: str, sort: int, color: str
) -> int:
    status_id = factory.id("statuses")
    factory._insert(
        schema.statuses,
        [{"account_id": account.id, "pipeline_id": pipeline_id, "id": status_id, "name": name,
          "sort": sort, "is_editable": True, "color": color, "type": 0}],
    )  # fmt: skip
    return status_id


def description(
    factory: Factory,
    account: Account,
    pipeline_id: int,
    status_id: int,
    level: str,
    text: str,
    created_at: int,
    updated_at: int,
) -> int:
    description_id = factory.id("status_descriptions")
    factory._insert(
        schema.status_descriptions,
        [{"account_id": account.id, "id": description_id, "pipeline_id": pipeline_id,
          "status_id": status_id, "level": level, "description": text,
          "created_at": created_at, "updated_at": updated_at}],
    )  # fmt: skip
    return description_id
