"""The seed file format: msgspec Structs that decode a seed document, check its types with the
path of every error, and publish it as a JSON Schema (``docs/seed.schema.json``).

Entities are written much as Kommo's API reads them, with their ids when the file fixes them.
A reference to another entity of the same account is its id, or its name where a name is
what a person would write: a user's e-mail, a group's, pipeline's, stage's, tag's, loss
reason's or source's name. ``kommodore export`` writes ids everywhere, so its output seeds the
same ids back.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from kommodore.auth.rights import StoredRights

SCHEMA_VERSION = 1

Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
Timestamp = Annotated[int, msgspec.Meta(ge=0, le=253_402_300_799)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Ref = Id | Name
"""An id, or a name (an e-mail for users): what the file calls another of its entities."""
FieldType = Literal[
    "text", "textarea", "url", "streetaddress", "tracking_data", "org_legal_name",
    "numeric", "monetary", "price", "checkbox", "date", "date_time", "birthday",
    "select", "multiselect", "radiobutton", "category", "multitext", "smart_address",
    "legal_entity", "items", "linked_entity", "file", "payer", "supplier", "chained_list",
]  # fmt: skip
EntityType = Literal["leads", "contacts", "companies"]


class _Entity(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    pass


class Group(_Entity, kw_only=True):
    id: Id | None = None
    name: Name
    uuid: str | None = None


class User(_Entity, kw_only=True):
    """A user. ``password`` is hashed when the file is loaded; ``export`` writes the hash as
    ``password_hash``, never a password. Without ``rights``, every right is A (all)."""

    id: Id | None = None
    name: Name
    email: Name
    password: str | None = None
    password_hash: str | None = None
    lang: str = "en"
    is_admin: bool = False
    is_free: bool = False
    is_active: bool = True
    group: Ref | None = None
    phone_number: str | None = None
    uuid: str | None = None
    amojo_id: str | None = None
    rights: StoredRights | None = None
    created_at: Timestamp | None = None


class Status(_Entity, kw_only=True):
    """A stage. Without them in the file, each pipeline gets Kommo's 142 (won) and 143 (lost);
    ``type`` 1 is the incoming (unsorted) stage."""

    id: Id | None = None
    name: Name
    sort: int | None = None
    color: str = "#99ccff"
    type: Literal[0, 1] = 0
    is_editable: bool = True


class Pipeline(_Entity, kw_only=True):
    id: Id | None = None
    name: Name
    sort: int | None = None
    is_main: bool = False
    is_unsorted_on: bool = True
    is_archive: bool = False
    statuses: list[Status] = []
    created_at: Timestamp | None = None


class Enum(_Entity, kw_only=True):
    id: Id | None = None
    value: Name
    sort: int | None = None
    code: str | None = None


class StageRef(_Entity, kw_only=True):
    pipeline_id: Id
    status_id: Id


class FieldGroup(_Entity, kw_only=True):
    """A field group (a card tab) of one entity type. The API names it
    ``{entity_type}_{account id}{id}``; every account also has the predefined group
    "Statistics" of each entity type, which the file does not declare."""

    id: Id | None = None
    entity_type: EntityType = "leads"
    name: Name
    sort: int | None = None


class CustomField(_Entity, kw_only=True):
    id: Id | None = None
    entity_type: EntityType = "leads"
    name: Name
    type: FieldType
    code: str | None = None
    sort: int | None = None
    group: Ref | None = None
    """A field group of the field's entity type, by id or name ("Statistics": the predefined
    one); none when left out."""
    is_api_only: bool = False
    is_deletable: bool = True
    is_predefined: bool = False
    currency: str | None = None
    remind: Literal["never", "day", "week", "month"] | None = None
    required_statuses: list[StageRef] = []
    enums: list[Enum] = []


class Tag(_Entity, kw_only=True):
    id: Id | None = None
    name: Name
    color: str | None = None
    entity_type: EntityType = "leads"


class LossReason(_Entity, kw_only=True):
    id: Id | None = None
    name: Name
    sort: int | None = None


class Source(_Entity, kw_only=True):
    id: Id | None = None
    name: Name
    external_id: Name
    pipeline: Ref | None = None
    is_default: bool = False
    origin_code: str | None = None
    services: list[dict[str, Any]] = []


class Element(_Entity, kw_only=True):
    id: Id | None = None
    name: Name


class Catalog(_Entity, kw_only=True):
    id: Id | None = None
    name: Name
    type: Literal["regular", "invoices", "products"] = "regular"
    sort: int | None = None
    elements: list[Element] = []


class FieldValues(_Entity, kw_only=True):
    """One entry of ``custom_fields_values``, as the API takes it on a write."""

    field_id: Id | None = None
    field_code: str | None = None
    values: list[dict[str, Any]] | None = None


class Note(_Entity, kw_only=True):
    """A note on the lead, contact or company that holds it. A writable type's ``params`` are
    checked as the API checks them; a system type's (``site_visit``, ``amomail_message``...)
    are kept as given, which is how such notes get into an account at all."""

    id: Id | None = None
    note_type: Name
    params: dict[str, Any] = {}
    responsible_user: Ref | None = None
    created_by: Ref | None = None
    is_pinned: bool = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class Contact(_Entity, kw_only=True):
    id: Id | None = None
    name: str = ""
    first_name: str = ""
    last_name: str = ""
    responsible_user: Ref | None = None
    custom_fields_values: list[FieldValues] = []
    tags: list[Ref] = []
    """Tags of the contacts' directory, by id or name (a name not declared is added)."""
    catalog_elements: list[LeadElement] = []
    is_deleted: bool = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    notes: list[Note] = []


class Company(_Entity, kw_only=True):
    id: Id | None = None
    name: str = ""
    responsible_user: Ref | None = None
    contacts: list[Id] = []
    custom_fields_values: list[FieldValues] = []
    tags: list[Ref] = []
    """Tags of the companies' directory, by id or name (a name not declared is added)."""
    catalog_elements: list[LeadElement] = []
    is_deleted: bool = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    notes: list[Note] = []


class LeadContact(_Entity, kw_only=True):
    id: Id
    is_main: bool = False


class LeadElement(_Entity, kw_only=True):
    """A catalog element linked to a lead, contact or company, with the link's metadata."""

    id: Id
    quantity: float = 1
    price_id: Id | None = None


class Unsorted(_Entity, kw_only=True):
    """The lead's Unsorted entry, as a complex add with ``_embedded.metadata`` makes it: listed
    while the lead is in an incoming stage (a lead with an entry and no ``status`` is put in its
    pipeline's); its pipeline, contact (the main one) and company are the lead's."""

    uid: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{1,64}$")] | None = None
    """Without one, 60 random hex characters, as the API makes them."""
    category: Literal["forms", "sip", "mail", "chats"]
    metadata: dict[str, Any] = {}
    """Kept and answered as given."""
    source_uid: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    source_name: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    created_at: Timestamp | None = None
    """Without one, the lead's ``created_at``."""


class Lead(_Entity, kw_only=True):
    """A lead. Without ``pipeline`` it is in the main pipeline; without ``status``, in its
    first stage that is neither incoming nor closed."""

    id: Id | None = None
    name: str = ""
    price: (
        Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
        | Annotated[float, msgspec.Meta(ge=0, le=2**53)]
    ) = 0
    """Whole or fractional (``100.5``); kept to the hundredth, as the API keeps it."""
    pipeline: Ref | None = None
    status: Ref | None = None
    responsible_user: Ref | None = None
    created_by: Ref | None = None
    loss_reason: Ref | None = None
    source: Ref | None = None
    score: int | None = None
    labor_cost: int | None = None
    is_deleted: bool = False
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    closed_at: Timestamp | None = None
    tags: list[Ref] = []
    contacts: list[LeadContact] = []
    company: Id | None = None
    catalog_elements: list[LeadElement] = []
    custom_fields_values: list[FieldValues] = []
    notes: list[Note] = []
    unsorted: Unsorted | None = None


class Task(_Entity, kw_only=True):
    """A task, on the lead, contact or company ``entity_type`` and ``entity_id`` name (or on
    nothing). The entity's ``closest_task_at`` is derived from its open tasks, never given."""

    id: Id | None = None
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
    complete_till: Timestamp
    entity_type: Literal["leads", "contacts", "companies"] | None = None
    entity_id: Id | None = None
    responsible_user: Ref | None = None
    created_by: Ref | None = None
    task_type_id: Annotated[int, msgspec.Meta(ge=1)] = 1
    duration: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] = 0
    is_completed: bool = False
    result: str | None = None
    """The result's text, as ``{"text": ...}`` reads it back."""
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class Webhook(_Entity, kw_only=True):
    id: Id | None = None
    destination: Name
    settings: list[str]
    sort: int = 10
    disabled: bool = False


class Token(_Entity, kw_only=True):
    """A long-lived token with a fixed ``jti``: the same id every load, so a test can name it.
    The JWT's text depends on the server's signing key; the seed's answer prints it."""

    jti: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F-]{8,64}$")]
    user: Ref | None = None
    integration: str | None = None
    days: Annotated[int, msgspec.Meta(ge=1, le=36_500)] = 365


class Account(_Entity, kw_only=True):
    id: Id | None = None
    subdomain: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
    name: str | None = None
    country: str = "US"
    currency: str = "USD"
    currency_symbol: str = "$"
    timezone: str = "UTC"
    is_unsorted_on: bool = True
    is_loss_reason_enabled: bool = True
    customers_mode: str = "disabled"
    contact_name_display_order: int = 1
    amojo_id: str | None = None
    created_at: Timestamp | None = None
    groups: list[Group] = []
    users: list[User] = []
    pipelines: list[Pipeline] = []
    field_groups: list[FieldGroup] = []
    custom_fields: list[CustomField] = []
    tags: list[Tag] = []
    loss_reasons: list[LossReason] = []
    sources: list[Source] = []
    catalogs: list[Catalog] = []
    contacts: list[Contact] = []
    companies: list[Company] = []
    leads: list[Lead] = []
    tasks: list[Task] = []
    integrations: list[str] = []
    """Client ids of integrations installed in this account."""
    webhooks: list[Webhook] = []
    tokens: list[Token] = []


class Integration(_Entity, kw_only=True):
    """An OAuth client with a fixed client id and secret, so a test's OAuth flow is the same
    every run. ``owner`` (a subdomain) makes it private to that account and installs it there."""

    client_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F-]{8,64}$")]
    secret: Annotated[str, msgspec.Meta(min_length=8, max_length=255)]
    name: Name
    redirect_uri: Name
    scopes: list[str] = msgspec.field(default_factory=lambda: ["crm", "notifications"])
    owner: str | None = None
    revocation_url: str | None = None


class SeedDocument(_Entity, kw_only=True):
    version: Literal[1] = 1
    integrations: list[Integration] = []
    accounts: list[Account] = []


def json_schema() -> dict[str, Any]:
    """The format as a JSON Schema (draft 2020-12), as published in docs/seed.schema.json."""
    schema = msgspec.json.schema(SeedDocument)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "kommodore seed file",
        **schema,
    }
