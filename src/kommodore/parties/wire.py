"""Contacts and companies as Kommo returns them, in Kommo's key order."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from kommodore.http.hal import CatalogElementRef, SelfLinks
from kommodore.http.hal import CompanyRef as CompanyRef  # an entity's embedded shapes
from kommodore.http.hal import TagRef as TagRef

EntityRef = CompanyRef
"""``{"id", "_links"}``: how a party embeds its leads, contacts and companies."""


class PartyEmbedded(msgspec.Struct, kw_only=True):
    """Kommo's order (RU example): tags, leads, customers, catalog_elements, companies; a
    company's ``contacts`` last [DECISION]."""

    tags: list[TagRef]
    leads: list[EntityRef] | UnsetType = UNSET
    customers: list[EntityRef] | UnsetType = UNSET
    catalog_elements: list[CatalogElementRef] | UnsetType = UNSET
    companies: list[CompanyRef] | UnsetType = UNSET
    """A contact's companies; a company has no such key."""
    contacts: list[EntityRef] | UnsetType = UNSET
    """A company's contacts, with ``with=contacts`` only."""


class Party(msgspec.Struct, kw_only=True):
    """A contact, or a company: a company has no ``first_name``, ``last_name`` or
    ``is_unsorted`` keys (§3.1)."""

    id: int
    name: str
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    responsible_user_id: int
    group_id: int
    created_by: int
    updated_by: int
    created_at: int
    updated_at: int
    closest_task_at: int | None
    is_deleted: bool
    is_unsorted: bool | UnsetType = UNSET
    custom_fields_values: list[Any] | None
    account_id: int
    links: SelfLinks = msgspec.field(name="_links")
    embedded: PartyEmbedded = msgspec.field(name="_embedded")


class DeletedParty(msgspec.Struct, kw_only=True):
    """A deleted party as ``with=only_deleted`` lists it [DECISION §2.2]."""

    id: int
    updated_at: int
    updated_by: int
    is_deleted: bool
    links: SelfLinks = msgspec.field(name="_links")


encoder = msgspec.json.Encoder()


class AddedContact(msgspec.Struct, kw_only=True):
    """An item of ``POST /contacts``' answer (Kommo's example)."""

    id: int
    is_deleted: bool
    is_unsorted: bool
    request_id: str
    links: SelfLinks = msgspec.field(name="_links")


class AddedCompany(msgspec.Struct, kw_only=True):
    """An item of ``POST /companies``' answer (RU example)."""

    id: int
    request_id: str
    links: SelfLinks = msgspec.field(name="_links")


class EditedContact(msgspec.Struct, kw_only=True):
    """An item of ``PATCH /contacts``' answer; ``request_id`` [DECISION §2.5]."""

    id: int
    name: str
    updated_at: int
    is_deleted: bool
    is_unsorted: bool
    request_id: str
    links: SelfLinks = msgspec.field(name="_links")


class EditedCompany(msgspec.Struct, kw_only=True):
    id: int
    name: str
    updated_at: int
    request_id: str
    links: SelfLinks = msgspec.field(name="_links")


class Written(msgspec.Struct, kw_only=True):
    """A batch write's answer: ``_links`` and the items under the entity's key."""

    links: SelfLinks = msgspec.field(name="_links")
    embedded: dict[str, list[Any]] = msgspec.field(name="_embedded")
