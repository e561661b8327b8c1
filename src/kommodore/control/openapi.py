"""The OpenAPI 3.1 document of the API as kommodore serves it, at ``/_kommodore/openapi.json``.

Generated, so that it cannot drift: the answers' schemas come from the msgspec Structs the
endpoints encode with (``msgspec.json.schema_components``), the ``with`` values from the sets
the services read, and every operation is keyed by the route's own path and method, which
``tests/control/test_openapi.py`` compares with the app's routes both ways and whose real
answers it validates against the document.

Written by hand, because the server builds them as dicts: the HAL collection envelope
(``http.hal.collection_body``: ``_total_items``, ``_page``, ``_page_count``, ``_links``,
``_embedded``), the page links (``http.paging.page_links``) and the problem bodies
(``http.problems.problem_body``), described by the Structs below, which the server does not
encode with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal, get_args

import msgspec
import msgspec.structs
from msgspec import UNSET, UnsetType
from starlette.requests import Request
from starlette.responses import Response

from kommodore.accounts import wire as accounts
from kommodore.accounts.service import ACCOUNT_WITH
from kommodore.catalogs import wire as catalogs
from kommodore.control import openapi_inputs as inputs
from kommodore.control import wire as control
from kommodore.control.faults import Rule
from kommodore.control.seed.document import SeedDocument
from kommodore.custom_fields import wire as custom_fields
from kommodore.events import wire as events
from kommodore.events.service import EVENT_WITH
from kommodore.http.hal import HAL_JSON
from kommodore.http.problems import PROBLEM_JSON
from kommodore.leads import wire as leads
from kommodore.leads.service import LEAD_WITH
from kommodore.links import wire as links
from kommodore.loss_reasons import wire as loss_reasons
from kommodore.notes import wire as notes
from kommodore.notes.store import KINDS as NOTE_PARENTS
from kommodore.oauth import wire as oauth
from kommodore.parties import service as party_service
from kommodore.parties import wire as parties
from kommodore.pipelines import wire as pipelines
from kommodore.pipelines.service import STATUS_WITH
from kommodore.sources import wire as sources
from kommodore.tags import wire as tags
from kommodore.tasks import wire as tasks
from kommodore.users import wire as users
from kommodore.users.service import USER_WITH
from kommodore.webhooks import wire as webhooks
from kommodore.webhooks.store import Delivery, WebhookRow

JSON = "application/json"
REF = "#/components/schemas/{name}"
PATH = "/_kommodore/openapi.json"

DESCRIBED_PREFIXES = ("/api/v4/", "/oauth2/", "/admin/", "/_kommodore/")
"""The routes the document describes; the others are the consent pages' HTML (``/oauth``),
``/healthz``, ``/metrics`` and the console's pages (below)."""
CONSOLE_PREFIX = "/_kommodore/console"
"""The console's HTML pages and the calls its script makes: a browser's, not an API."""


def described(path: str) -> bool:
    return path.startswith(DESCRIBED_PREFIXES) and not path.startswith(CONSOLE_PREFIX)


# -- the bodies the server builds as dicts -----------------------------------------------------


class ValidationError(msgspec.Struct):
    code: str
    path: str
    detail: str


class ItemValidationErrors(msgspec.Struct):
    request_id: str
    errors: list[ValidationError]


class ProblemBody(msgspec.Struct, kw_only=True):
    """``http.problems.problem_body``: Kommo's problem+json. ``validation-errors`` on a
    refused batch, ``errors`` in Kommo's keyed form, ``retry_after`` on a 429 or a rate-limit
    403, ``lead_ids`` on the admin deletes, ``problems`` on a refused seed document."""

    validation_errors: list[ItemValidationErrors] | UnsetType = msgspec.field(
        default=UNSET, name="validation-errors"
    )
    errors: dict[str, str] | UnsetType = UNSET
    title: str
    type: str
    status: int
    detail: str
    retry_after: int | UnsetType = UNSET
    lead_ids: list[int] | UnsetType = UNSET
    problems: list[control.SeedProblem] | UnsetType = UNSET


class OAuthProblem(msgspec.Struct, kw_only=True):
    """``oauth.service.OAuthError.body``: Kommo's OAuth errors, plain ``application/json``."""

    hint: str
    title: str
    type: str
    status: int
    detail: str


PAGE_LINKS: dict[str, Any] = {
    "type": "object",
    "description": "http.paging.page_links: self always; next when another page exists; "
    "first and prev from page 2; last where the endpoint counts its pages",
    "properties": {
        name: {"$ref": REF.format(name="Href")}
        for name in ("self", "next", "first", "prev", "last")
    },
    "required": ["self"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Collection:
    """A HAL collection as ``http.hal.collection_body`` builds it: ``items`` under
    ``_embedded[key]``, with the counters the endpoint's envelope has."""

    name: str
    key: str
    item: Any
    counters: tuple[Literal["_total_items", "_page", "_page_count"], ...] = ()


@dataclass(frozen=True)
class Schema:
    """A schema written out, for the few answers no Struct describes."""

    schema: dict[str, Any]


@dataclass(frozen=True)
class AnyOf:
    """One of several untagged Structs (msgspec describes only tagged unions)."""

    types: tuple[type, ...]


@dataclass(frozen=True)
class Namespaced:
    """A Struct whose family of models reuses the API's names (the seed document's ``Lead``,
    ``Account``...): described in a pass of its own, its components named ``prefix.Name``."""

    prefix: str
    type: type


Body = Any
"""An answer's body: a Struct or a ``list[...]``/union of them, a collection, or a schema."""


# -- the operations -----------------------------------------------------------------------------

KOMMO = "kommoBearer"
CONTROL = "controlToken"
BASIC = "clientBasic"


@dataclass(frozen=True)
class Op:
    """One operation: its answers by status, its query parameters and body, the statuses it
    answers with an error body, and the security scheme it takes (None: none)."""

    tag: str
    summary: str
    answers: dict[int, Body | None]
    """Status -> body; None: no body (204)."""
    query: tuple[dict[str, Any], ...] = ()
    body: Body | None = None
    errors: tuple[int, ...] = ()
    security: str | None = KOMMO
    media: str = HAL_JSON
    problem_media: str = PROBLEM_JSON
    headers: tuple[dict[str, Any], ...] = ()
    also: tuple[str, ...] = ()
    """More media types the body and the successful answers may come in, with one schema."""


def _param(name: str, schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **extra}


def with_(values: Iterable[str]) -> dict[str, Any]:
    """``with``: one comma-separated parameter; values the endpoint does not know are ignored."""
    return _param(
        "with",
        {"type": "array", "items": {"type": "string", "enum": sorted(values)}},
        "Comma-separated: what to add to the answer",
        style="form",
        explode=False,
    )


PAGE = _param("page", {"type": "integer", "minimum": 1, "default": 1}, "1-based page")


def limit(maximum: int, default: int = 50) -> dict[str, Any]:
    return _param(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
        f"Items a page; more than {maximum} is taken as {maximum}",
    )


def filter_(*names: str) -> dict[str, Any]:
    """``filter[...]`` in PHP's bracket style (OpenAPI's deepObject): single values,
    ``[]`` lists, ``[from]``/``[to]`` ranges."""
    return _param(
        "filter",
        {"type": "object", "properties": {name: {} for name in names}},
        "PHP-style: filter[id]=1, filter[id][]=1&filter[id][]=2, "
        "filter[created_at][from]=...&filter[created_at][to]=...",
        style="deepObject",
        explode=True,
    )


def order(*names: str) -> dict[str, Any]:
    return _param(
        "order",
        {
            "type": "object",
            "properties": {name: {"enum": ["asc", "desc"]} for name in names},
            "maxProperties": 1,
        },
        "order[<field>]=asc|desc",
        style="deepObject",
        explode=True,
    )


QUERY = _param(
    "query", {"type": ["string", "integer"]}, "Full-text search over the lead's filled fields"
)

LEAD_FILTERS = (
    "id",
    "name",
    "price",
    "statuses",
    "pipeline_id",
    "created_by",
    "updated_by",
    "responsible_user_id",
    "created_at",
    "updated_at",
    "closed_at",
    "closest_task_at",
    "custom_fields_values",
)

API_ERRORS = (400, 401, 402, 403, 429)
"""Every API request: a bad query or body, the token, the account's paid period, rights or a
rate-limit block, the requests-a-second limit."""
WRITE_ERRORS = (*API_ERRORS, 413)
ONE_ERRORS = (*API_ERRORS, 404)
ONE_WRITE_ERRORS = (*WRITE_ERRORS, 404)
CONTROL_ERRORS = (400, 401)


def _api(
    tag: str,
    summary: str,
    answers: dict[int, Body | None],
    errors: tuple[int, ...],
    **kw: Any,
) -> Op:
    return Op(tag, summary, answers, errors=errors, **kw)


def _control(summary: str, answers: dict[int, Body | None], *errors: int, **kw: Any) -> Op:
    return Op(
        "control",
        summary,
        answers,
        errors=(*CONTROL_ERRORS, *errors),
        security=CONTROL,
        media=JSON,
        **kw,
    )


LEAD = AnyOf((leads.Lead, leads.DeletedLead))
LEADS_PAGE = Collection("LeadsPage", "leads", LEAD, ("_page",))
LEADS_ADDED = Collection("LeadsAdded", "leads", leads.CreatedLead)
LEADS_EDITED = Collection("LeadsEdited", "leads", leads.UpdatedLead)
PIPELINES = Collection("Pipelines", "pipelines", pipelines.Pipeline, ("_total_items",))
STATUSES = Collection("Statuses", "statuses", pipelines.Status, ("_total_items",))
LOSS_REASONS = Collection("LossReasons", "loss_reasons", loss_reasons.LossReason, ("_total_items",))
SOURCES = Collection("Sources", "sources", sources.Source, ("_total_items",))
FIELDS_PAGE = Collection(
    "CustomFieldsPage",
    "custom_fields",
    custom_fields.CustomField,
    ("_total_items", "_page", "_page_count"),
)
FIELDS = Collection("CustomFields", "custom_fields", custom_fields.CustomField, ("_total_items",))
FIELD_GROUPS_PAGE = Collection(
    "CustomFieldGroupsPage",
    "custom_field_groups",
    custom_fields.CustomFieldGroup,
    ("_total_items", "_page", "_page_count"),
)
FIELD_GROUPS = Collection(
    "CustomFieldGroups", "custom_field_groups", custom_fields.CustomFieldGroup, ("_total_items",)
)
TAGS_PAGE = Collection("TagsPage", "tags", tags.Tag, ("_page",))
TAGS = Collection("Tags", "tags", tags.Tag, ("_total_items",))
USERS_PAGE = Collection("UsersPage", "users", users.User, ("_total_items", "_page", "_page_count"))
CATALOGS_PAGE = Collection("CatalogsPage", "catalogs", catalogs.Catalog, ("_page",))
ELEMENTS_PAGE = Collection("CatalogElementsPage", "elements", catalogs.Element, ("_page",))
LINKS = Collection("Links", "links", links.Link, ("_total_items",))
EVENTS_PAGE = Collection("EventsPage", "events", events.Event, ("_page",))
UNSORTED_PAGE = Collection("UnsortedPage", "unsorted", leads.Unsorted, ("_page",))
PARTY = AnyOf((parties.Party, parties.DeletedParty))
CONTACTS_PAGE = Collection("ContactsPage", "contacts", PARTY, ("_page",))
COMPANIES_PAGE = Collection("CompaniesPage", "companies", PARTY, ("_page",))
CONTACTS_ADDED = Collection("ContactsAdded", "contacts", parties.AddedContact)
CONTACTS_EDITED = Collection("ContactsEdited", "contacts", parties.EditedContact)
COMPANIES_ADDED = Collection("CompaniesAdded", "companies", parties.AddedCompany)
COMPANIES_EDITED = Collection("CompaniesEdited", "companies", parties.EditedCompany)
PARTY_BATCH = list[inputs.PartyWriteInput]
PARTY_FILTERS = (
    "id", "name", "created_by", "updated_by", "responsible_user_id", "created_at",
    "updated_at", "closest_task_at", "custom_fields_values",
)  # fmt: skip
EVENT_TYPES = Collection("EventTypes", "events_types", events.EventType, ("_total_items",))

TASKS_PAGE = Collection("TasksPage", "tasks", tasks.Task, ("_page",))
TASKS_ADDED = Collection("TasksAdded", "tasks", tasks.CreatedTask)
TASKS_EDITED = Collection("TasksEdited", "tasks", tasks.UpdatedTask)
TASK_TYPES = Collection("TaskTypes", "task_types", tasks.TaskType, ("_total_items",))
TASK_FILTERS = (
    "id",
    "responsible_user_id",
    "created_by",
    "is_completed",
    "task_type",
    "task_type_id",
    "entity_type",
    "entity_id",
    "updated_at",
    "complete_till",
    "lead_statuses",
)

LEAD_BATCH = list[inputs.LeadInput]
SEED = Namespaced("seed", SeedDocument)
NOTES_PAGE = Collection("NotesPage", "notes", notes.Note, ("_page",))
NOTES_ADDED = Collection("NotesAdded", "notes", notes.CreatedNote)
NOTES_EDITED = Collection("NotesEdited", "notes", notes.UpdatedNote)
NOTE_BATCH = list[inputs.NoteInput]
NOTE_WITH = with_(("is_pinned",))
NOTE_QUERY = (
    NOTE_WITH, PAGE, limit(250), filter_("id", "entity_id", "note_type", "updated_at"),
    order("updated_at", "id"),
)  # fmt: skip


def _field_group_operations(kind: str) -> dict[tuple[str, str], Op]:
    """The field groups of each entity type with fields (``leads``, ``contacts``,
    ``companies``); a group's id is a string."""
    base = f"/api/v4/{kind}/custom_fields/groups"
    one = f"{base}/{{group_id}}"
    return {
        ("GET", base): _api(
            "custom_fields", f"The field groups of {kind}, the predefined one first",
            {200: FIELD_GROUPS_PAGE, 204: None}, API_ERRORS, query=(PAGE, limit(50)),
        ),
        ("POST", base): _api(
            "custom_fields", "Add up to 50 field groups (admins only)", {200: FIELD_GROUPS},
            WRITE_ERRORS, body=list[inputs.FieldGroupInput],
        ),
        ("GET", one): _api(
            "custom_fields", "A field group", {200: custom_fields.CustomFieldGroup}, ONE_ERRORS
        ),
        ("PATCH", one): _api(
            "custom_fields", "Edit a field group, or move fields into it (admins only)",
            {200: custom_fields.CustomFieldGroup}, ONE_WRITE_ERRORS, body=inputs.FieldGroupInput,
        ),
        ("DELETE", one): _api(
            "custom_fields", "Delete a field group; its fields stay, in no group (admins only)",
            {204: None}, ONE_ERRORS,
        ),
    }  # fmt: skip


def _note_operations(kind: str) -> dict[tuple[str, str], Op]:
    """The same notes paths on each parent type (``leads``, ``contacts``, ``companies``)."""
    base = f"/api/v4/{kind}"
    one = f"{base}/{{entity_id:int}}"
    return {
        ("GET", f"{base}/notes"): _api(
            "notes", f"Notes of {kind} the user may view; 204 when the page is empty",
            {200: NOTES_PAGE, 204: None}, API_ERRORS, query=NOTE_QUERY,
        ),
        ("POST", f"{base}/notes"): _api(
            "notes", "Add up to 250 notes, each naming its entity_id; all or nothing",
            {200: NOTES_ADDED}, WRITE_ERRORS, body=NOTE_BATCH,
        ),
        ("PATCH", f"{base}/notes"): _api(
            "notes", "Edit up to 250 notes, each naming its id", {200: NOTES_EDITED},
            WRITE_ERRORS, body=NOTE_BATCH,
        ),
        ("GET", f"{one}/notes"): _api(
            "notes", "One entity's notes; 204 when the page is empty",
            {200: NOTES_PAGE, 204: None}, API_ERRORS, query=NOTE_QUERY,
        ),
        ("POST", f"{one}/notes"): _api(
            "notes", "Add up to 250 notes to this entity", {200: NOTES_ADDED}, WRITE_ERRORS,
            body=NOTE_BATCH,
        ),
        ("PATCH", f"{one}/notes"): _api(
            "notes", "Edit up to 250 of this entity's notes", {200: NOTES_EDITED},
            WRITE_ERRORS, body=NOTE_BATCH,
        ),
        ("GET", f"{base}/notes/{{note_id:int}}"): _api(
            "notes", "A note; 204 when unknown or hidden", {200: notes.Note, 204: None},
            API_ERRORS, query=(NOTE_WITH,),
        ),
        ("GET", f"{one}/notes/{{note_id:int}}"): _api(
            "notes", "A note of this entity; 204 when unknown or hidden",
            {200: notes.Note, 204: None}, API_ERRORS, query=(NOTE_WITH,),
        ),
        ("PATCH", f"{one}/notes/{{note_id:int}}"): _api(
            "notes", "Edit one note", {200: notes.UpdatedNote}, ONE_WRITE_ERRORS,
            body=inputs.NoteInput,
        ),
        ("POST", f"{base}/notes/{{note_id:int}}/pin"): _api(
            "notes", "Pin a note", {204: None}, ONE_ERRORS
        ),
        ("POST", f"{base}/notes/{{note_id:int}}/unpin"): _api(
            "notes", "Unpin a note", {204: None}, ONE_ERRORS
        ),
    }  # fmt: skip


YAML = "application/yaml"

OPERATIONS: dict[tuple[str, str], Op] = {
    # leads
    ("GET", "/api/v4/leads"): _api(
        "leads",
        "Leads, a page at a time; rights applied; 204 when the page is empty",
        {200: LEADS_PAGE, 204: None},
        API_ERRORS,
        query=(
            with_(LEAD_WITH),
            PAGE,
            limit(250),
            QUERY,
            filter_(*LEAD_FILTERS),
            order("created_at", "updated_at", "id"),
        ),
    ),
    ("POST", "/api/v4/leads"): _api(
        "leads",
        "Add up to 250 leads, all or nothing",
        {200: LEADS_ADDED},
        WRITE_ERRORS,
        body=LEAD_BATCH,
    ),
    ("PATCH", "/api/v4/leads"): _api(
        "leads",
        "Edit up to 250 leads, each naming its id",
        {200: LEADS_EDITED},
        WRITE_ERRORS,
        body=LEAD_BATCH,
    ),
    ("POST", "/api/v4/leads/complex"): _api(
        "leads",
        "Add up to 50 leads, each with a new or existing contact and company",
        {200: list[leads.ComplexResult]},
        WRITE_ERRORS,
        body=LEAD_BATCH,
    ),
    ("GET", "/api/v4/leads/unsorted"): _api(
        "leads",
        "Unsorted: the incoming leads complex adds made, while still incoming; those of leads the "
        "user may view; 204 when the page is empty",
        {200: UNSORTED_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(250), filter_("uid", "category", "pipeline_id"), order("created_at")),
    ),
    ("GET", "/api/v4/leads/unsorted/{uid:str}"): _api(
        "leads",
        "An unsorted entry by its uid; 204 when unknown, accepted, declined or hidden",
        {200: leads.Unsorted, 204: None},
        API_ERRORS,
    ),
    ("GET", "/api/v4/leads/{lead_id:int}"): _api(
        "leads",
        "A lead; 204 for an unknown, deleted or hidden one",
        {200: LEAD, 204: None},
        API_ERRORS,
        query=(with_(LEAD_WITH),),
    ),
    ("PATCH", "/api/v4/leads/{lead_id:int}"): _api(
        "leads", "Edit one lead", {200: leads.UpdatedLead}, WRITE_ERRORS, body=inputs.LeadInput
    ),
    # tasks
    ("GET", "/api/v4/tasks"): _api(
        "tasks",
        "Tasks, a page at a time (every user sees every task); 204 when the page is empty",
        {200: TASKS_PAGE, 204: None},
        API_ERRORS,
        query=(
            PAGE,
            limit(250),
            filter_(*TASK_FILTERS),
            order("created_at", "updated_at", "complete_till", "id"),
        ),
    ),
    ("POST", "/api/v4/tasks"): _api(
        "tasks",
        "Add up to 250 tasks, all or nothing",
        {200: TASKS_ADDED},
        WRITE_ERRORS,
        body=list[inputs.TaskInput],
    ),
    ("PATCH", "/api/v4/tasks"): _api(
        "tasks",
        "Edit or complete up to 250 tasks, each naming its id",
        {200: TASKS_EDITED},
        WRITE_ERRORS,
        body=list[inputs.TaskInput],
    ),
    ("GET", "/api/v4/tasks/types"): _api(
        "tasks", "The account's task types (read-only)", {200: TASK_TYPES}, API_ERRORS
    ),
    ("GET", "/api/v4/tasks/{task_id:int}"): _api(
        "tasks",
        "A task; 204 for an unknown one or one of a deleted entity",
        {200: tasks.Task, 204: None},
        API_ERRORS,
    ),
    ("PATCH", "/api/v4/tasks/{task_id:int}"): _api(
        "tasks",
        "Edit or complete one task",
        {200: tasks.UpdatedTask},
        WRITE_ERRORS,
        body=inputs.TaskInput,
    ),
    # the account and its users
    ("GET", "/api/v4/account"): _api(
        "account",
        "The account",
        {200: accounts.Account},
        API_ERRORS,
        query=(with_(ACCOUNT_WITH),),
    ),
    ("GET", "/api/v4/users"): _api(
        "users",
        "The account's users (admins only)",
        {200: USERS_PAGE, 204: None},
        API_ERRORS,
        query=(with_(USER_WITH), PAGE, limit(250)),
    ),
    ("GET", "/api/v4/users/{user_id:int}"): _api(
        "users",
        "A user (admins only); 204 when unknown",
        {200: users.User, 204: None},
        API_ERRORS,
        query=(with_(USER_WITH),),
    ),
    ("GET", "/api/v4/users/{user_id:int}/"): _api(
        "users",
        "A user, with the trailing slash Kommo's SDK sends",
        {200: users.User, 204: None},
        API_ERRORS,
        query=(with_(USER_WITH),),
    ),
    # pipelines and statuses
    ("GET", "/api/v4/leads/pipelines"): _api(
        "pipelines", "Every pipeline with its statuses", {200: PIPELINES}, API_ERRORS
    ),
    ("POST", "/api/v4/leads/pipelines"): _api(
        "pipelines",
        "Add up to 50 pipelines (admins only)",
        {200: PIPELINES},
        WRITE_ERRORS,
        body=list[inputs.PipelineInput],
    ),
    ("GET", "/api/v4/leads/pipelines/{pipeline_id:int}"): _api(
        "pipelines", "A pipeline", {200: pipelines.Pipeline}, ONE_ERRORS
    ),
    ("PATCH", "/api/v4/leads/pipelines/{pipeline_id:int}"): _api(
        "pipelines",
        "Edit a pipeline (admins only)",
        {200: pipelines.Pipeline},
        ONE_WRITE_ERRORS,
        body=inputs.PipelineInput,
    ),
    ("DELETE", "/api/v4/leads/pipelines/{pipeline_id:int}"): _api(
        "pipelines", "Delete a pipeline (admins only)", {204: None}, ONE_ERRORS
    ),
    ("GET", "/api/v4/leads/pipelines/{pipeline_id:int}/statuses"): _api(
        "pipelines",
        "A pipeline's statuses",
        {200: STATUSES},
        ONE_ERRORS,
        query=(with_(STATUS_WITH),),
    ),
    ("POST", "/api/v4/leads/pipelines/{pipeline_id:int}/statuses"): _api(
        "pipelines",
        "Add up to 100 statuses (admins only)",
        {200: STATUSES},
        ONE_WRITE_ERRORS,
        body=list[inputs.StatusInput],
    ),
    ("GET", "/api/v4/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}"): _api(
        "pipelines",
        "A status",
        {200: pipelines.Status},
        ONE_ERRORS,
        query=(with_(STATUS_WITH),),
    ),
    ("PATCH", "/api/v4/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}"): _api(
        "pipelines",
        "Edit a status (admins only)",
        {200: pipelines.Status},
        ONE_WRITE_ERRORS,
        body=inputs.StatusInput,
    ),
    ("DELETE", "/api/v4/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}"): _api(
        "pipelines", "Delete a status (admins only)", {204: None}, ONE_ERRORS
    ),
    # loss reasons
    ("GET", "/api/v4/leads/loss_reasons"): _api(
        "loss_reasons", "Every loss reason", {200: LOSS_REASONS}, API_ERRORS
    ),
    ("POST", "/api/v4/leads/loss_reasons"): _api(
        "loss_reasons",
        "Add up to 250 loss reasons (admins only)",
        {200: LOSS_REASONS},
        WRITE_ERRORS,
        body=list[inputs.LossReasonInput],
    ),
    ("GET", "/api/v4/leads/loss_reasons/{reason_id:int}"): _api(
        "loss_reasons", "A loss reason", {200: loss_reasons.LossReason}, ONE_ERRORS
    ),
    ("PATCH", "/api/v4/leads/loss_reasons/{reason_id:int}"): _api(
        "loss_reasons",
        "Edit a loss reason (admins only)",
        {200: loss_reasons.LossReason},
        ONE_WRITE_ERRORS,
        body=inputs.LossReasonInput,
    ),
    ("DELETE", "/api/v4/leads/loss_reasons/{reason_id:int}"): _api(
        "loss_reasons", "Delete a loss reason (admins only)", {204: None}, ONE_ERRORS
    ),
    # sources
    ("GET", "/api/v4/sources"): _api(
        "sources",
        "The integration's sources (admins only); 204 when none match",
        {200: SOURCES, 204: None},
        API_ERRORS,
        query=(filter_("external_id"),),
    ),
    ("POST", "/api/v4/sources"): _api(
        "sources",
        "Add up to 50 sources (admins only)",
        {200: SOURCES},
        WRITE_ERRORS,
        body=list[inputs.SourceWriteInput],
    ),
    ("PATCH", "/api/v4/sources"): _api(
        "sources",
        "Edit sources, each naming its id (admins only)",
        {200: SOURCES},
        WRITE_ERRORS,
        body=list[inputs.SourceWriteInput],
    ),
    ("DELETE", "/api/v4/sources"): _api(
        "sources",
        "Delete sources named by id (admins only)",
        {204: None},
        WRITE_ERRORS,
        body=list[inputs.IdInput],
    ),
    ("GET", "/api/v4/sources/{source_id:int}"): _api(
        "sources",
        "A source (admins only); 204 when unknown or another integration's",
        {200: sources.Source, 204: None},
        API_ERRORS,
    ),
    ("PATCH", "/api/v4/sources/{source_id:int}"): _api(
        "sources",
        "Edit a source (admins only)",
        {200: sources.Source},
        ONE_WRITE_ERRORS,
        body=inputs.SourceWriteInput,
    ),
    ("DELETE", "/api/v4/sources/{source_id:int}"): _api(
        "sources", "Delete a source (admins only)", {204: None}, ONE_ERRORS
    ),
    # custom fields
    ("GET", "/api/v4/leads/custom_fields"): _api(
        "custom_fields",
        "The leads' custom fields, 50 a page at most",
        {200: FIELDS_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(50), filter_("type"), order("sort", "id")),
    ),
    ("POST", "/api/v4/leads/custom_fields"): _api(
        "custom_fields",
        "Add up to 50 fields (admins only)",
        {201: FIELDS},
        WRITE_ERRORS,
        body=list[inputs.CustomFieldInput],
    ),
    ("PATCH", "/api/v4/leads/custom_fields"): _api(
        "custom_fields",
        "Edit fields, each naming its id (admins only)",
        {200: FIELDS},
        WRITE_ERRORS,
        body=list[inputs.CustomFieldInput],
    ),
    ("GET", "/api/v4/contacts/custom_fields"): _api(
        "custom_fields",
        "The contacts' custom fields (the predefined PHONE and EMAIL among them)",
        {200: FIELDS_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(50), filter_("type"), order("sort", "id")),
    ),
    ("GET", "/api/v4/contacts/custom_fields/{field_id:int}"): _api(
        "custom_fields", "A field of contacts", {200: custom_fields.CustomField}, ONE_ERRORS
    ),
    ("POST", "/api/v4/contacts/custom_fields"): _api(
        "custom_fields",
        "Add up to 50 fields of contacts (admins only)",
        {201: FIELDS},
        WRITE_ERRORS,
        body=list[inputs.CustomFieldInput],
    ),
    ("PATCH", "/api/v4/contacts/custom_fields"): _api(
        "custom_fields",
        "Edit fields of contacts, each naming its id (admins only)",
        {200: FIELDS},
        WRITE_ERRORS,
        body=list[inputs.CustomFieldInput],
    ),
    ("PATCH", "/api/v4/contacts/custom_fields/{field_id:int}"): _api(
        "custom_fields",
        "Edit a field of contacts (admins only)",
        {200: custom_fields.CustomField},
        ONE_WRITE_ERRORS,
        body=inputs.CustomFieldInput,
    ),
    ("DELETE", "/api/v4/contacts/custom_fields/{field_id:int}"): _api(
        "custom_fields",
        "Delete a field of contacts; predefined fields are refused (admins only)",
        {204: None},
        ONE_ERRORS,
    ),
    ("GET", "/api/v4/companies/custom_fields"): _api(
        "custom_fields",
        "The companies' custom fields (the predefined PHONE and EMAIL among them)",
        {200: FIELDS_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(50), filter_("type"), order("sort", "id")),
    ),
    ("GET", "/api/v4/companies/custom_fields/{field_id:int}"): _api(
        "custom_fields", "A field of companies", {200: custom_fields.CustomField}, ONE_ERRORS
    ),
    ("POST", "/api/v4/companies/custom_fields"): _api(
        "custom_fields",
        "Add up to 50 fields of companies (admins only)",
        {201: FIELDS},
        WRITE_ERRORS,
        body=list[inputs.CustomFieldInput],
    ),
    ("PATCH", "/api/v4/companies/custom_fields"): _api(
        "custom_fields",
        "Edit fields of companies, each naming its id (admins only)",
        {200: FIELDS},
        WRITE_ERRORS,
        body=list[inputs.CustomFieldInput],
    ),
    ("PATCH", "/api/v4/companies/custom_fields/{field_id:int}"): _api(
        "custom_fields",
        "Edit a field of companies (admins only)",
        {200: custom_fields.CustomField},
        ONE_WRITE_ERRORS,
        body=inputs.CustomFieldInput,
    ),
    ("DELETE", "/api/v4/companies/custom_fields/{field_id:int}"): _api(
        "custom_fields",
        "Delete a field of companies; predefined fields are refused (admins only)",
        {204: None},
        ONE_ERRORS,
    ),
    ("GET", "/api/v4/leads/custom_fields/{field_id:int}"): _api(
        "custom_fields", "A field", {200: custom_fields.CustomField}, ONE_ERRORS
    ),
    ("PATCH", "/api/v4/leads/custom_fields/{field_id:int}"): _api(
        "custom_fields",
        "Edit a field (admins only)",
        {200: custom_fields.CustomField},
        ONE_WRITE_ERRORS,
        body=inputs.CustomFieldInput,
    ),
    ("DELETE", "/api/v4/leads/custom_fields/{field_id:int}"): _api(
        "custom_fields", "Delete a field (admins only)", {204: None}, ONE_ERRORS
    ),
    # tags
    ("GET", "/api/v4/leads/tags"): _api(
        "tags",
        "The leads' tags, a page at a time",
        {200: TAGS_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(250), filter_("id", "name"), QUERY),
    ),
    ("POST", "/api/v4/leads/tags"): _api(
        "tags", "Add tags", {200: TAGS}, WRITE_ERRORS, body=list[inputs.TagWriteInput]
    ),
    ("GET", "/api/v4/contacts/tags"): _api(
        "tags",
        "The contacts' tags, a page at a time (colour always null)",
        {200: TAGS_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(250), filter_("id", "name"), QUERY),
    ),
    ("POST", "/api/v4/contacts/tags"): _api(
        "tags",
        "Add tags to the contacts' directory",
        {200: TAGS},
        WRITE_ERRORS,
        body=list[inputs.TagWriteInput],
    ),
    ("GET", "/api/v4/companies/tags"): _api(
        "tags",
        "The companies' tags, a page at a time (colour always null)",
        {200: TAGS_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(250), filter_("id", "name"), QUERY),
    ),
    ("POST", "/api/v4/companies/tags"): _api(
        "tags",
        "Add tags to the companies' directory",
        {200: TAGS},
        WRITE_ERRORS,
        body=list[inputs.TagWriteInput],
    ),
    # catalogs and the entities a lead links to
    ("GET", "/api/v4/catalogs"): _api(
        "catalogs",
        "The catalogs",
        {200: CATALOGS_PAGE, 204: None},
        API_ERRORS,
        query=(PAGE, limit(250)),
    ),
    ("GET", "/api/v4/catalogs/{catalog_id:int}"): _api(
        "catalogs", "A catalog; 404 when unknown", {200: catalogs.Catalog}, ONE_ERRORS
    ),
    ("GET", "/api/v4/catalogs/{catalog_id:int}/elements"): _api(
        "catalogs",
        "A catalog's elements",
        {200: ELEMENTS_PAGE, 204: None},
        ONE_ERRORS,
        query=(PAGE, limit(250), filter_("id"), QUERY),
    ),
    ("GET", "/api/v4/contacts"): _api(
        "contacts",
        "Contacts, a page at a time; view rights applied; 204 when the page is empty",
        {200: CONTACTS_PAGE, 204: None},
        API_ERRORS,
        query=(
            with_(party_service.WITH_KEYS["contacts"] | {"only_deleted"}),
            PAGE,
            limit(250),
            QUERY,
            filter_(*PARTY_FILTERS),
            order("updated_at", "id"),
        ),
    ),
    ("GET", "/api/v4/catalogs/{catalog_id:int}/elements/{element_id:int}"): _api(
        "catalogs",
        "A catalog's element; 204 when the catalog does not hold it, 404 for an unknown catalog",
        {200: catalogs.Element, 204: None},
        ONE_ERRORS,
    ),
    ("GET", "/api/v4/contacts/{contact_id:int}"): _api(
        "contacts",
        "A contact; 204 when unknown",
        {200: PARTY, 204: None},
        API_ERRORS,
        query=(with_(party_service.WITH_KEYS["contacts"] | {"only_deleted"}),),
    ),
    ("GET", "/api/v4/companies"): _api(
        "companies",
        "Companies, a page at a time; view rights applied; 204 when the page is empty",
        {200: COMPANIES_PAGE, 204: None},
        API_ERRORS,
        query=(
            with_(party_service.WITH_KEYS["companies"] | {"only_deleted"}),
            PAGE,
            limit(250),
            QUERY,
            filter_(*PARTY_FILTERS),
            order("updated_at", "id"),
        ),
    ),
    ("GET", "/api/v4/companies/{company_id:int}"): _api(
        "companies",
        "A company; 204 when unknown",
        {200: PARTY, 204: None},
        API_ERRORS,
        query=(with_(party_service.WITH_KEYS["companies"] | {"only_deleted"}),),
    ),
    ("POST", "/api/v4/contacts"): _api(
        "contacts",
        "Add up to 250 contacts, all or nothing",
        {200: CONTACTS_ADDED},
        WRITE_ERRORS,
        body=PARTY_BATCH,
    ),
    ("PATCH", "/api/v4/contacts"): _api(
        "contacts",
        "Edit up to 250 contacts, each naming its id",
        {200: CONTACTS_EDITED},
        WRITE_ERRORS,
        body=PARTY_BATCH,
    ),
    ("PATCH", "/api/v4/contacts/{contact_id:int}"): _api(
        "contacts",
        "Edit one contact; an array body is 405",
        {200: parties.EditedContact},
        (*WRITE_ERRORS, 405),
        body=inputs.PartyWriteInput,
    ),
    ("POST", "/api/v4/companies"): _api(
        "companies",
        "Add up to 250 companies, all or nothing",
        {200: COMPANIES_ADDED},
        WRITE_ERRORS,
        body=PARTY_BATCH,
    ),
    ("PATCH", "/api/v4/companies"): _api(
        "companies",
        "Edit up to 250 companies, each naming its id",
        {200: COMPANIES_EDITED},
        WRITE_ERRORS,
        body=PARTY_BATCH,
    ),
    ("PATCH", "/api/v4/companies/{company_id:int}"): _api(
        "companies",
        "Edit one company; an array body is 405",
        {200: parties.EditedCompany},
        (*WRITE_ERRORS, 405),
        body=inputs.PartyWriteInput,
    ),
    # links
    ("GET", "/api/v4/contacts/links"): _api(
        "links",
        "The links of the contacts filter[entity_id] names",
        {200: LINKS, 204: None},
        API_ERRORS,
        query=(filter_("entity_id", "to_entity_id", "to_entity_type"),),
    ),
    ("GET", "/api/v4/contacts/{contact_id:int}/links"): _api(
        "links",
        "What one of the contacts is linked to (the leads' links from the other end)",
        {200: LINKS, 204: None},
        API_ERRORS,
        query=(filter_("to_entity_id", "to_entity_type"),),
    ),
    ("GET", "/api/v4/companies/links"): _api(
        "links",
        "The links of the companies filter[entity_id] names",
        {200: LINKS, 204: None},
        API_ERRORS,
        query=(filter_("entity_id", "to_entity_id", "to_entity_type"),),
    ),
    ("GET", "/api/v4/companies/{company_id:int}/links"): _api(
        "links",
        "What one of the companies is linked to (the leads' links from the other end)",
        {200: LINKS, 204: None},
        API_ERRORS,
        query=(filter_("to_entity_id", "to_entity_type"),),
    ),
    ("GET", "/api/v4/leads/links"): _api(
        "links",
        "The links of the leads filter[entity_id] names",
        {200: LINKS, 204: None},
        API_ERRORS,
        query=(filter_("entity_id", "to_entity_id", "to_entity_type"),),
    ),
    ("GET", "/api/v4/leads/{lead_id:int}/links"): _api(
        "links",
        "A lead's links, a page at a time",
        {200: LINKS, 204: None},
        ONE_ERRORS,
        query=(PAGE, limit(250), filter_("to_entity_id", "to_entity_type")),
    ),
    ("POST", "/api/v4/leads/link"): _api(
        "links",
        "Link leads (each item names its lead)",
        {200: LINKS},
        ONE_WRITE_ERRORS,
        body=list[inputs.LinkInput],
    ),
    ("POST", "/api/v4/leads/unlink"): _api(
        "links", "Unlink leads", {204: None}, ONE_WRITE_ERRORS, body=list[inputs.LinkInput]
    ),
    ("POST", "/api/v4/leads/{lead_id:int}/link"): _api(
        "links", "Link a lead", {200: LINKS}, ONE_WRITE_ERRORS, body=list[inputs.LinkInput]
    ),
    ("POST", "/api/v4/leads/{lead_id:int}/unlink"): _api(
        "links", "Unlink a lead", {204: None}, ONE_WRITE_ERRORS, body=list[inputs.LinkInput]
    ),
    ("POST", "/api/v4/contacts/link"): _api(
        "links",
        "Link contacts (each item names its contact in entity_id)",
        {200: LINKS},
        ONE_WRITE_ERRORS,
        body=list[inputs.LinkInput],
    ),
    ("POST", "/api/v4/contacts/unlink"): _api(
        "links", "Unlink contacts", {204: None}, ONE_WRITE_ERRORS, body=list[inputs.LinkInput]
    ),
    ("POST", "/api/v4/companies/link"): _api(
        "links",
        "Link companies (each item names its company in entity_id)",
        {200: LINKS},
        ONE_WRITE_ERRORS,
        body=list[inputs.LinkInput],
    ),
    ("POST", "/api/v4/companies/unlink"): _api(
        "links", "Unlink companies", {204: None}, ONE_WRITE_ERRORS, body=list[inputs.LinkInput]
    ),
    ("POST", "/api/v4/contacts/{contact_id:int}/link"): _api(
        "links",
        "Link a contact (to leads or the other party)",
        {200: LINKS},
        ONE_WRITE_ERRORS,
        body=list[inputs.LinkInput],
    ),
    ("POST", "/api/v4/contacts/{contact_id:int}/unlink"): _api(
        "links", "Unlink a contact", {204: None}, ONE_WRITE_ERRORS, body=list[inputs.LinkInput]
    ),
    ("POST", "/api/v4/companies/{company_id:int}/link"): _api(
        "links",
        "Link a company (to leads or the other party)",
        {200: LINKS},
        ONE_WRITE_ERRORS,
        body=list[inputs.LinkInput],
    ),
    ("POST", "/api/v4/companies/{company_id:int}/unlink"): _api(
        "links", "Unlink a company", {204: None}, ONE_WRITE_ERRORS, body=list[inputs.LinkInput]
    ),
    # webhooks and events
    ("GET", "/api/v4/webhooks"): _api(
        "webhooks",
        "The account's webhooks (admins only); 204 when none",
        {200: webhooks.WebhookList, 204: None},
        API_ERRORS,
        query=(filter_("destination"),),
    ),
    ("POST", "/api/v4/webhooks"): _api(
        "webhooks",
        "Subscribe a destination, or update its webhook (admins only)",
        {201: WebhookRow},
        WRITE_ERRORS,
        body=inputs.WebhookInput,
    ),
    ("DELETE", "/api/v4/webhooks"): _api(
        "webhooks",
        "Unsubscribe a destination (admins only)",
        {204: None},
        (*WRITE_ERRORS, 404),
        body=inputs.WebhookDestination,
    ),
    ("GET", "/api/v4/events"): _api(
        "events",
        "The events of leads, contacts, companies and tasks, newest first",
        {200: EVENTS_PAGE, 204: None},
        API_ERRORS,
        query=(
            with_(EVENT_WITH),
            PAGE,
            limit(100),
            filter_(
                "id",
                "created_at",
                "created_by",
                "entity",
                "entity_id",
                "type",
                "value_before",
                "value_after",
            ),
        ),
    ),
    ("GET", "/api/v4/events/types"): _api(
        "events",
        "The event types",
        {200: EVENT_TYPES},
        API_ERRORS,
        query=(_param("language_code", {"type": "string"}, "The types' language"),),
    ),
    ("GET", "/api/v4/events/{event_id:str}"): _api(
        "events",
        "An event; 204 when unknown",
        {200: events.Event, 204: None},
        API_ERRORS,
        query=(with_(EVENT_WITH),),
    ),
    # OAuth
    ("POST", "/oauth2/access_token"): Op(
        "oauth",
        "Exchange an authorization code or a refresh token for a token pair",
        {200: oauth.TokenPair},
        body=inputs.TokenGrant,
        errors=(400, 401, 403),
        security=BASIC,
        media=JSON,
        problem_media=JSON,
    ),
    ("GET", "/oauth2/account/current/subdomain"): Op(
        "oauth",
        "The account a refresh token belongs to (X-Refresh-Token)",
        {200: oauth.AccountDomain},
        errors=(400, 401, 403),
        security=None,
        media=JSON,
        problem_media=JSON,
        headers=(
            {
                "name": "X-Refresh-Token",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
            },
        ),
    ),
    ("GET", "/oauth2/account/subdomain"): Op(
        "oauth",
        "The account an access token belongs to (Kommo's older form, which the PHP SDK calls)",
        {200: oauth.AccountDomain},
        errors=(401, 402),
        media=JSON,
    ),
    # kommodore's admin actions (Kommo's UI only)
    ("POST", "/admin/leads/delete"): _api(
        "admin",
        "Delete leads (admins only)",
        {204: None},
        ONE_WRITE_ERRORS,
        body=list[inputs.IdInput],
    ),
    ("POST", "/admin/leads/restore"): _api(
        "admin",
        "Restore deleted leads (admins only)",
        {204: None},
        ONE_WRITE_ERRORS,
        body=list[inputs.IdInput],
    ),
    ("POST", "/admin/leads/{lead_id:int}/delete"): _api(
        "admin", "Delete a lead (admins only)", {204: None}, ONE_ERRORS
    ),
    ("POST", "/admin/leads/{lead_id:int}/restore"): _api(
        "admin", "Restore a deleted lead (admins only)", {204: None}, ONE_ERRORS
    ),
    # the control plane
    ("GET", PATH): Op(
        "control",
        "This document (no token needed)",
        {200: Schema({"type": "object", "description": "An OpenAPI 3.1 document"})},
        security=None,
        media=JSON,
    ),
    ("POST", "/_kommodore/reset"): _control(
        "Back to empty or to a demo account", {200: control.ResetDone}, body=control.Reset
    ),
    ("GET", "/_kommodore/snapshots"): _control("The snapshots", {200: control.Snapshots}),
    ("POST", "/_kommodore/snapshots"): _control(
        "Save the whole state under a name", {201: control.Snapshot}, body=control.SaveSnapshot
    ),
    ("POST", "/_kommodore/snapshots/{name}/restore"): _control(
        "Back to a snapshot", {200: control.Restored}, 404, 409
    ),
    ("DELETE", "/_kommodore/snapshots/{name}"): _control("Delete a snapshot", {204: None}, 404),
    ("GET", "/_kommodore/requests"): _control(
        "The request journal, oldest first",
        {200: control.Requests},
        query=(
            _param("method", {"type": "string"}, "Only this method"),
            _param("path", {"type": "string"}, "Only paths starting with this"),
            _param("status", {"type": "integer"}, "Only this status"),
            _param("since", {"type": "integer"}, "From this instant on (ms since the epoch)"),
            _param("after", {"type": "integer"}, "The entries after this entry id"),
            _param("account_id", {"type": "integer"}, "Only this account's"),
            limit(1000, 100),
        ),
    ),
    ("DELETE", "/_kommodore/requests"): _control("Empty the request journal", {204: None}),
    ("GET", "/_kommodore/faults"): _control("The fault rules", {200: control.FaultList}),
    ("POST", "/_kommodore/faults"): _control("Add a fault rule", {201: control.Fault}, body=Rule),
    ("DELETE", "/_kommodore/faults"): _control("Remove every fault rule", {204: None}),
    ("DELETE", "/_kommodore/faults/{rule_id:int}"): _control(
        "Remove a fault rule", {204: None}, 404
    ),
    ("POST", "/_kommodore/tokens"): _control(
        "A Kommo long-lived token for the account's built-in integration",
        {201: control.IssuedToken},
        404,
        body=control.NewToken,
    ),
    ("POST", "/_kommodore/seed"): _control(
        "Load a seed document (JSON or YAML), all or nothing",
        {201: control.Seeded},
        query=(_param("reset", {"type": "boolean", "default": False}, "Empty everything first"),),
        body=SEED,
        also=(YAML,),
    ),
    ("GET", "/_kommodore/export"): _control(
        "An account as a seed document",
        {200: SEED},
        404,
        query=(
            _param("subdomain", {"type": "string"}, "The account's subdomain"),
            _param("account_id", {"type": "integer"}, "Or its id"),
            _param("format", {"enum": ["json", "yaml"], "default": "json"}, "The answer's"),
        ),
        also=(YAML,),
    ),
    ("GET", "/_kommodore/webhook-deliveries"): _control(
        "Webhook deliveries, newest first",
        {200: control.WebhookDeliveries},
        query=(
            _param("account_id", {"type": "integer"}, "Only this account's"),
            _param(
                "status", {"enum": ["pending", "delivered", "failed"]}, "Only those in this state"
            ),
            limit(1000, 100),
        ),
    ),
    ("POST", "/_kommodore/webhook-deliveries/{delivery_id:int}/retry"): _control(
        "Make a delivery due now", {200: Delivery}, 404
    ),
}
"""Every described route, keyed as the app's router spells it (method, path)."""
for _kind in NOTE_PARENTS:
    OPERATIONS.update(_note_operations(_kind))
for _kind in ("leads", "contacts", "companies"):
    OPERATIONS.update(_field_group_operations(_kind))


# -- building the document ----------------------------------------------------------------------

_CONVERTOR = re.compile(r"\{(\w+)(?::(\w+))?\}")
_PARAM_TYPES = {"int": {"type": "integer", "minimum": 0}, "str": {"type": "string"}}


def openapi_path(route_path: str) -> str:
    """``/leads/{lead_id:int}`` -> ``/leads/{lead_id}``."""
    return _CONVERTOR.sub(r"{\1}", route_path)


def _path_params(route_path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": m.group(1),
            "in": "path",
            "required": True,
            "schema": _PARAM_TYPES[m.group(2) or "str"],
        }
        for m in _CONVERTOR.finditer(route_path)
    ]


def _collection_schema(c: Collection, item: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {name: {"type": "integer"} for name in c.counters}
    properties["_links"] = {"$ref": REF.format(name="PageLinks")}
    properties["_embedded"] = {
        "type": "object",
        "properties": {c.key: {"type": "array", "items": item}},
        "required": [c.key],
        "additionalProperties": False,
    }
    return {
        "title": c.name,
        "type": "object",
        "properties": properties,
        "required": [*c.counters, "_links", "_embedded"],
        "additionalProperties": False,
    }


class _Schemas:
    """Every type the operations name, turned into component schemas in one msgspec pass."""

    def __init__(self, ops: Iterable[Op]) -> None:
        self._twins: dict[str, tuple[Any, dict[str, tuple[Any, ...]]]] = {}
        """A type's key -> what msgspec is given for it (see ``_twin``)."""
        self._namespaced: list[tuple[str, type]] = []
        for op in ops:
            for body in [ProblemBody, OAuthProblem, *op.answers.values(), op.body]:
                self._collect(body)
        refs, self.components = msgspec.json.schema_components(
            [twin for twin, _ in self._twins.values()], ref_template=REF
        )
        self._refs = dict(zip(self._twins, refs, strict=True))
        for prefix, t in self._namespaced:
            (ref,), components = msgspec.json.schema_components(
                [t], ref_template=REF.format(name=f"{prefix}.{{name}}")
            )
            self._refs[_key(Namespaced(prefix, t))] = ref
            self.components.update({f"{prefix}.{k}": v for k, v in components.items()})
        for twin, unions in self._twins.values():
            for name, members in unions.items():
                self.components[twin.__name__]["properties"][name] = {
                    "anyOf": [{"type": "null"} if m is None else self.of(m) for m in members]
                }
        self.components["PageLinks"] = PAGE_LINKS
        answers = [body for op in ops for body in op.answers.values() if body is not None]
        for body in answers:
            if isinstance(body, Collection):
                self.components[body.name] = _collection_schema(body, self.of(body.item))
        self._close([self.of(body) for body in answers])

    def _close(self, roots: list[dict[str, Any]]) -> None:
        """Answers are encoded from these Structs, so no other key can appear in them: say so
        (``additionalProperties: false``), and a key that does is a test failure, not a
        silent drift. Problem bodies stay open (``problem_body`` takes any extra)."""
        seen: set[str] = set()
        stack: list[Any] = list(roots)
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and (name := ref.rsplit("/", 1)[1]) not in seen:
                    seen.add(name)
                    stack.append(self.components[name])
                stack.extend(v for k, v in node.items() if k != "$ref")
        for name in seen - {ProblemBody.__name__, OAuthProblem.__name__}:
            component = self.components[name]
            if component.get("type") == "object" and "properties" in component:
                component.setdefault("additionalProperties", False)

    def _collect(self, body: Body | None) -> None:
        if body is None or isinstance(body, Schema):
            return
        if isinstance(body, Collection):
            self._collect(body.item)
        elif isinstance(body, Namespaced):
            if (body.prefix, body.type) not in self._namespaced:
                self._namespaced.append((body.prefix, body.type))
        elif isinstance(body, AnyOf):
            for t in body.types:
                self._collect(t)
        elif _key(body) not in self._twins:
            twin, unions = _twin(body)
            self._twins[_key(body)] = (twin, unions)
            for members in unions.values():
                for member in members:
                    self._collect(member)

    def of(self, body: Body) -> dict[str, Any]:
        if isinstance(body, Schema):
            return body.schema
        if isinstance(body, Collection):
            return {"$ref": REF.format(name=body.name)}
        if isinstance(body, AnyOf):
            return {"anyOf": [self.of(t) for t in body.types]}
        schema: dict[str, Any] = self._refs[_key(body)]
        return schema


def _key(t: Any) -> str:
    return repr(t)


def _twin(t: Any) -> tuple[Any, dict[str, tuple[Any, ...]]]:
    """``t``, or for a Struct with a field typed as a union of untagged Structs (which
    msgspec will not describe) a twin of the same name with that field left open, and the
    union's members by the field's JSON name, to describe it as ``anyOf`` afterwards."""
    if not (isinstance(t, type) and issubclass(t, msgspec.Struct)):
        return t, {}
    fields = msgspec.structs.fields(t)
    unions = {
        f.encode_name: members
        for f in fields
        if len(members := get_args(f.type)) > 1
        and sum(isinstance(m, type) and issubclass(m, msgspec.Struct) for m in members) > 1
    }
    if not unions:
        return t, {}
    twin = msgspec.defstruct(
        t.__name__,
        [
            (
                f.name,
                Any if f.encode_name in unions else f.type,
                msgspec.field(default=f.default, name=f.encode_name)
                if f.default is not msgspec.NODEFAULT
                else msgspec.field(name=f.encode_name),
            )
            for f in fields
        ],
        kw_only=True,
        module=t.__module__,
    )
    return twin, {
        name: tuple(None if m is type(None) else m for m in members)
        for name, members in unions.items()
    }


def _content(media: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {media: {"schema": schema}}


_REASONS = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Bad request: a malformed query or body, or Kommo's validation-errors",
    401: "The token is missing, unknown, expired or revoked",
    402: "The account's paid period is over",
    403: "Refused by the user's rights, or blocked after repeated 429s",
    404: "Not found",
    409: "Conflict",
    405: "Method not allowed (an array sent to a single-entity PATCH)",
    413: "The body is too large",
    429: "Over the requests a second allowed (Retry-After)",
}


_OAUTH_REASON = "Kommo's OAuth error: hint and detail say which parameter or check failed"


def _operation(method: str, route_path: str, op: Op, schemas: _Schemas) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, body in sorted(op.answers.items()):
        answer: dict[str, Any] = {"description": _REASONS[status]}
        if body is not None:
            answer["content"] = {m: {"schema": schemas.of(body)} for m in (op.media, *op.also)}
        responses[str(status)] = answer
    problem = OAuthProblem if op.problem_media == JSON else ProblemBody
    for status in op.errors:
        responses[str(status)] = {
            "description": _OAUTH_REASON if problem is OAuthProblem else _REASONS[status],
            "content": _content(op.problem_media, schemas.of(problem)),
        }
    operation: dict[str, Any] = {
        "tags": [op.tag],
        "summary": op.summary,
        "operationId": f"{method.lower()}{_operation_id(route_path)}",
        "responses": responses,
    }
    parameters = [*_path_params(route_path), *op.query, *op.headers]
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        media = [JSON, "application/x-www-form-urlencoded"] if op.security == BASIC else [JSON]
        media += op.also
        operation["requestBody"] = {
            "required": op.body is not control.Reset,
            "content": {m: {"schema": schemas.of(op.body)} for m in media},
        }
    if op.security is None:
        operation["security"] = []
    elif op.security == BASIC:
        operation["security"] = [{}, {BASIC: []}]
    else:
        operation["security"] = [{op.security: []}]
    return operation


def _operation_id(route_path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", openapi_path(route_path).replace("api/v4", ""))
    slash = "Slash" if route_path.endswith("/") else ""  # /users/{id}/, Kommo's SDK's twin
    return "".join(w[:1].upper() + w[1:] for w in words) + slash


def build(operations: dict[tuple[str, str], Op] | None = None) -> dict[str, Any]:
    """The document, as a plain JSON-able dict."""
    ops = OPERATIONS if operations is None else operations
    schemas = _Schemas(ops.values())
    paths: dict[str, dict[str, Any]] = {}
    for (method, route_path), op in ops.items():
        item = paths.setdefault(openapi_path(route_path), {})
        item[method.lower()] = _operation(method, route_path, op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kommodore: the Kommo CRM API v4 for leads, and its control plane",
            "version": _version(),
            "description": (
                "Generated from the msgspec models the server encodes with. Successful "
                "answers are application/hal+json (the OAuth and control ones "
                "application/json); errors application/problem+json, as Kommo's."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {
                KOMMO: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Kommo access token (OAuth 2.0) or a private "
                    "integration's long-lived token, RS256",
                },
                CONTROL: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The control token (KOMMODORE_CONTROL_TOKEN or the data "
                    "dir's control-token file); a Kommo token is refused",
                },
                BASIC: {
                    "type": "http",
                    "scheme": "basic",
                    "description": "The integration's client_id and client_secret, "
                    "instead of in the body",
                },
            },
        },
        "tags": [{"name": name} for name in _tags(ops.values())],
    }


def _version() -> str:
    try:
        return version("kommodore")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


def _tags(ops: Iterable[Op]) -> Sequence[str]:
    return list(dict.fromkeys(op.tag for op in ops))


_encoded: bytes | None = None


def document() -> bytes:
    """The document's JSON, built on first use and kept: it depends on the code only."""
    global _encoded
    if _encoded is None:
        _encoded = msgspec.json.encode(build())
    return _encoded


async def openapi_json(request: Request) -> Response:
    """``GET /_kommodore/openapi.json``: no token, since it describes and holds no state."""
    return Response(document(), media_type=JSON)
