"""An account written as a seed document (``kommodore export``): every id fixed, every
reference by id, so that seeding the export into an empty server gives the same account back."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from typing import Any

import msgspec

from kommodore.auth.rights import StoredRights
from kommodore.control.seed import document as d
from kommodore.custom_fields import groups
from kommodore.custom_fields.values import read_value
from kommodore.db.database import Connection, Row, sql
from kommodore.integrations.service import cli_integration_id
from kommodore.leads import prices


class AccountMissing(LookupError):
    pass


_ACCOUNT = sql(
    "SELECT id, subdomain, name, country, currency, currency_symbol, customers_mode, "
    "is_unsorted_on, is_loss_reason_enabled, contact_name_display_order, settings, amojo_id, "
    "created_at "
    "FROM accounts WHERE subdomain = $1 OR id = $2"
)
_GROUPS = sql(
    "SELECT id, name, uuid FROM user_groups WHERE account_id = $1 AND id <> 0 ORDER BY id"
)
_USERS = sql(
    "SELECT id, name, email, password_hash, lang, is_admin, is_free, is_active, group_id, "
    "phone_number, uuid, amojo_id, rights, created_at FROM users WHERE account_id = $1 ORDER BY id"
)
_PIPELINES = sql(
    "SELECT id, name, sort, is_main, is_unsorted_on, is_archive, created_at FROM pipelines "
    "WHERE account_id = $1 ORDER BY sort, id"
)
_STATUSES = sql(
    "SELECT pipeline_id, id, name, sort, color, type, is_editable FROM statuses "
    "WHERE account_id = $1 ORDER BY pipeline_id, sort, id"
)
_FIELDS = sql(
    "SELECT id, entity_type, name, type, code, sort, is_api_only, is_deletable, is_predefined, "
    "currency, remind, required_statuses, group_id FROM custom_fields WHERE account_id = $1 "
    "ORDER BY id"
)
_FIELD_GROUPS = sql(
    "SELECT id, entity_type, name, sort FROM custom_field_groups WHERE account_id = $1 ORDER BY id"
)
_ENUMS = sql(
    "SELECT field_id, id, value, sort, code FROM custom_field_enums WHERE account_id = $1 "
    "ORDER BY field_id, sort, id"
)
_TAGS = sql("SELECT id, name, color, entity_type FROM tags WHERE account_id = $1 ORDER BY id")
_LOSS_REASONS = sql("SELECT id, name, sort FROM loss_reasons WHERE account_id = $1 ORDER BY id")
_SOURCES = sql(
    "SELECT id, name, external_id, pipeline_id, is_default, origin_code, services FROM sources "
    "WHERE account_id = $1 ORDER BY id"
)
_CATALOGS = sql("SELECT id, name, type, sort FROM catalogs WHERE account_id = $1 ORDER BY id")
_ELEMENTS = sql(
    "SELECT catalog_id, id, name FROM catalog_elements WHERE account_id = $1 AND NOT is_deleted "
    "ORDER BY catalog_id, id"
)
_CONTACTS = sql(
    "SELECT id, name, first_name, last_name, responsible_user_id, is_deleted, created_at, "
    "updated_at FROM contacts WHERE account_id = $1 ORDER BY id"
)
_COMPANIES = sql(
    "SELECT id, name, responsible_user_id, is_deleted, created_at, updated_at FROM companies "
    "WHERE account_id = $1 ORDER BY id"
)
_COMPANY_CONTACTS = sql(
    "SELECT company_id, contact_id FROM company_contacts WHERE account_id = $1 "
    "ORDER BY company_id, contact_id"
)
_LEADS = sql(
    "SELECT id, name, price, price_minor, pipeline_id, status_id, responsible_user_id, created_by, "
    "loss_reason_id, source_id, score, labor_cost, is_deleted, created_at, updated_at, closed_at "
    "FROM leads WHERE account_id = $1 ORDER BY id"
)
_CONTACT_TAGS = sql(
    "SELECT contact_id, tag_id FROM contact_tags WHERE account_id = $1 ORDER BY contact_id, tag_id"
)
_COMPANY_TAGS = sql(
    "SELECT company_id, tag_id FROM company_tags WHERE account_id = $1 ORDER BY company_id, tag_id"
)
_LEAD_TAGS = sql(
    "SELECT lead_id, tag_id FROM lead_tags WHERE account_id = $1 ORDER BY lead_id, tag_id"
)
_LEAD_CONTACTS = sql(
    "SELECT lead_id, contact_id, is_main FROM lead_contacts WHERE account_id = $1 "
    "ORDER BY lead_id, is_main DESC, contact_id"
)
_LEAD_COMPANIES = sql("SELECT lead_id, company_id FROM lead_companies WHERE account_id = $1")
_ELEMENTS_OF = {
    owner: sql(
        f"SELECT {owner}_id AS owner_id, element_id, quantity, price_id "  # noqa: S608 (table names from the fixed keys)
        f"FROM {owner}_catalog_elements WHERE account_id = $1 ORDER BY {owner}_id, element_id"
    )
    for owner in ("lead", "contact", "company")
}
_VALUES = {
    owner: sql(
        f"SELECT v.{owner}_id AS owner_id, v.field_id, v.position, v.enum_id, v.value_text, "  # noqa: S608 (table names from the fixed keys)
        "v.value_int, v.value_json, f.type, e.value AS enum_value, e.code AS enum_code "
        f"FROM {owner}_custom_field_values v "
        "JOIN custom_fields f ON f.account_id = v.account_id AND f.id = v.field_id "
        "LEFT JOIN custom_field_enums e ON e.account_id = v.account_id AND e.id = v.enum_id "
        f"WHERE v.account_id = $1 ORDER BY v.{owner}_id, v.field_id, v.position"
    )
    for owner in ("lead", "contact", "company")
}
_NOTES = sql(
    "SELECT entity_type, entity_id, id, note_type, params, responsible_user_id, created_by, "
    "is_pinned, created_at, updated_at FROM notes WHERE account_id = $1 ORDER BY id"
)
_UNSORTED = sql(
    "SELECT lead_id, uid, category, metadata, source_uid, source_name, created_at FROM unsorted "
    "WHERE account_id = $1"
)
_INTEGRATIONS = sql(
    "SELECT i.id, i.secret, i.name, i.redirect_uri, i.scopes, i.owner_account_id, "
    "i.revocation_url FROM account_integrations ai JOIN integrations i ON i.id = ai.integration_id "
    "WHERE ai.account_id = $1 AND ai.removed_at IS NULL ORDER BY i.id"
)
_TASKS = sql(
    "SELECT id, text, complete_till, entity_type, entity_id, responsible_user_id, created_by, "
    "task_type_id, duration, is_completed, result_text, created_at, updated_at "
    "FROM tasks WHERE account_id = $1 ORDER BY id"
)
_WEBHOOKS = sql(
    "SELECT id, destination, settings, sort, disabled FROM webhooks WHERE account_id = $1 "
    "ORDER BY id"
)
_TOKENS = sql(
    "SELECT jti, user_id, integration_id, expires_at FROM api_tokens WHERE account_id = $1 "
    "AND kind = 'long_lived' AND revoked_at IS NULL AND expires_at > $2 ORDER BY jti"
)


def _by(rows: list[Row], key: str) -> dict[Any, list[Row]]:
    grouped: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


async def _all(conn: Connection, query: Any, *args: Any) -> list[Row]:
    return list(await conn.fetch_all(query, *args))


async def _values(conn: Connection, owner: str, account_id: int) -> dict[int, list[d.FieldValues]]:
    """Each owner's custom field values in the API's read shape, which its writes take back."""
    entries: dict[int, dict[int, list[dict[str, Any]]]] = defaultdict(dict)
    for row in await _all(conn, _VALUES[owner], account_id):
        value = read_value(
            row["type"],
            enum_id=row["enum_id"],
            enum_value=row["enum_value"],
            enum_code=row["enum_code"],
            value_text=row["value_text"],
            value_int=row["value_int"],
            value_json=row["value_json"],
        )
        entries[row["owner_id"]].setdefault(row["field_id"], []).append(value)
    return {
        owner_id: [d.FieldValues(field_id=f, values=v) for f, v in fields.items()]
        for owner_id, fields in entries.items()
    }


async def export(
    conn: Connection, *, subdomain: str | None = None, account_id: int | None = None, now: int
) -> d.SeedDocument:
    """One account (by subdomain or id) as a seed document."""
    found = await conn.fetch_one(_ACCOUNT, subdomain or "", account_id or 0)
    if found is None:
        raise AccountMissing(subdomain or account_id)
    a: int = found["id"]
    settings = json.loads(found["settings"]) if found["settings"] else {}
    timezone = settings.get("datetime_settings", {}).get("timezone", "UTC")
    account = d.Account(
        id=a,
        subdomain=found["subdomain"],
        name=found["name"],
        country=found["country"],
        currency=found["currency"],
        currency_symbol=found["currency_symbol"],
        timezone=timezone,
        is_unsorted_on=bool(found["is_unsorted_on"]),
        is_loss_reason_enabled=bool(found["is_loss_reason_enabled"]),
        customers_mode=found["customers_mode"],
        contact_name_display_order=found["contact_name_display_order"],
        amojo_id=found["amojo_id"],
        created_at=found["created_at"],
    )
    account.groups = [
        d.Group(id=r["id"], name=r["name"], uuid=r["uuid"]) for r in await _all(conn, _GROUPS, a)
    ]
    account.users = [_user(r) for r in await _all(conn, _USERS, a)]
    statuses = _by(await _all(conn, _STATUSES, a), "pipeline_id")
    account.pipelines = [
        d.Pipeline(
            id=p["id"], name=p["name"], sort=p["sort"], is_main=bool(p["is_main"]),
            is_unsorted_on=bool(p["is_unsorted_on"]), is_archive=bool(p["is_archive"]),
            created_at=p["created_at"],
            statuses=[
                d.Status(id=s["id"], name=s["name"], sort=s["sort"], color=s["color"],
                         type=s["type"], is_editable=bool(s["is_editable"]))
                for s in statuses[p["id"]]
            ],
        )
        for p in await _all(conn, _PIPELINES, a)
    ]  # fmt: skip
    account.field_groups = [
        d.FieldGroup(id=g["id"], entity_type=g["entity_type"], name=g["name"], sort=g["sort"])
        for g in await _all(conn, _FIELD_GROUPS, a)
    ]
    stored_groups: set[tuple[str, int | None]] = {
        (g.entity_type, g.id) for g in account.field_groups
    }
    enums = _by(await _all(conn, _ENUMS, a), "field_id")
    account.custom_fields = [
        d.CustomField(
            id=f["id"], entity_type=f["entity_type"], name=f["name"], type=f["type"],
            code=f["code"], sort=f["sort"], is_api_only=bool(f["is_api_only"]),
            is_deletable=bool(f["is_deletable"]), is_predefined=bool(f["is_predefined"]),
            currency=f["currency"], remind=f["remind"],
            group=_group_ref(f["entity_type"], a, f["group_id"], stored_groups),
            required_statuses=msgspec.convert(
                json.loads(f["required_statuses"] or "[]"), list[d.StageRef]
            ),
            enums=[d.Enum(id=e["id"], value=e["value"], sort=e["sort"], code=e["code"])
                   for e in enums[f["id"]]],
        )
        for f in await _all(conn, _FIELDS, a)
    ]  # fmt: skip
    account.tags = [
        d.Tag(id=t["id"], name=t["name"], color=t["color"], entity_type=t["entity_type"])
        for t in await _all(conn, _TAGS, a)
    ]
    account.loss_reasons = [
        d.LossReason(id=r["id"], name=r["name"], sort=r["sort"])
        for r in await _all(conn, _LOSS_REASONS, a)
    ]
    account.sources = [
        d.Source(
            id=s["id"], name=s["name"], external_id=s["external_id"], pipeline=s["pipeline_id"],
            is_default=bool(s["is_default"]), origin_code=s["origin_code"],
            services=json.loads(s["services"] or "[]"),
        )
        for s in await _all(conn, _SOURCES, a)
    ]  # fmt: skip
    elements = _by(await _all(conn, _ELEMENTS, a), "catalog_id")
    account.catalogs = [
        d.Catalog(
            id=c["id"], name=c["name"], type=c["type"], sort=c["sort"],
            elements=[d.Element(id=e["id"], name=e["name"]) for e in elements[c["id"]]],
        )
        for c in await _all(conn, _CATALOGS, a)
    ]  # fmt: skip
    await _parties(conn, account, a)
    await _leads(conn, account, a)
    account.tasks = [
        d.Task(
            id=t["id"], text=t["text"], complete_till=t["complete_till"],
            entity_type=t["entity_type"], entity_id=t["entity_id"],
            responsible_user=t["responsible_user_id"],
            created_by=t["created_by"] if t["created_by"] != t["responsible_user_id"] else None,
            task_type_id=t["task_type_id"], duration=t["duration"],
            is_completed=bool(t["is_completed"]), result=t["result_text"],
            created_at=t["created_at"], updated_at=t["updated_at"],
        )
        for t in await _all(conn, _TASKS, a)
    ]  # fmt: skip
    integrations = await _integrations(conn, account, a)
    account.webhooks = [
        d.Webhook(id=w["id"], destination=w["destination"], settings=json.loads(w["settings"]),
                  sort=w["sort"], disabled=bool(w["disabled"]))
        for w in await _all(conn, _WEBHOOKS, a)
    ]  # fmt: skip
    cli = cli_integration_id(a)
    account.tokens = [
        d.Token(
            jti=t["jti"], user=t["user_id"],
            integration=None if t["integration_id"] == cli else t["integration_id"],
            days=max(1, math.ceil((t["expires_at"] - now) / 86_400)),
        )
        for t in await _all(conn, _TOKENS, a, now)
    ]  # fmt: skip
    return d.SeedDocument(integrations=integrations, accounts=[account])


def _group_ref(
    entity: str, account_id: int, group_id: str | None, stored: set[tuple[str, int | None]]
) -> int | str | None:
    """A field's group as the file names it: the predefined one by name, the others by id;
    a group id that names no group is left out."""
    if group_id is None:
        return None
    found = groups.stored_id(entity, account_id, group_id)
    if found == groups.PREDEFINED:
        return groups.PREDEFINED_NAME
    return found if (entity, found) in stored else None


def _user(r: Row) -> d.User:
    return d.User(
        id=r["id"], name=r["name"], email=r["email"], password_hash=r["password_hash"],
        lang=r["lang"], is_admin=bool(r["is_admin"]), is_free=bool(r["is_free"]),
        is_active=bool(r["is_active"]), group=r["group_id"] or None,
        phone_number=r["phone_number"], uuid=r["uuid"], amojo_id=r["amojo_id"],
        rights=msgspec.json.decode(r["rights"], type=StoredRights), created_at=r["created_at"],
    )  # fmt: skip


async def _notes(conn: Connection, a: int) -> dict[tuple[str, int], list[d.Note]]:
    """Every note by its parent (entity type, id); ``params`` as stored, which the loader
    takes back unchanged (an attachment's read shape included)."""
    found: dict[tuple[str, int], list[d.Note]] = defaultdict(list)
    for n in await _all(conn, _NOTES, a):
        found[(n["entity_type"], n["entity_id"])].append(
            d.Note(
                id=n["id"], note_type=n["note_type"], params=json.loads(n["params"]),
                responsible_user=n["responsible_user_id"], created_by=n["created_by"],
                is_pinned=bool(n["is_pinned"]), created_at=n["created_at"],
                updated_at=n["updated_at"],
            )
        )  # fmt: skip
    return found


async def _element_links(conn: Connection, owner: str, a: int) -> dict[int, list[d.LeadElement]]:
    """Per lead, contact or company (``owner``), the catalog elements it links."""
    found: dict[int, list[d.LeadElement]] = defaultdict(list)
    for e in await _all(conn, _ELEMENTS_OF[owner], a):
        found[e["owner_id"]].append(
            d.LeadElement(id=e["element_id"], quantity=e["quantity"], price_id=e["price_id"])
        )
    return found


async def _parties(conn: Connection, account: d.Account, a: int) -> None:
    notes = await _notes(conn, a)
    contact_values = await _values(conn, "contact", a)
    contact_tags = _by(await _all(conn, _CONTACT_TAGS, a), "contact_id")
    company_tags = _by(await _all(conn, _COMPANY_TAGS, a), "company_id")
    contact_elements = await _element_links(conn, "contact", a)
    company_elements = await _element_links(conn, "company", a)
    account.contacts = [
        d.Contact(
            id=c["id"], name=c["name"], first_name=c["first_name"], last_name=c["last_name"],
            responsible_user=c["responsible_user_id"], is_deleted=bool(c["is_deleted"]),
            created_at=c["created_at"], updated_at=c["updated_at"],
            custom_fields_values=contact_values.get(c["id"], []),
            tags=[t["tag_id"] for t in contact_tags[c["id"]]],
            catalog_elements=contact_elements.get(c["id"], []),
            notes=notes.get(("contacts", c["id"]), []),
        )
        for c in await _all(conn, _CONTACTS, a)
    ]  # fmt: skip
    company_values = await _values(conn, "company", a)
    members = _by(await _all(conn, _COMPANY_CONTACTS, a), "company_id")
    account.companies = [
        d.Company(
            id=c["id"], name=c["name"], responsible_user=c["responsible_user_id"],
            is_deleted=bool(c["is_deleted"]), created_at=c["created_at"],
            updated_at=c["updated_at"],
            contacts=[m["contact_id"] for m in members[c["id"]]],
            custom_fields_values=company_values.get(c["id"], []),
            tags=[t["tag_id"] for t in company_tags[c["id"]]],
            catalog_elements=company_elements.get(c["id"], []),
            notes=notes.get(("companies", c["id"]), []),
        )
        for c in await _all(conn, _COMPANIES, a)
    ]  # fmt: skip


def _price(price: int, minor: int) -> int | float:
    """A whole price as the int it is; a fractional one as the number it reads as."""
    return float(prices.text(price, minor)) if minor else price


async def _leads(conn: Connection, account: d.Account, a: int) -> None:
    values = await _values(conn, "lead", a)
    notes = await _notes(conn, a)
    tags = _by(await _all(conn, _LEAD_TAGS, a), "lead_id")
    contacts = _by(await _all(conn, _LEAD_CONTACTS, a), "lead_id")
    companies = {r["lead_id"]: r["company_id"] for r in await _all(conn, _LEAD_COMPANIES, a)}
    elements = await _element_links(conn, "lead", a)
    unsorted = {
        r["lead_id"]: d.Unsorted(
            uid=r["uid"], category=r["category"], metadata=json.loads(r["metadata"]),
            source_uid=r["source_uid"], source_name=r["source_name"], created_at=r["created_at"],
        )
        for r in await _all(conn, _UNSORTED, a)
    }  # fmt: skip
    account.leads = [
        d.Lead(
            id=r["id"], name=r["name"], price=_price(r["price"], r["price_minor"]),
            pipeline=r["pipeline_id"],
            status=r["status_id"], responsible_user=r["responsible_user_id"],
            created_by=r["created_by"] if r["created_by"] != r["responsible_user_id"] else None,
            loss_reason=r["loss_reason_id"], source=r["source_id"], score=r["score"],
            labor_cost=r["labor_cost"], is_deleted=bool(r["is_deleted"]),
            created_at=r["created_at"], updated_at=r["updated_at"], closed_at=r["closed_at"],
            tags=[t["tag_id"] for t in tags[r["id"]]],
            contacts=[d.LeadContact(id=c["contact_id"], is_main=bool(c["is_main"]))
                      for c in contacts[r["id"]]],
            company=companies.get(r["id"]),
            catalog_elements=elements.get(r["id"], []),
            custom_fields_values=values.get(r["id"], []),
            notes=notes.get(("leads", r["id"]), []),
            unsorted=unsorted.get(r["id"]),
        )
        for r in await _all(conn, _LEADS, a)
    ]  # fmt: skip


async def _integrations(conn: Connection, account: d.Account, a: int) -> list[d.Integration]:
    """The integrations installed in the account; those it owns stay private to it."""
    rows = await _all(conn, _INTEGRATIONS, a)
    account.integrations = [r["id"] for r in rows if r["owner_account_id"] != a]
    return [
        d.Integration(
            client_id=r["id"], secret=r["secret"], name=r["name"],
            redirect_uri=r["redirect_uri"], scopes=json.loads(r["scopes"]),
            owner=account.subdomain if r["owner_account_id"] == a else None,
            revocation_url=r["revocation_url"],
        )
        for r in rows
    ]  # fmt: skip
