"""The request bodies of the Kommo API, described for the OpenAPI document only.

The server reads these bodies with hand-written readers (``leads/input.py``, ``http/validation``)
that collect every mistake of a batch in Kommo's ``validation-errors`` form, so no Struct
decodes them. These Structs say which keys those readers take and their JSON types; the
readers stay the authority on ranges and rules. Every key is optional here (``UNSET``): which
are required depends on the route (an edit needs ``id``), and the readers answer a missing one
with Kommo's ``FieldMissing``. The control plane's bodies are real Structs
(``control/wire.py``, ``control/faults.py``) and are not repeated here.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType


class TagInput(msgspec.Struct, kw_only=True):
    """A tag named by ``id`` or by ``name`` (the id wins when both are sent)."""

    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET


class PartyInput(msgspec.Struct, kw_only=True):
    """An existing contact or company (``id``); a complex add may send a new one's model."""

    id: int | UnsetType = UNSET
    is_main: bool | UnsetType = UNSET
    name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    responsible_user_id: int | UnsetType = UNSET
    custom_fields_values: list[dict[str, Any]] | UnsetType | None = UNSET


class PartyEmbeddedInput(msgspec.Struct, kw_only=True):
    tags: list[TagInput] | UnsetType | None = UNSET
    """The whole set of the contact's or company's tags; ``[]`` or null clears them."""


class PartyWriteInput(msgspec.Struct, kw_only=True):
    """An item of ``POST``/``PATCH /api/v4/contacts`` or ``/companies``; ``id`` on edits;
    ``first_name``/``last_name`` contacts only."""

    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    first_name: str | UnsetType = UNSET
    last_name: str | UnsetType = UNSET
    responsible_user_id: int | UnsetType | None = UNSET
    created_by: int | UnsetType | None = UNSET
    updated_by: int | UnsetType | None = UNSET
    created_at: int | UnsetType | None = UNSET
    updated_at: int | UnsetType | None = UNSET
    custom_fields_values: list[dict[str, Any]] | UnsetType | None = UNSET
    tags_to_add: list[TagInput] | UnsetType = UNSET
    tags_to_delete: list[TagInput] | UnsetType = UNSET
    """Edits only."""
    request_id: str | UnsetType = UNSET
    """Echoed back in the answer's item; the item's index when absent."""
    embedded: PartyEmbeddedInput | UnsetType = msgspec.field(default=UNSET, name="_embedded")


class SourceInput(msgspec.Struct, kw_only=True):
    external_id: str


class LeadEmbeddedInput(msgspec.Struct, kw_only=True):
    tags: list[TagInput] | UnsetType | None = UNSET
    contacts: list[PartyInput] | UnsetType = UNSET
    companies: list[PartyInput] | UnsetType = UNSET
    source: SourceInput | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType = UNSET
    """Complex adds only: makes the lead an incoming one."""


class LeadInput(msgspec.Struct, kw_only=True):
    """An item of ``POST``/``PATCH /api/v4/leads`` (and ``/leads/complex``); ``id`` on edits."""

    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    price: int | float | UnsetType | None = UNSET
    price_with_minor_units: int | float | UnsetType | None = UNSET
    """The price to the hundredth; wins over ``price`` when both are sent."""
    status_id: int | UnsetType | None = UNSET
    pipeline_id: int | UnsetType | None = UNSET
    responsible_user_id: int | UnsetType | None = UNSET
    created_by: int | UnsetType | None = UNSET
    updated_by: int | UnsetType | None = UNSET
    created_at: int | UnsetType | None = UNSET
    updated_at: int | UnsetType | None = UNSET
    closed_at: int | UnsetType | None = UNSET
    loss_reason_id: int | UnsetType | None = UNSET
    custom_fields_values: list[dict[str, Any]] | UnsetType | None = UNSET
    tags_to_add: list[TagInput] | UnsetType = UNSET
    tags_to_delete: list[TagInput] | UnsetType = UNSET
    """Edits only."""
    request_id: str | UnsetType = UNSET
    """Echoed back in the answer's item; the item's index when absent."""
    embedded: LeadEmbeddedInput | UnsetType = msgspec.field(default=UNSET, name="_embedded")


class TaskResultInput(msgspec.Struct, kw_only=True):
    text: str


class TaskInput(msgspec.Struct, kw_only=True):
    """An item of ``POST``/``PATCH /api/v4/tasks``: ``text`` and ``complete_till`` required
    on add, ``id`` on batch edits; completion is ``is_completed`` with a ``result``."""

    id: int | UnsetType = UNSET
    text: str | UnsetType | None = UNSET
    complete_till: int | UnsetType | None = UNSET
    responsible_user_id: int | UnsetType | None = UNSET
    entity_id: int | UnsetType | None = UNSET
    entity_type: Literal["leads", "contacts", "companies", "customers"] | UnsetType | None = UNSET
    is_completed: bool | UnsetType | None = UNSET
    task_type_id: int | UnsetType | None = UNSET
    duration: int | UnsetType | None = UNSET
    result: TaskResultInput | list[Any] | UnsetType | None = UNSET
    """``[]`` (what a task without a result reads as) is ignored."""
    created_by: int | UnsetType | None = UNSET
    updated_by: int | UnsetType | None = UNSET
    created_at: int | UnsetType | None = UNSET
    updated_at: int | UnsetType | None = UNSET
    request_id: str | UnsetType = UNSET


class IdInput(msgspec.Struct, kw_only=True):
    """``{"id": ...}``: an item of a batch that only names what it acts on."""

    id: int


class LinkMetadataInput(msgspec.Struct, kw_only=True):
    is_main: bool | UnsetType = UNSET
    main_contact: bool | UnsetType = UNSET
    quantity: int | float | UnsetType = UNSET
    catalog_id: int | UnsetType = UNSET
    price_id: int | UnsetType | None = UNSET
    """null clears the link's price."""
    updated_by: int | UnsetType = UNSET


class LinkInput(msgspec.Struct, kw_only=True):
    """A link of a lead to a contact, a company or a catalog element (of a contact or company to
    the other party, a lead or a catalog element); ``entity_id`` names the entity the link
    starts from in the batch forms (``/leads/link``, ``/contacts/unlink`` ...)."""

    entity_id: int | UnsetType = UNSET
    to_entity_id: int
    to_entity_type: Literal["contacts", "companies", "catalog_elements", "leads"]
    metadata: LinkMetadataInput | UnsetType | None = UNSET


class StatusInput(msgspec.Struct, kw_only=True):
    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    sort: int | UnsetType = UNSET
    color: str | UnsetType = UNSET
    descriptions: list[dict[str, Any]] | UnsetType = UNSET
    request_id: str | UnsetType = UNSET


class PipelineEmbeddedInput(msgspec.Struct, kw_only=True):
    statuses: list[StatusInput] | UnsetType = UNSET


class PipelineInput(msgspec.Struct, kw_only=True):
    name: str | UnsetType = UNSET
    sort: int | UnsetType = UNSET
    is_main: bool | UnsetType = UNSET
    is_unsorted_on: bool | UnsetType = UNSET
    is_archive: bool | UnsetType = UNSET
    request_id: str | UnsetType = UNSET
    embedded: PipelineEmbeddedInput | UnsetType = msgspec.field(default=UNSET, name="_embedded")


class LossReasonInput(msgspec.Struct, kw_only=True):
    name: str | UnsetType = UNSET
    sort: int | UnsetType = UNSET
    request_id: str | UnsetType = UNSET


class SourceWriteInput(msgspec.Struct, kw_only=True):
    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    external_id: str | UnsetType = UNSET
    pipeline_id: int | UnsetType = UNSET
    default: bool | UnsetType = UNSET
    origin_code: str | UnsetType | None = UNSET
    services: list[dict[str, Any]] | UnsetType = UNSET
    request_id: str | UnsetType = UNSET


class EnumInput(msgspec.Struct, kw_only=True):
    id: int | UnsetType = UNSET
    value: str | UnsetType = UNSET
    sort: int | UnsetType = UNSET
    code: str | UnsetType | None = UNSET


class FieldGroupInput(msgspec.Struct, kw_only=True):
    name: str | UnsetType = UNSET
    sort: int | UnsetType = UNSET
    fields: list[int] | UnsetType = UNSET
    """Ids of the entity type's fields to move into the group."""
    request_id: str | UnsetType = UNSET


class CustomFieldInput(msgspec.Struct, kw_only=True):
    id: int | UnsetType = UNSET
    type: str | UnsetType = UNSET
    name: str | UnsetType = UNSET
    code: str | UnsetType | None = UNSET
    sort: int | UnsetType = UNSET
    group_id: str | UnsetType | None = UNSET
    is_api_only: bool | UnsetType = UNSET
    required_statuses: list[dict[str, int]] | UnsetType | None = UNSET
    hidden_statuses: list[dict[str, int]] | UnsetType | None = UNSET
    enums: list[EnumInput] | UnsetType | None = UNSET
    remind: Literal["never", "day", "week", "month"] | UnsetType | None = UNSET
    currency: str | UnsetType | None = UNSET
    chained_lists: list[dict[str, Any]] | UnsetType | None = UNSET
    tracking_callback: str | UnsetType | None = UNSET
    search_in: str | UnsetType | None = UNSET
    request_id: str | UnsetType = UNSET


class TagWriteInput(msgspec.Struct, kw_only=True):
    name: str
    color: str | UnsetType | None = UNSET
    request_id: str | UnsetType = UNSET


class WebhookInput(msgspec.Struct, kw_only=True):
    destination: str
    settings: list[str]
    sort: int | UnsetType = UNSET


class WebhookDestination(msgspec.Struct, kw_only=True):
    destination: str


class TokenGrant(msgspec.Struct, kw_only=True):
    """``POST /oauth2/access_token``, as JSON or form-encoded; the client's credentials may
    come by HTTP Basic instead."""

    grant_type: Literal["authorization_code", "refresh_token"]
    client_id: str | UnsetType = UNSET
    client_secret: str | UnsetType = UNSET
    code: str | UnsetType = UNSET
    refresh_token: str | UnsetType = UNSET
    redirect_uri: str | UnsetType = UNSET


class NoteInput(msgspec.Struct, kw_only=True):
    """An item of ``POST``/``PATCH /api/v4/{leads|contacts|companies}[/{id}]/notes``: ``id`` on
    edits; ``entity_id`` on the collection's POST (a parent's path names it); ``params`` by
    ``note_type`` (``notes/input.py`` checks each type's keys)."""

    id: int | UnsetType = UNSET
    entity_id: int | UnsetType | None = UNSET
    note_type: str | UnsetType | None = UNSET
    params: dict[str, Any] | UnsetType | None = UNSET
    created_by: int | UnsetType | None = UNSET
    updated_by: int | UnsetType | None = UNSET
    responsible_user_id: int | UnsetType | None = UNSET
    created_at: int | UnsetType | None = UNSET
    updated_at: int | UnsetType | None = UNSET
    is_need_to_trigger_digital_pipeline: bool | UnsetType | None = UNSET
    request_id: str | UnsetType = UNSET
