"""The lead as Kommo puts it on the wire, in Kommo's key order.

``UNSET`` fields are left out of the JSON entirely: that is how the ``with``-only keys
(``source_id``, ``is_price_modified_by_robot``, the optional ``_embedded`` arrays) appear only
when asked for, while nullable always-present keys encode ``None`` as ``null``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import CatalogElementRef as CatalogElementRef
from kommodore.http.hal import CompanyRef as CompanyRef  # an entity's embedded shapes
from kommodore.http.hal import SelfLinks
from kommodore.http.hal import TagRef as TagRef


class ContactRef(msgspec.Struct, kw_only=True):
    id: int
    is_main: bool
    links: SelfLinks = msgspec.field(name="_links")


class LossReasonRef(msgspec.Struct, kw_only=True):
    id: int
    name: str
    sort: int
    created_at: int
    updated_at: int
    links: SelfLinks = msgspec.field(name="_links")


class SourceRef(msgspec.Struct, kw_only=True):
    id: int
    name: str


class LeadEmbedded(msgspec.Struct, kw_only=True):
    tags: list[TagRef]
    catalog_elements: list[CatalogElementRef] | UnsetType = UNSET
    loss_reason: list[LossReasonRef] | UnsetType = UNSET
    companies: list[CompanyRef]
    contacts: list[ContactRef] | UnsetType = UNSET
    source: SourceRef | UnsetType = UNSET


class CustomFieldValues(msgspec.Struct, kw_only=True):
    field_id: int
    field_name: str
    field_code: str | None
    field_type: str
    values: list[dict[str, Any]]


ExactNumber = Annotated[msgspec.Raw, msgspec.Meta(extra_json_schema={"type": "number"})]
"""A number written as its exact decimal text."""


class Lead(msgspec.Struct, kw_only=True):
    id: int
    name: str
    price: int
    price_with_minor_units: ExactNumber | UnsetType = UNSET
    """Only when the price has a fraction, its exact decimal (``100.5``)."""
    responsible_user_id: int
    group_id: int
    status_id: int
    pipeline_id: int
    loss_reason_id: int | None
    source_id: int | UnsetType | None = UNSET
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    closed_at: int | None
    closest_task_at: int | None
    is_deleted: bool
    custom_fields_values: list[CustomFieldValues] | None
    score: int | None
    account_id: int
    labor_cost: int | None
    is_price_computed: bool
    is_price_modified_by_robot: bool | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")
    embedded: LeadEmbedded = msgspec.field(name="_embedded")


class DeletedLead(msgspec.Struct, kw_only=True):
    """The reduced model of a deleted lead under ``with=only_deleted``."""

    id: int
    updated_at: int
    updated_by: int
    is_deleted: bool
    links: SelfLinks = msgspec.field(name="_links")


class CreatedLead(msgspec.Struct, kw_only=True):
    """An item of the batch-add answer."""

    id: int
    request_id: str
    links: SelfLinks = msgspec.field(name="_links")


class UpdatedLead(msgspec.Struct, kw_only=True):
    """An item of the edit answers; ``request_id`` only in the batch answer."""

    id: int
    updated_at: int
    request_id: str | UnsetType = UNSET
    links: SelfLinks = msgspec.field(name="_links")


class ComplexResult(msgspec.Struct, kw_only=True):
    """An item of the complex-add answer: a bare array of these."""

    id: int
    contact_id: int | None
    company_id: int | None
    request_id: list[str]
    merged: bool


class UnsortedEmbedded(msgspec.Struct, kw_only=True):
    """What an unsorted entry came with: its contact, its lead, its company (each a list of
    at most one, in the order of Kommo's example)."""

    contacts: list[CompanyRef]
    leads: list[CompanyRef]
    companies: list[CompanyRef]


class Unsorted(msgspec.Struct, kw_only=True):
    """An entry of Kommo's Unsorted (``GET /api/v4/leads/unsorted``)."""

    uid: str
    source_uid: str | None
    source_name: str | None
    category: str
    pipeline_id: int
    created_at: int
    metadata: msgspec.Raw
    """The stored JSON object, sent as it is."""
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")
    embedded: UnsortedEmbedded = msgspec.field(name="_embedded")


encoder = msgspec.json.Encoder()
