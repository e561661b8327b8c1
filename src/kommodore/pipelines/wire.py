"""Pipelines and statuses as Kommo puts them on the wire, in Kommo's key order.

The PHP SDK reads every key of both objects without ``isset``, so all are always present;
``descriptions`` appears only under ``with=descriptions``.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import SelfLinks
from kommodore.pipelines.store import PipelineRow, StatusRow


class StatusDescription(msgspec.Struct, kw_only=True):
    """Key order and keys as the PHP SDK's StatusDescriptionModel reads them."""

    id: int
    account_id: int
    created_at: str
    updated_at: str
    created_by: int
    updated_by: int
    pipeline_id: int
    status_id: int
    level: str
    description: str


class Status(StatusRow, kw_only=True):
    """The stored columns (:class:`~kommodore.pipelines.store.StatusRow`) lead its keys."""

    account_id: int
    request_id: str | UnsetType = UNSET
    """Only in write answers, after the scalars as Kommo's examples put it."""
    descriptions: list[StatusDescription] | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")


class PipelineEmbedded(msgspec.Struct, kw_only=True):
    statuses: list[Status]


class Pipeline(PipelineRow, kw_only=True):
    """The stored columns (:class:`~kommodore.pipelines.store.PipelineRow`) lead its keys."""

    account_id: int
    request_id: str | UnsetType = UNSET
    """Only in write answers, between ``account_id`` and ``_links`` as in Kommo's examples."""
    links: SelfLinks = msgspec.field(name="_links")
    embedded: PipelineEmbedded = msgspec.field(name="_embedded")


encoder = msgspec.json.Encoder()
