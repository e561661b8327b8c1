"""The relational schema: one SQLAlchemy Core ``MetaData`` shared by Alembic, the demo and tests.

Every tenant table leads its primary key and every foreign key with ``account_id`` so that the
schema can be distributed by account on Citus (``create_distributed_table``) without a rewrite.
The tables of :data:`REFERENCE_TABLES` are the only ones without that column: on Citus they are
reference tables, and no reference table points at a tenant table (``db/citus.py`` lists every
table's kind and prints the distribution recipe).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: Tables that carry no ``account_id``: reference tables on Citus.
REFERENCE_TABLES = frozenset({"accounts", "id_sequences", "integrations", "sign_in_throttle"})

# Entities whose ids come from a global sequence, like Kommo's ids.
SEQUENCED_ENTITIES = (
    "users",
    "user_groups",
    "roles",
    "pipelines",
    "statuses",
    "status_descriptions",
    "loss_reasons",
    "sources",
    "tags",
    "contacts",
    "companies",
    "catalogs",
    "catalog_elements",
    "custom_fields",
    "custom_field_enums",
    "custom_field_groups",
    "leads",
    "tasks",
    "webhooks",
    "webhook_deliveries",
    "notes",
)

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""64-bit ids; SQLite's INTEGER is already 64-bit and keeps rowid semantics."""


def _pk(*cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("account_id", *cols)


def _fk(
    cols: list[str], table: str, ref_cols: list[str], ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id", *cols],
        [f"{table}.account_id", *(f"{table}.{c}" for c in ref_cols)],
        ondelete=ondelete,
    )


def _timestamps() -> list[sa.Column[int]]:
    return [
        sa.Column("created_at", BigInt, nullable=False),
        sa.Column("updated_at", BigInt, nullable=False),
    ]


def _authored() -> list[sa.Column[int]]:
    """Who created and last changed a row, then when."""
    return [
        sa.Column("created_by", BigInt, nullable=False),
        sa.Column("updated_by", BigInt, nullable=False),
        *_timestamps(),
    ]


def _tenant(name: str, *items: sa.schema.SchemaItem, child: bool = False, **kw: Any) -> sa.Table:
    """A tenant table: ``account_id`` first. A ``child`` row reaches its account through its
    parent's key, so only the other tables point ``account_id`` at ``accounts``."""
    account = (
        sa.Column("account_id", BigInt, nullable=False)
        if child
        else sa.Column("account_id", BigInt, sa.ForeignKey("accounts.id"), nullable=False)
    )
    return sa.Table(name, metadata, account, *items, **kw)


def _entity(
    name: str,
    *items: sa.schema.SchemaItem,
    child: bool = False,
    id_comment: str | None = None,
    **kw: Any,
) -> sa.Table:
    """A tenant's entity with an ``id`` of its own: keyed by (``account_id``, ``id``)."""
    id_column = sa.Column("id", BigInt, nullable=False, comment=id_comment)
    return _tenant(name, id_column, *items, _pk("id"), child=child, **kw)


id_sequences = sa.Table(
    "id_sequences",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("next_value", BigInt, nullable=False),
    comment="Global id counters on SQLite; PostgreSQL uses real sequences named <entity>_id_seq.",
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=False),
    sa.Column("subdomain", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("currency_symbol", sa.String(8), nullable=False),
    sa.Column("customers_mode", sa.String(16), nullable=False),
    sa.Column("is_unsorted_on", sa.Boolean, nullable=False),
    sa.Column("is_loss_reason_enabled", sa.Boolean, nullable=False),
    sa.Column("is_helpbot_enabled", sa.Boolean, nullable=False),
    sa.Column("is_technical_account", sa.Boolean, nullable=False),
    sa.Column("contact_name_display_order", sa.Integer, nullable=False),
    sa.Column("mobile_feature_version", sa.Integer, nullable=False),
    sa.Column("amojo_id", sa.String(36), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("paid_till", BigInt, nullable=True, comment="NULL: paid; in the past: 402"),
    sa.Column(
        "settings",
        sa.Text,
        nullable=False,
        comment="JSON of the with= extras of GET /account (datetime_settings, entity_names, ...)",
    ),
    *_authored(),
)

user_groups = _entity(
    "user_groups",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("uuid", sa.String(36), nullable=True),
    id_comment="0 is the account's default group",
)

roles = _entity(
    "roles",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("rights", sa.Text, nullable=False, comment="JSON rights object of the role"),
)

users = _entity(
    "users",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("email", sa.String(255), nullable=False),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("uuid", sa.String(36), nullable=True),
    sa.Column("amojo_id", sa.String(36), nullable=True),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    sa.Column("is_free", sa.Boolean, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("group_id", BigInt, nullable=True, comment="NULL: the default group 0"),
    sa.Column("role_id", BigInt, nullable=True),
    sa.Column("phone_number", sa.String(32), nullable=True),
    sa.Column("user_rank", sa.String(16), nullable=True, comment="newbie, candidate, master"),
    sa.Column(
        "rights",
        sa.Text,
        nullable=False,
        comment="JSON of rights{leads,contacts,companies,tasks,mail_access,catalog_access,"
        "status_rights}: the fields of GET /users that is_admin/group_id/role_id do not hold",
    ),
    *_timestamps(),
    sa.Column("password_hash", sa.Text, nullable=True, comment="argon2id; NULL: cannot sign in"),
    _fk(["group_id"], "user_groups", ["id"]),
    _fk(["role_id"], "roles", ["id"]),
)

pipelines = _entity(
    "pipelines",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("is_main", sa.Boolean, nullable=False),
    sa.Column("is_unsorted_on", sa.Boolean, nullable=False),
    sa.Column("is_archive", sa.Boolean, nullable=False),
    *_timestamps(),
)

statuses = _tenant(
    "statuses",
    sa.Column("pipeline_id", BigInt, nullable=False),
    sa.Column("id", BigInt, nullable=False, comment="142 won and 143 lost recur in every pipeline"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("is_editable", sa.Boolean, nullable=False),
    sa.Column("color", sa.String(7), nullable=False),
    sa.Column("type", sa.SmallInteger, nullable=False, comment="0 regular, 1 incoming"),
    _pk("pipeline_id", "id"),
    _fk(["pipeline_id"], "pipelines", ["id"], ondelete="CASCADE"),
    child=True,
)

status_descriptions = _entity(
    "status_descriptions",
    sa.Column("pipeline_id", BigInt, nullable=False),
    sa.Column("status_id", BigInt, nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("description", sa.String(1000), nullable=False),
    *_timestamps(),
    _fk(["pipeline_id", "status_id"], "statuses", ["pipeline_id", "id"], ondelete="CASCADE"),
    child=True,
)

loss_reasons = _entity(
    "loss_reasons",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("sort", sa.Integer, nullable=False),
    *_timestamps(),
)

sources = _entity(
    "sources",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("pipeline_id", BigInt, nullable=False),
    sa.Column("external_id", sa.String(36), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("origin_code", sa.String(64), nullable=True),
    sa.Column("integration_id", sa.String(36), nullable=True),
    sa.Column("services", sa.Text, nullable=False, comment="JSON array of services"),
    *_timestamps(),
    _fk(["pipeline_id"], "pipelines", ["id"]),
)

tags = _entity(
    "tags",
    sa.Column("entity_type", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("color", sa.String(6), nullable=True),
    sa.UniqueConstraint("account_id", "entity_type", "name"),
)


def _party(name: str) -> sa.Table:
    """Contacts and companies share a base model; a lead's ``_links`` point at them."""
    return _entity(
        name,
        sa.Column("name", sa.String(255), nullable=False),
        *(
            [
                sa.Column("first_name", sa.String(255), nullable=False),
                sa.Column("last_name", sa.String(255), nullable=False),
            ]
            if name == "contacts"
            else []
        ),
        sa.Column("responsible_user_id", BigInt, nullable=False),
        sa.Column("group_id", BigInt, nullable=False),
        *_authored(),
        sa.Column("closest_task_at", BigInt, nullable=True),
        sa.Column("is_deleted", sa.Boolean, nullable=False),
    )


contacts = _party("contacts")
companies = _party("companies")

catalogs = _entity(
    "catalogs",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(16), nullable=False, comment="regular, invoices, products"),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("can_add_elements", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("can_show_in_cards", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("can_link_multiple", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("can_be_deleted", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("sdk_widget_code", sa.String(64), nullable=True),
    *_authored(),
)

catalog_elements = _entity(
    "catalog_elements",
    sa.Column("catalog_id", BigInt, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    *_authored(),
    sa.Column("is_deleted", sa.Boolean, nullable=False),
    _fk(["catalog_id"], "catalogs", ["id"]),
    child=True,
)

custom_fields = _entity(
    "custom_fields",
    sa.Column("entity_type", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("code", sa.String(64), nullable=True),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("is_computed", sa.Boolean, nullable=False),
    sa.Column("is_predefined", sa.Boolean, nullable=False),
    sa.Column("is_deletable", sa.Boolean, nullable=False),
    sa.Column("is_api_only", sa.Boolean, nullable=False),
    sa.Column("group_id", sa.String(64), nullable=True),
    sa.Column("required_statuses", sa.Text, nullable=True, comment="JSON array or NULL"),
    sa.Column("hidden_statuses", sa.Text, nullable=False, comment="JSON array"),
    sa.Column("remind", sa.String(8), nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("chained_lists", sa.Text, nullable=True, comment="JSON array or NULL"),
    sa.Column("tracking_callback", sa.Text, nullable=True),
    sa.Column("search_in", sa.String(32), nullable=True),
    *_timestamps(),
)

custom_field_enums = _entity(
    "custom_field_enums",
    sa.Column("field_id", BigInt, nullable=False),
    sa.Column("value", sa.String(255), nullable=False),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("code", sa.String(64), nullable=True),
    _fk(["field_id"], "custom_fields", ["id"], ondelete="CASCADE"),
    child=True,
)

custom_field_groups = _entity(
    "custom_field_groups",
    sa.Column("entity_type", sa.String(16), nullable=False, comment="leads, contacts, companies"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("sort", sa.Integer, nullable=False),
    *_timestamps(),
    comment="field groups (card tabs) an admin made; the API names one {entity_type}_"
    "{account_id}{id}, the predefined group of each entity type {entity_type}_{account_id}",
)

leads = _entity(
    "leads",
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("price", BigInt, nullable=False),  # whole units: what `price` answers
    # the hundredths beyond `price`, 0..99: price_with_minor_units = price + price_minor / 100
    sa.Column("price_minor", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("responsible_user_id", BigInt, nullable=False),
    sa.Column(
        "group_id", BigInt, nullable=False, comment="the responsible user's group, 0 by default"
    ),
    sa.Column("pipeline_id", BigInt, nullable=False),
    sa.Column("status_id", BigInt, nullable=False),
    sa.Column("loss_reason_id", BigInt, nullable=True),
    sa.Column("source_id", BigInt, nullable=True),
    *_authored(),
    sa.Column("closed_at", BigInt, nullable=True),
    sa.Column("closest_task_at", BigInt, nullable=True),
    sa.Column("is_deleted", sa.Boolean, nullable=False),
    sa.Column("score", sa.Integer, nullable=True),
    sa.Column("labor_cost", sa.Integer, nullable=True),
    sa.Column("is_price_computed", sa.Boolean, nullable=False),
    sa.Column("is_price_modified_by_robot", sa.Boolean, nullable=False),
    _fk(["pipeline_id", "status_id"], "statuses", ["pipeline_id", "id"]),
    _fk(["loss_reason_id"], "loss_reasons", ["id"]),
    _fk(["source_id"], "sources", ["id"]),
    # lead lists: each filter or order key, then id as the tie-breaker
    sa.Index("ix_leads_stage", "account_id", "pipeline_id", "status_id", "id"),
    sa.Index("ix_leads_responsible", "account_id", "responsible_user_id", "id"),
    sa.Index("ix_leads_group", "account_id", "group_id", "id"),
    sa.Index("ix_leads_created_at", "account_id", "created_at", "id"),
    sa.Index("ix_leads_updated_at", "account_id", "updated_at", "id"),
    sa.Index("ix_leads_closed_at", "account_id", "closed_at", "id"),
)

_VALUE_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("value_text", sa.Text),
    ("value_number", sa.Float),
    ("value_int", BigInt),
    ("value_json", sa.Text),
)


def _field_values(
    owner: str, table: str, *indexes: sa.Index, notes: dict[str, str] | None = None
) -> sa.Table:
    """An entity type's custom field values: a row per value, ``position`` keeping a field's
    values in order; ``owner`` is the ``*_id`` column naming the entity in ``table``. ``notes``
    comment the value columns."""
    notes = notes or {}
    return _tenant(
        f"{owner.removesuffix('_id')}_custom_field_values",
        sa.Column(owner, BigInt, nullable=False),
        sa.Column("field_id", BigInt, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("enum_id", BigInt, nullable=True),
        *(
            sa.Column(column, kind, nullable=True, comment=notes.get(column))
            for column, kind in _VALUE_COLUMNS
        ),
        _pk(owner, "field_id", "position"),
        _fk([owner], table, ["id"], ondelete="CASCADE"),
        _fk(["field_id"], "custom_fields", ["id"], ondelete="CASCADE"),
        _fk(["enum_id"], "custom_field_enums", ["id"]),
        *indexes,
        child=True,
    )


lead_custom_field_values = _field_values(
    "lead_id",
    "leads",
    # custom field filters: by enum, number, date/checkbox, and text (a bounded prefix, so long
    # textarea values never exceed PostgreSQL's btree row limit)
    sa.Index("ix_lcfv_enum", "account_id", "field_id", "enum_id", "lead_id"),
    sa.Index("ix_lcfv_number", "account_id", "field_id", "value_number", "lead_id"),
    sa.Index("ix_lcfv_int", "account_id", "field_id", "value_int", "lead_id"),
    sa.Index(
        "ix_lcfv_text",
        "account_id",
        "field_id",
        sa.text("substr(value_text, 1, 100)"),
        "lead_id",
    ),
    notes={
        "value_text": "text-like and numeric (as written)",
        "value_number": "numeric, for range filters",
        "value_int": "dates (unix seconds), checkbox 0/1",
        "value_json": "object values, chained_list",
    },
)
contact_custom_field_values = _field_values("contact_id", "contacts")
company_custom_field_values = _field_values("company_id", "companies")


def _link(
    name: str, end: tuple[str, str], other: tuple[str, str], *items: sa.schema.SchemaItem
) -> sa.Table:
    """Links an entity to another, each ``end`` a column and the table it names; keyed by
    both ends and removed with either."""
    (column, table), (other_column, other_table) = end, other
    return _tenant(
        name,
        sa.Column(column, BigInt, nullable=False),
        sa.Column(other_column, BigInt, nullable=False),
        *items,
        _pk(column, other_column),
        _fk([column], table, ["id"], ondelete="CASCADE"),
        _fk([other_column], other_table, ["id"], ondelete="CASCADE"),
        child=True,
    )


company_contacts = _link(
    "company_contacts",
    ("company_id", "companies"),
    ("contact_id", "contacts"),
    sa.Index("ix_company_contacts_contact", "account_id", "contact_id"),
)
lead_tags = _link("lead_tags", ("lead_id", "leads"), ("tag_id", "tags"))
contact_tags = _link("contact_tags", ("contact_id", "contacts"), ("tag_id", "tags"))
company_tags = _link("company_tags", ("company_id", "companies"), ("tag_id", "tags"))
lead_contacts = _link(
    "lead_contacts",
    ("lead_id", "leads"),
    ("contact_id", "contacts"),
    sa.Column("is_main", sa.Boolean, nullable=False),
)

lead_companies = _tenant(
    "lead_companies",
    sa.Column("lead_id", BigInt, nullable=False, comment="the key: a lead has at most one company"),
    sa.Column("company_id", BigInt, nullable=False),
    _pk("lead_id"),
    _fk(["lead_id"], "leads", ["id"], ondelete="CASCADE"),
    _fk(["company_id"], "companies", ["id"], ondelete="CASCADE"),
    child=True,
)


def _element_links(owner: str, table: str) -> sa.Table:
    """Catalog elements linked to a lead, contact or company, with the link's metadata."""
    return _link(
        f"{owner}_catalog_elements",
        (f"{owner}_id", table),
        ("element_id", "catalog_elements"),
        sa.Column("catalog_id", BigInt, nullable=False),
        sa.Column("quantity", sa.Float, nullable=False),
        sa.Column("price_id", BigInt, nullable=True),
    )


lead_catalog_elements = _element_links("lead", "leads")
contact_catalog_elements = _element_links("contact", "contacts")
company_catalog_elements = _element_links("company", "companies")

unsorted = _tenant(
    "unsorted",
    sa.Column("uid", sa.String(64), nullable=False, comment="60 hex characters, as Kommo's"),
    sa.Column("source_uid", sa.String(255), nullable=True),
    sa.Column("source_name", sa.String(255), nullable=True),
    sa.Column("category", sa.String(16), nullable=False, comment="forms or sip (mail, chats)"),
    sa.Column("pipeline_id", BigInt, nullable=False),
    sa.Column("created_at", BigInt, nullable=False),
    sa.Column("metadata", sa.Text, nullable=False, comment="JSON object: the category's keys"),
    sa.Column("lead_id", BigInt, nullable=False, comment="the incoming lead it made"),
    sa.Column("contact_id", BigInt, nullable=True),
    sa.Column("company_id", BigInt, nullable=True),
    _pk("uid"),
    _fk(["lead_id"], "leads", ["id"], ondelete="CASCADE"),
    sa.UniqueConstraint("account_id", "lead_id"),
    sa.Index("ix_unsorted_created_at", "account_id", "created_at", "lead_id"),
    comment="What a complex add's _embedded.metadata made: Kommo's Unsorted (incoming leads)",
)

tasks = _entity(
    "tasks",
    *_authored(),
    sa.Column("responsible_user_id", BigInt, nullable=False),
    sa.Column("group_id", BigInt, nullable=False, comment="the responsible user's group"),
    sa.Column("entity_id", BigInt, nullable=True, comment="NULL: an unlinked task"),
    sa.Column(
        "entity_type", sa.String(16), nullable=True, comment="leads, contacts, companies, customers"
    ),
    sa.Column("duration", BigInt, nullable=False, comment="seconds"),
    sa.Column("is_completed", sa.Boolean, nullable=False),
    sa.Column("task_type_id", BigInt, nullable=False, comment="1 follow-up, 2 meeting, or custom"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("result_text", sa.Text, nullable=True, comment="NULL: no result (answered as [])"),
    sa.Column(
        "result_note_id",
        BigInt,
        nullable=True,
        comment="the system note behind task_result_added and the hook's result[id]",
    ),
    sa.Column("complete_till", BigInt, nullable=False, comment="the deadline, unix seconds"),
    # task lists: each filter or order key, then id; the entity's open tasks for closest_task_at
    sa.Index("ix_tasks_entity", "account_id", "entity_type", "entity_id", "is_completed"),
    sa.Index("ix_tasks_responsible", "account_id", "responsible_user_id", "id"),
    sa.Index("ix_tasks_complete_till", "account_id", "complete_till", "id"),
    sa.Index("ix_tasks_updated_at", "account_id", "updated_at", "id"),
)

api_tokens = _tenant(
    "api_tokens",
    sa.Column("jti", sa.String(36), nullable=False),
    sa.Column("user_id", BigInt, nullable=False),
    sa.Column("integration_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, comment="long_lived or access"),
    sa.Column("scopes", sa.Text, nullable=False, comment="JSON array"),
    sa.Column("issued_at", BigInt, nullable=False),
    sa.Column("expires_at", BigInt, nullable=False),
    sa.Column("revoked_at", BigInt, nullable=True),
    _pk("jti"),
    _fk(["user_id"], "users", ["id"]),
    sa.Index(None, "jti"),
    sa.Index("ix_api_tokens_expires", "account_id", "expires_at"),
)


# -- OAuth 2.0 and rate limits ------------------------------------------

integrations = sa.Table(
    "integrations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True, comment="the OAuth client_id (a UUID)"),
    sa.Column("secret", sa.String(128), nullable=False, comment="client_secret; signs notices"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("revocation_url", sa.Text, nullable=True, comment="where revocation notices go"),
    sa.Column("scopes", sa.Text, nullable=False, comment="JSON array"),
    sa.Column("is_private", sa.Boolean, nullable=False),
    sa.Column(
        "owner_account_id",
        BigInt,
        sa.ForeignKey("accounts.id"),
        nullable=True,
        comment="the one account a private integration belongs to",
    ),
    sa.Column("disabled_at", BigInt, nullable=True),
    sa.Column("created_at", BigInt, nullable=False),
    comment="OAuth clients; a reference table on Citus, like accounts.",
)

account_integrations = _tenant(
    "account_integrations",
    sa.Column("integration_id", sa.String(36), sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("installed_by", BigInt, nullable=False),
    sa.Column("installed_at", BigInt, nullable=False),
    sa.Column("removed_at", BigInt, nullable=True, comment="set when the account removes it"),
    _pk("integration_id"),
)

oauth_codes = _tenant(
    "oauth_codes",
    sa.Column("code_hash", sa.String(64), nullable=False, comment="SHA-256 hex of the code"),
    sa.Column("integration_id", sa.String(36), nullable=False),
    sa.Column("user_id", BigInt, nullable=False),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("scopes", sa.Text, nullable=False, comment="JSON array"),
    sa.Column("created_at", BigInt, nullable=False),
    sa.Column("expires_at", BigInt, nullable=False),
    sa.Column("used_at", BigInt, nullable=True),
    _pk("code_hash"),
    _fk(["user_id"], "users", ["id"]),
    sa.Index("ix_oauth_codes_expires", "account_id", "expires_at"),
)

refresh_tokens = _tenant(
    "refresh_tokens",
    sa.Column("token_hash", sa.String(64), nullable=False, comment="SHA-256 hex of the token"),
    sa.Column("integration_id", sa.String(36), nullable=False),
    sa.Column("user_id", BigInt, nullable=False),
    sa.Column("scopes", sa.Text, nullable=False, comment="JSON array"),
    sa.Column("access_jti", sa.String(36), nullable=False, comment="access token issued with it"),
    sa.Column("parent_hash", sa.String(64), nullable=True, comment="the token it replaced"),
    sa.Column("issued_at", BigInt, nullable=False),
    sa.Column("expires_at", BigInt, nullable=False),
    sa.Column("used_at", BigInt, nullable=True, comment="first exchanged for a new pair"),
    sa.Column("revoked_at", BigInt, nullable=True),
    _pk("token_hash"),
    _fk(["user_id"], "users", ["id"]),
    sa.Index("ix_refresh_tokens_expires", "account_id", "expires_at"),
)

rate_limit_windows = _tenant(
    "rate_limit_windows",
    sa.Column("integration_id", sa.String(36), nullable=False),
    sa.Column("window_start", BigInt, nullable=False, comment="unix second the window opened"),
    sa.Column("hits", sa.Integer, nullable=False),
    _pk("integration_id", "window_start"),
    comment="request counters when no Redis is configured (KOMMODORE_REDIS_URL)",
    child=True,
)

rate_limit_blocks = _tenant(
    "rate_limit_blocks",
    sa.Column("integration_id", sa.String(36), nullable=False),
    sa.Column("strikes", sa.Integer, nullable=False, comment="429s in the current strike window"),
    sa.Column("strike_window_start", BigInt, nullable=False),
    sa.Column("blocked_until", BigInt, nullable=True),
    _pk("integration_id"),
    child=True,
)


sign_in_throttle = sa.Table(
    "sign_in_throttle",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True, comment="kind:value, e.g. email:ann@x"),
    sa.Column("failures", sa.Integer, nullable=False, comment="failed sign-ins in the window"),
    sa.Column("window_start", BigInt, nullable=False, comment="unix second the window opened"),
    sa.Column("blocked_until", BigInt, nullable=False, comment="unix second; 0 when not blocked"),
    comment="failed sign-ins per e-mail, client address and both (a person spans accounts)",
)


# -- webhooks and events -------------------------------------------------------

webhooks = _entity(
    "webhooks",
    sa.Column("destination", sa.String(2048), nullable=False),
    sa.Column("settings", sa.Text, nullable=False, comment="JSON array of event names"),
    sa.Column("sort", sa.Integer, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_by", BigInt, nullable=False),
    *_timestamps(),
    sa.Column(
        "bad_answers",
        sa.Text,
        nullable=False,
        server_default="[]",
        comment="JSON array of recent bad-answer times (ms), for the 100-in-2-hours rule",
    ),
    sa.UniqueConstraint("account_id", "destination"),
)

webhook_bodies = _entity(
    "webhook_bodies",
    sa.Column("created_at", BigInt, nullable=False),
    sa.Column("size", BigInt, nullable=False, comment="characters stored, for the byte budget"),
    sa.Column("head", sa.Text, nullable=False, comment="the encoded account block"),
    *(
        sa.Column(f"{action}_items", sa.Text, nullable=True, comment=f"encoded leads[{action}]")
        for action in ("add", "update", "status", "responsible", "delete", "restore")
    ),
    *(
        sa.Column(f"note_{kind}_items", sa.Text, nullable=True, comment=f"encoded {key}[note]")
        for kind, key in (("lead", "leads"), ("contact", "contacts"), ("company", "contacts"))
    ),
    comment="a change batch's body, once for every webhook it goes to",
    id_comment="from the webhook_deliveries sequence",
)

webhook_deliveries = _entity(
    "webhook_deliveries",
    sa.Column("webhook_id", BigInt, nullable=False),
    sa.Column("destination", sa.String(2048), nullable=False),
    sa.Column("body_id", BigInt, nullable=False),
    sa.Column(
        "actions",
        sa.String(64),
        nullable=False,
        comment="comma-separated: the body's sections this webhook gets, in order",
    ),
    sa.Column("created_at", BigInt, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, comment="pending, delivered, failed"),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_ms", BigInt, nullable=False),
    sa.Column("locked_until_ms", BigInt, nullable=True, comment="a worker's claim"),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True, comment="HTTP status; 0: no answer"),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("delivered_at", BigInt, nullable=True),
    sa.Column(
        "kind",
        sa.String(16),
        nullable=False,
        server_default="webhook",
        comment="webhook (a POST of a change batch) or revocation (a GET notice)",
    ),
    _fk(["body_id"], "webhook_bodies", ["id"]),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_ms"),
    sa.Index("ix_webhook_deliveries_account_due", "account_id", "status", "next_attempt_ms"),
    sa.Index("ix_webhook_deliveries_body", "account_id", "body_id"),
    comment="the outbox: written in the transaction of the change it reports",
)

events = _tenant(
    "events",
    sa.Column("id", sa.String(26), nullable=False, comment="time-ordered, Crockford base32"),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("entity_id", BigInt, nullable=False),
    sa.Column("created_by", BigInt, nullable=False),
    sa.Column("created_at", BigInt, nullable=False),
    sa.Column("value_after", sa.Text, nullable=False, comment="JSON array"),
    sa.Column("value_before", sa.Text, nullable=False, comment="JSON array"),
    _pk("id"),
    sa.Index("ix_events_created_at", "account_id", "created_at", "id"),
    sa.Index("ix_events_entity", "account_id", "entity_type", "entity_id"),
    sa.Index("ix_events_type", "account_id", "type", "created_at"),
)


# -- notes -----------------------------------------------------------------------

notes = _entity(
    "notes",
    sa.Column("entity_type", sa.String(16), nullable=False, comment="leads, contacts, companies"),
    sa.Column("entity_id", BigInt, nullable=False, comment="the parent, of entity_type"),
    sa.Column("note_type", sa.String(32), nullable=False),
    sa.Column("params", sa.Text, nullable=False, comment="JSON object, as the API reads it"),
    sa.Column("responsible_user_id", BigInt, nullable=False),
    sa.Column("group_id", BigInt, nullable=False, comment="the responsible user's group"),
    *_authored(),
    sa.Column("is_pinned", sa.Boolean, nullable=False),
    # a parent's notes, and the lists of an entity type (by id, by updated_at)
    sa.Index("ix_notes_entity", "account_id", "entity_type", "entity_id", "id"),
    sa.Index("ix_notes_updated_at", "account_id", "entity_type", "updated_at", "id"),
    comment="notes on leads, contacts and companies; the parent is (entity_type, entity_id)",
)
