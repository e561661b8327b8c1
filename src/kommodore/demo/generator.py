"""A realistic, deterministic demo account (``kommodore demo``), also the benchmark dataset.

Everything is drawn from one seeded ``random.Random``, so the same seed and lead count give the
same data. Rows are generated as tuples and written per table in bulk statements, leads in chunks.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from kommodore.custom_fields import groups as field_groups
from kommodore.custom_fields import predefined
from kommodore.db.bulk import allocate_ids, analyze, bulk_connection, insert_rows
from kommodore.search.index import index_leads
from kommodore.search.parties import index_parties

ACCOUNT_ID_BASE = 30_000_000
WON, LOST = 142, 143
TAG_COLORS = ("FF8F92", "86C0FC", "C7DB8C", "FFCE5A", "D1A4DC", "90CDB0", "AABDFF", None)
DAY = 86_400
YEAR, MONTH, TWO_MONTHS, TWENTY_DAYS = 365 * DAY, 30 * DAY, 60 * DAY, 20 * DAY
PRICES = (0, 500, 1200, 2500, 4000, 9900, 15000, 48000)
TAG_COUNTS, CONTACT_COUNTS, ELEMENT_COUNTS = (0, 1, 1, 2, 2, 3), (0, 1, 1, 2), (1, 1, 2)
QUANTITIES = (1, 1, 2, 3, 1.5)
TASK_COUNTS = (1, 1, 2)
TASK_TEXTS = ("Call back", "Send the offer", "Follow up on the invoice", "Meet at the office",
              "Confirm the delivery date")  # fmt: skip
TASK_RESULTS = ("Done", "Agreed on the next step", "No answer, will try later", None)
LEAD_CHUNK = 50_000
"""Leads drawn and inserted per round; bounds memory whatever the lead count."""
BULK_CACHE_KIB = 512 * 1024
"""SQLite page cache of the bulk-load connection (it is closed when the load ends)."""
NOTES_SEED = 1_000_003
"""Added to the demo's seed for the notes' own generator."""
NOTE_SHARE = 0.25
NOTE_COUNTS = (1, 1, 2, 3)
NOTE_TEXTS = (
    "Called, will send the offer on Monday.",
    "Asked for a discount.",
    "Prefers e-mail.",
    "Meeting booked at their office.",
    "Contract sent for review.",
)

FIRST_NAMES = (
    "Anna",
    "Boris",
    "Clara",
    "Diego",
    "Elena",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Katya",
    "Luis",
    "Marta",
    "Nikolai",
    "Olga",
    "Pedro",
    "Quinn",
    "Rosa",
    "Sven",
    "Tanya",
    "Umar",
    "Vera",
    "Wim",
    "Ximena",
    "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Ivanova",
    "Garcia",
    "Smith",
    "Müller",
    "Rossi",
    "Kowalski",
    "Silva",
    "Novak",
    "Dubois",
    "Jensen",
    "Petrov",
    "Santos",
    "Kim",
    "Okafor",
    "Haddad",
    "Larsen",
)
COMPANY_WORDS = ("Acme", "Nordic", "Blue", "Summit", "Vector", "Orbit", "Lumen", "Granite",
                 "Harbor", "Pioneer", "Atlas", "Cedar", "Quantum", "Meridian")  # fmt: skip
COMPANY_KINDS = ("Logistics", "Foods", "Software", "Clinic", "Motors", "Studio", "Farms",
                 "Energy", "Travel", "Textiles")  # fmt: skip


def _common(rnd: random.Random) -> tuple[str, dict[str, Any]]:
    return "common", {"text": rnd.choice(NOTE_TEXTS)}


def _call(rnd: random.Random) -> tuple[str, dict[str, Any]]:
    uniq = f"{rnd.getrandbits(64):016x}"
    return rnd.choice(("call_in", "call_out")), {
        "uniq": uniq, "duration": rnd.randrange(15, 900), "source": "demo-pbx",
        "link": f"https://pbx.example.com/recordings/{uniq}.mp3",
        "phone": f"+3120{rnd.randrange(1_000_000, 9_999_999)}",
    }  # fmt: skip


def _sms(rnd: random.Random) -> tuple[str, dict[str, Any]]:
    phone = f"+316{rnd.randrange(10_000_000, 99_999_999)}"
    return rnd.choice(("sms_in", "sms_out")), {"text": rnd.choice(NOTE_TEXTS), "phone": phone}


def _service(rnd: random.Random) -> tuple[str, dict[str, Any]]:
    return "service_message", {"service": "Demo bot", "text": rnd.choice(NOTE_TEXTS)}


def _attachment(rnd: random.Random) -> tuple[str, dict[str, Any]]:
    name = f"offer-{rnd.randrange(100, 999)}.pdf"
    return "attachment", {
        "is_drive_attachment": True, "text": name, "original_name": name,
        "file_uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "version_uuid": None,
        "file_name": name,
    }  # fmt: skip


NOTE_KINDS = (_common, _common, _common, _call, _call, _sms, _service, _attachment)
"""Each draws a writable note type and its ``params`` as the API reads them back."""

DEAL_WORDS = (
    "Website redesign",
    "Annual licence",
    "Fleet service",
    "Office fit-out",
    "Consulting hours",
    "Spare parts",
    "Training course",
    "Cloud migration",
    "Marketing retainer",
    "Support plan",
    "Hardware refresh",
    "Catering contract",
)


def _rights(view: str, edit: str, add: str = "A", delete: str = "D") -> dict[str, Any]:
    entity = {"view": view, "edit": edit, "add": add, "delete": delete, "export": "D"}
    return {
        "leads": entity,
        "contacts": dict(entity),
        "companies": dict(entity),
        "tasks": {"edit": "A", "delete": "D"},
        "mail_access": False,
        "catalog_access": True,
        "status_rights": [],
    }


@dataclass(slots=True)
class DemoUser:
    key: str
    name: str
    email: str
    is_admin: bool
    group: str | None
    rights: dict[str, Any]
    is_free: bool = False
    id: int = 0
    group_id: int = 0


@dataclass(slots=True)
class DemoSummary:
    account_id: int
    subdomain: str
    created: bool
    users: dict[str, int] = field(default_factory=dict)
    lead_ids: Sequence[int] = ()
    leads: int = 0


def _users(subdomain: str) -> list[DemoUser]:
    """An admin, then one user for each view right: A and G in Sales, M and D in Support, a G
    user whose stage rights hide one stage, and a free (read-only seat) user."""
    mail = f"@{subdomain}.example.com"
    return [
        DemoUser("admin", "Alice Admin", f"alice{mail}", True, "sales", _rights("A", "A", "A")),
        DemoUser("all", "Arthur All", f"arthur{mail}", False, "sales", _rights("A", "A")),
        DemoUser("group", "Greta Group", f"greta{mail}", False, "sales", _rights("G", "G")),
        DemoUser("mine", "Mike Mine", f"mike{mail}", False, "support", _rights("M", "M")),
        DemoUser("denied", "Dora Denied", f"dora{mail}", False, "support", _rights("D", "D", "D")),
        DemoUser("staged", "Stan Staged", f"stan{mail}", False, "support", _rights("G", "G")),
        DemoUser("free", "Fred Free", f"fred{mail}", False, None, _rights("D", "D", "D"), True),
    ]  # fmt: skip


# (name, type, code, enum values)
CUSTOM_FIELDS: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    ("Notes", "textarea", None, ()),
    ("Order number", "text", None, ()),
    ("Budget estimate", "numeric", None, ()),
    ("Contract value", "monetary", None, ()),
    ("Priority deal", "checkbox", None, ()),
    ("Branch", "select", None, ("North", "South", "East", "West")),
    ("Products of interest", "multiselect", None, ("CRM", "Telephony", "Analytics", "Chat")),
    ("Contact channel", "radiobutton", None, ("Phone", "Email", "Messenger")),
    ("Segment", "category", None, ("SMB", "Mid-market", "Enterprise")),
    ("Meeting", "date_time", None, ()),
    ("Decision date", "date", None, ()),
    ("Founder's birthday", "birthday", None, ()),
    ("Website", "url", None, ()),
    ("Delivery address", "streetaddress", None, ()),
    ("Office", "smart_address", None, ("address_line_1", "address_line_2", "city", "state",
                                       "zip", "country")),
    ("utm_source", "tracking_data", "UTM_SOURCE", ()),
    ("Legal entity", "legal_entity", None, ()),
    ("Linked product", "linked_entity", None, ()),
    ("Product line", "chained_list", None, ()),
    ("Attachment", "file", None, ()),
)  # fmt: skip


def create_demo(
    database_url: str, subdomain: str = "demo", leads: int = 2000, seed: int = 1
) -> DemoSummary:
    """Create the account unless it exists; either way return what it holds. A new account is
    followed by fresh planner statistics (PostgreSQL), so the server plans its reads well from
    the first request."""
    with bulk_connection(database_url) as conn:
        existing = conn.execute(
            sa.text("SELECT id FROM accounts WHERE subdomain = :s"), {"s": subdomain}
        ).scalar_one_or_none()
        if existing is not None:
            return _summary_of(conn, existing, subdomain)
        summary = _Builder(conn, subdomain, leads, seed).build()
    analyze(database_url)
    return summary


def _summary_of(conn: sa.Connection, account_id: int, subdomain: str) -> DemoSummary:
    users = conn.execute(
        sa.text("SELECT id, email, is_admin FROM users WHERE account_id = :a ORDER BY id"),
        {"a": account_id},
    ).all()
    lead_ids = (
        conn.execute(
            sa.text(
                "SELECT id FROM leads WHERE account_id = :a AND NOT is_deleted ORDER BY id LIMIT 10"
            ),
            {"a": account_id},
        )
        .scalars()
        .all()
    )
    count = conn.execute(
        sa.text("SELECT count(*) FROM leads WHERE account_id = :a"), {"a": account_id}
    ).scalar_one()
    return DemoSummary(
        account_id=account_id,
        subdomain=subdomain,
        created=False,
        users={str(u.email).split("@")[0]: u.id for u in users},
        lead_ids=lead_ids,
        leads=count,
    )


class _Builder:
    def __init__(self, conn: sa.Connection, subdomain: str, leads: int, seed: int) -> None:
        self.conn = conn
        self.subdomain = subdomain
        self.lead_count = leads
        self.rnd = random.Random(seed)
        self.rnd_seed = seed
        self.contact_names: dict[int, tuple[str, str]] = {}
        self.now = int(time.time())
        self.account_id = 0

    def ids(self, entity: str, count: int) -> Sequence[int]:
        return allocate_ids(self.conn, entity, count)

    def insert(self, table: str, columns: str, rows: Any) -> None:
        insert_rows(self.conn, table, [c.strip() for c in columns.split(",")], rows)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rnd.getrandbits(128), version=4))

    def build(self) -> DemoSummary:
        self._account()
        self._users()
        self._pipelines()
        self._directories()
        self._parties()
        self._party_elements()
        self._custom_fields()
        self._predefined_fields()
        lead_ids = self._leads()
        index_leads(self.conn, self.account_id)
        index_parties(self.conn, "contacts", self.account_id)
        index_parties(self.conn, "companies", self.account_id)
        return DemoSummary(
            account_id=self.account_id,
            subdomain=self.subdomain,
            created=True,
            users={u.key: u.id for u in self.users},
            lead_ids=[i for i in lead_ids[:50] if i not in self.deleted][:10],
            leads=len(lead_ids),
        )

    def _account(self) -> None:
        top = self.conn.execute(sa.text("SELECT max(id) FROM accounts")).scalar_one()
        self.account_id = max(top or 0, ACCOUNT_ID_BASE) + 1
        settings = {
            "datetime_settings": {
                "date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y",
                "short_time_pattern": "H:i", "date_format": "d.m.Y", "time_format": "H:i:s",
                "timezone": "Europe/Amsterdam", "timezone_offset": "+01:00",
            },
            "entity_names": {"leads": {"en": {"singular_form": {"default": "lead"},
                                              "plural_form": {"default": "leads"}}}},
            "drive_url": f"https://drive-b.{self.subdomain}.example.com",
            "is_api_filter_enabled": True,
            "amojo_rights": {"can_direct": True, "can_create_groups": True},
            "invoices_settings": {"lang": "en", "invoices_catalog_id": None},
        }  # fmt: skip
        self.insert(
            "accounts",
            "id, subdomain, name, country, currency, currency_symbol, customers_mode, "
            "is_unsorted_on, is_loss_reason_enabled, is_helpbot_enabled, is_technical_account, "
            "contact_name_display_order, mobile_feature_version, amojo_id, version, paid_till, "
            "settings, created_by, updated_by, created_at, updated_at",
            [(self.account_id, self.subdomain, f"{self.subdomain.title()} Trading B.V.", "NL",
              "EUR", "€", "disabled", True, True, False, False, 1, 0, self.uuid(), 11, None,
              json.dumps(settings), 0, 0, self.now - 400 * DAY, self.now - 400 * DAY)],
        )  # fmt: skip

    def _users(self) -> None:
        self.users = _users(self.subdomain)
        sales, support = self.ids("user_groups", 2)
        self.groups = {"sales": sales, "support": support}
        self.insert(
            "user_groups",
            "account_id, id, name, uuid",
            [(self.account_id, 0, "Main", None),
             (self.account_id, sales, "Sales", self.uuid()),
             (self.account_id, support, "Support", self.uuid())],
        )  # fmt: skip
        for user, user_id in zip(self.users, self.ids("users", len(self.users)), strict=True):
            user.id = user_id
            user.group_id = self.groups[user.group] if user.group else 0
        self.by_key = {u.key: u for u in self.users}

    def _pipelines(self) -> None:
        main, partners = self.ids("pipelines", 2)
        self.insert(
            "pipelines",
            "account_id, id, name, sort, is_main, is_unsorted_on, is_archive, "
            "created_at, updated_at",
            [(self.account_id, main, "Sales", 1, True, True, False, self.now - 400 * DAY, self.now),
             (self.account_id, partners, "Partners", 2, False, True, False,
              self.now - 300 * DAY, self.now)],
        )  # fmt: skip
        stage_names = {
            main: ("Qualification", "Meeting scheduled", "Proposal sent", "Negotiation"),
            partners: ("First contact", "Pilot", "Contract review"),
        }
        colors = ("#99ccff", "#ffff99", "#ffcc66", "#ff99cc", "#87f2c0", "#d6eaff")
        rows = []
        self.stages: list[tuple[int, int]] = []  # (pipeline, status) of regular stages
        self.incoming: dict[int, int] = {}  # pipeline -> its incoming stage
        for pipeline in (main, partners):
            incoming, *regular = self.ids("statuses", 1 + len(stage_names[pipeline]))
            self.incoming[pipeline] = incoming
            rows.append((self.account_id, pipeline, incoming, "Incoming leads", 10, False,
                         "#c1c1c1", 1))  # fmt: skip
            for i, (sid, name) in enumerate(zip(regular, stage_names[pipeline], strict=True)):
                rows.append((self.account_id, pipeline, sid, name, 20 + 10 * i, True,
                             colors[i % len(colors)], 0))  # fmt: skip
                self.stages.append((pipeline, sid))
            rows.append(
                (self.account_id, pipeline, WON, "Closed - won", 10000, False, "#CCFF66", 0)
            )
            rows.append((self.account_id, pipeline, LOST, "Closed - lost", 11000, False,
                         "#D5D8DB", 0))  # fmt: skip
        self.insert(
            "statuses", "account_id, pipeline_id, id, name, sort, is_editable, color, type", rows
        )
        self.pipelines = (main, partners)
        # Stan sees his group's leads except in Negotiation, and every won lead.
        _, negotiation = self.stages[3]  # the main pipeline's fourth stage
        self.by_key["staged"].rights["status_rights"] = [
            {"entity_type": "leads", "pipeline_id": main, "status_id": negotiation,
             "rights": {"view": "D", "edit": "D", "delete": "D"}},
            {"entity_type": "leads", "pipeline_id": main, "status_id": WON,
             "rights": {"view": "A", "edit": "D", "delete": "D"}},
        ]  # fmt: skip
        self.insert(
            "users",
            "account_id, id, name, email, lang, uuid, amojo_id, is_admin, is_free, is_active, "
            "group_id, role_id, rights, created_at, updated_at",
            [(self.account_id, u.id, u.name, u.email, "en", self.uuid(), self.uuid(), u.is_admin,
              u.is_free, True, u.group_id or None, None, json.dumps(u.rights),
              self.now - 300 * DAY, self.now - 300 * DAY) for u in self.users],
        )  # fmt: skip

    def _directories(self) -> None:
        reasons = ("Too expensive", "Chose a competitor", "No longer needed", "No response")
        self.loss_reasons = list(self.ids("loss_reasons", len(reasons)))
        self.insert(
            "loss_reasons",
            "account_id, id, name, sort, created_at, updated_at",
            [(self.account_id, rid, name, 100000 * (i + 1), self.now - 200 * DAY,
              self.now - 200 * DAY) for i, (rid, name) in enumerate(zip(self.loss_reasons, reasons,
                                                                         strict=True))],
        )  # fmt: skip
        self.sources = list(self.ids("sources", 2))
        self.insert(
            "sources",
            "account_id, id, name, pipeline_id, external_id, is_default, origin_code, "
            "integration_id, services, created_at, updated_at",
            [(self.account_id, self.sources[0], "Website form", self.pipelines[0], "web-form-1",
              True, None, None, "[]", self.now - 200 * DAY, self.now - 200 * DAY),
             (self.account_id, self.sources[1], "WhatsApp", self.pipelines[0], "wa-31612345678",
              False, "waba", None,
              json.dumps([{"type": "whatsapp", "params": {"waba": True}}]),
              self.now - 100 * DAY, self.now - 100 * DAY)],
        )  # fmt: skip
        tag_names = ("vip", "repeat customer", "from fair", "partner referral", "urgent",
                     "cold", "upsell", "needs follow-up")  # fmt: skip
        self.tags = list(self.ids("tags", len(tag_names)))
        self.insert(
            "tags",
            "account_id, id, entity_type, name, color",
            [(self.account_id, tid, "leads", name, TAG_COLORS[i])
             for i, (tid, name) in enumerate(zip(self.tags, tag_names, strict=True))],
        )  # fmt: skip
        (self.catalog_id,) = self.ids("catalogs", 1)
        self.insert(
            "catalogs",
            "account_id, id, name, type, sort, created_by, updated_by, created_at, updated_at",
            [(self.account_id, self.catalog_id, "Products", "products", 10, 0, 0,
              self.now - 300 * DAY, self.now - 300 * DAY)],
        )  # fmt: skip
        self.elements = list(self.ids("catalog_elements", 20))
        self.insert(
            "catalog_elements",
            "account_id, id, catalog_id, name, created_by, updated_by, created_at, updated_at, "
            "is_deleted",
            [(self.account_id, eid, self.catalog_id, f"Product {i + 1:02d}", 0, 0,
              self.now - 300 * DAY, self.now - 300 * DAY, False)
             for i, eid in enumerate(self.elements)],
        )  # fmt: skip

    def _parties(self) -> None:
        rnd = self.rnd
        staff = [u for u in self.users if not u.is_free]
        n_contacts = max(10, self.lead_count // 2)
        n_companies = max(5, self.lead_count // 5)
        self.contacts = list(self.ids("contacts", n_contacts))
        self.companies = list(self.ids("companies", n_companies))

        def contact_rows() -> Iterator[tuple[Any, ...]]:
            for cid in self.contacts:
                first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
                self.contact_names[cid] = (first, last)
                owner = rnd.choice(staff)
                created = self.now - rnd.randrange(400 * DAY)
                yield (self.account_id, cid, f"{first} {last}", first, last, owner.id,
                       owner.group_id, owner.id, owner.id, created, created, None,
                       False)  # fmt: skip

        def company_rows() -> Iterator[tuple[Any, ...]]:
            for cid in self.companies:
                owner = rnd.choice(staff)
                created = self.now - rnd.randrange(400 * DAY)
                name = f"{rnd.choice(COMPANY_WORDS)} {rnd.choice(COMPANY_KINDS)}"
                yield (self.account_id, cid, name, owner.id, owner.group_id, owner.id, owner.id,
                       created, created, None, False)  # fmt: skip

        self.insert(
            "contacts",
            "account_id, id, name, first_name, last_name, responsible_user_id, group_id, "
            "created_by, updated_by, created_at, updated_at, closest_task_at, is_deleted",
            contact_rows(),
        )
        self.insert(
            "companies",
            "account_id, id, name, responsible_user_id, group_id, created_by, updated_by, "
            "created_at, updated_at, closest_task_at, is_deleted",
            company_rows(),
        )

    def _party_elements(self) -> None:
        """Products some companies and contacts link themselves (one company in three, one
        contact in ten), drawn from a stream of their own so the rest of the demo stays as it
        was."""
        rnd = random.Random(f"{self.rnd_seed}:party_elements")
        for owner, ids, every in (("company", self.companies, 3), ("contact", self.contacts, 10)):
            rows = [
                (self.account_id, pid, element, self.catalog_id, float(rnd.randint(1, 20)), None)
                for pid in ids[::every]
                for element in sorted(rnd.sample(self.elements, rnd.randint(1, 2)))
            ]
            self.insert(
                f"{owner}_catalog_elements",
                f"account_id, {owner}_id, element_id, catalog_id, quantity, price_id",
                rows,
            )

    def _custom_fields(self) -> None:
        """The lead fields; the delivery address in a group of its own, the tracking field in
        the predefined group (its "Statistics" tab)."""
        (group,) = self.ids("custom_field_groups", 1)
        made = self.now - 300 * DAY
        self.insert(
            "custom_field_groups",
            "account_id, id, entity_type, name, sort, created_at, updated_at",
            [(self.account_id, group, "leads", "Delivery", 1, made, made)],
        )
        group_of = {
            "streetaddress": field_groups.api_id("leads", self.account_id, group),
            "tracking_data": field_groups.api_id("leads", self.account_id, field_groups.PREDEFINED),
        }
        ids = self.ids("custom_fields", len(CUSTOM_FIELDS))
        self.fields: dict[str, tuple[int, list[int]]] = {}
        field_rows, enum_rows = [], []
        enum_total = sum(len(f[3]) for f in CUSTOM_FIELDS)
        enum_ids = iter(self.ids("custom_field_enums", enum_total))
        for i, (fid, (name, ftype, code, enums)) in enumerate(zip(ids, CUSTOM_FIELDS, strict=True)):
            field_rows.append(
                (self.account_id, fid, "leads", name, code, 10 * (i + 1), ftype, False, False,
                 True, False, group_of.get(ftype), None, "[]", None,
                 "EUR" if ftype == "monetary" else None,
                 None, None, "catalog_elements" if ftype == "linked_entity" else None,
                 self.now - 300 * DAY, self.now - 300 * DAY)
            )  # fmt: skip
            own = []
            for j, value in enumerate(enums):
                eid = next(enum_ids)
                own.append(eid)
                enum_rows.append((self.account_id, eid, fid, value, 500 * (j + 1),
                                  value if ftype == "smart_address" else None))  # fmt: skip
            self.fields[ftype] = (fid, own)
        self.insert(
            "custom_fields",
            "account_id, id, entity_type, name, code, sort, type, is_computed, is_predefined, "
            "is_deletable, is_api_only, group_id, required_statuses, hidden_statuses, remind, "
            "currency, chained_lists, tracking_callback, search_in, created_at, updated_at",
            field_rows,
        )
        self.insert("custom_field_enums", "account_id, id, field_id, value, sort, code", enum_rows)

    def _predefined_fields(self) -> None:
        """The contact and company fields every account carries (§4.1), and phones, e-mails
        and web sites for the demo's contacts and companies. Drawn from a random stream of
        their own, so the rest of the demo stays as it was."""
        fields = predefined.FIELDS
        ids = self.ids("custom_fields", len(fields))
        enum_ids = iter(self.ids("custom_field_enums", sum(len(f.enums) for f in fields)))
        made = self.now - 300 * DAY
        field_rows, enum_rows = [], []
        by_key: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}
        for fid, f in zip(ids, fields, strict=True):
            field_rows.append(
                (self.account_id, fid, f.entity_type, f.name, f.code, f.sort, f.type, False,
                 True, False, False, None, None, "[]", None, None, None, None, None, made, made)
            )  # fmt: skip
            kinds = {}
            for k, value in enumerate(f.enums):
                eid = next(enum_ids)
                kinds[value] = eid
                enum_rows.append((self.account_id, eid, fid, value, f.enum_sort(k), None))
            by_key[(f.entity_type, f.code)] = (fid, kinds)
        self.insert(
            "custom_fields",
            "account_id, id, entity_type, name, code, sort, type, is_computed, is_predefined, "
            "is_deletable, is_api_only, group_id, required_statuses, hidden_statuses, remind, "
            "currency, chained_lists, tracking_callback, search_in, created_at, updated_at",
            field_rows,
        )
        self.insert("custom_field_enums", "account_id, id, field_id, value, sort, code", enum_rows)
        rnd = random.Random(f"{self.rnd_seed}:parties")
        columns = "account_id, {owner}, field_id, position, enum_id, value_text"

        def phone() -> str:
            return f"+31 6 {rnd.randrange(10**8):08d}"

        contact_rows: list[tuple[Any, ...]] = []
        phone_id, phone_kinds = by_key[("contacts", "PHONE")]
        email_id, email_kinds = by_key[("contacts", "EMAIL")]
        for cid in self.contacts:
            first, last = self.contact_names[cid]
            for position in range(rnd.choice((0, 1, 1, 1, 2))):
                kind = ("WORK", "MOB")[position]
                contact_rows.append(
                    (self.account_id, cid, phone_id, position, phone_kinds[kind], phone())
                )
            if rnd.random() < 0.8:  # most contacts have an e-mail
                mail = f"{first}.{last}.{cid % 1000}@example.com".lower().replace(" ", "")
                contact_rows.append((self.account_id, cid, email_id, 0, email_kinds["WORK"], mail))
        self.insert("contact_custom_field_values", columns.format(owner="contact_id"), contact_rows)
        company_rows: list[tuple[Any, ...]] = []
        company_phone, company_kinds = by_key[("companies", "PHONE")]
        web, _ = by_key[("companies", "WEB")]
        for cid in self.companies:
            company_rows.append(
                (self.account_id, cid, company_phone, 0, company_kinds["WORK"], phone())
            )
            company_rows.append((self.account_id, cid, web, 0, None, f"https://c{cid}.example.com"))
        self.insert("company_custom_field_values", columns.format(owner="company_id"), company_rows)
        contact_tag, company_tag = self.ids("tags", 2)
        self.insert(
            "tags",
            "account_id, id, entity_type, name, color",
            [(self.account_id, contact_tag, "contacts", "newsletter", None),
             (self.account_id, company_tag, "companies", "partner", None)],
        )  # fmt: skip
        share = {"contacts": 0.3, "companies": 0.5}
        self.insert(
            "contact_tags",
            "account_id, contact_id, tag_id",
            [(self.account_id, c, contact_tag) for c in self.contacts
             if rnd.random() < share["contacts"]],
        )  # fmt: skip
        self.insert(
            "company_tags",
            "account_id, company_id, tag_id",
            [(self.account_id, c, company_tag) for c in self.companies
             if rnd.random() < share["companies"]],
        )  # fmt: skip

    def _leads(self) -> Sequence[int]:
        """Leads in chunks of ``LEAD_CHUNK``: memory stays flat at a million leads, and the
        random draws happen in the same order as in one pass, so the data is the same."""
        lead_ids = self.ids("leads", self.lead_count)
        self.deleted: set[int] = set()
        if self.conn.dialect.name == "sqlite":
            # Every child row's foreign key looks up its lead, contact or company; with the
            # default 2 MB page cache those lookups miss at a million leads (about 10% slower).
            self.conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        notes = random.Random(self.rnd_seed + NOTES_SEED)  # the leads' draws stay as they were
        for start in range(0, len(lead_ids), LEAD_CHUNK):
            self._lead_chunk(lead_ids[start : start + LEAD_CHUNK])
            self._note_chunk(lead_ids[start : start + LEAD_CHUNK], notes)
        return lead_ids

    def _note_chunk(self, lead_ids: Sequence[int], rnd: random.Random) -> None:
        """Notes of several types on about one lead in four, drawn from a generator of their
        own so that adding them changed no lead; written by one of the staff."""
        staff = [(u.id, u.group_id) for u in self.users if not u.is_free]
        choice, random_, randrange = rnd.choice, rnd.random, rnd.randrange
        drawn: list[tuple[int, str, str, int, int, int]] = []
        for lead_id in lead_ids:
            if random_() >= NOTE_SHARE:
                continue
            for _ in range(choice(NOTE_COUNTS)):
                note_type, params = choice(NOTE_KINDS)(rnd)
                user_id, group_id = choice(staff)
                drawn.append((lead_id, note_type, json.dumps(params), user_id, group_id,
                              self.now - randrange(MONTH)))  # fmt: skip
        if not drawn:
            return
        ids = self.ids("notes", len(drawn))
        self.insert(
            "notes",
            "account_id, id, entity_type, entity_id, note_type, params, responsible_user_id, "
            "group_id, created_by, updated_by, created_at, updated_at, is_pinned",
            [
                (self.account_id, note_id, "leads", lead_id, note_type, params, user_id,
                 group_id, user_id, user_id, at, at, False)
                for note_id, (lead_id, note_type, params, user_id, group_id, at)
                in zip(ids, drawn, strict=True)
            ],
        )  # fmt: skip

    def _lead_chunk(self, lead_ids: Sequence[int]) -> None:
        """Draw and insert one chunk of leads with their tags, links and field values.

        The loop binds everything it uses to locals; this is the generator's hot path.
        """
        rnd = self.rnd
        choice, sample, random_, randrange = rnd.choice, rnd.sample, rnd.random, rnd.randrange
        staff = [(u.id, u.group_id) for u in self.users if not u.is_free]
        account, now, catalog_id = self.account_id, self.now, self.catalog_id
        stages, pipelines, incoming = self.stages, self.pipelines, self.incoming
        loss_reasons, sources, tags = self.loss_reasons, self.sources, self.tags
        contacts, companies, elements = self.contacts, self.companies, self.elements
        deleted_ids, values = self.deleted, self._values
        lead_rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[int, int, int]] = []
        contact_rows: list[tuple[int, int, int, bool]] = []
        company_rows: list[tuple[int, int, int]] = []
        element_rows: list[tuple[Any, ...]] = []
        value_rows: list[tuple[Any, ...]] = []
        task_rows: list[tuple[Any, ...]] = []
        add_task = task_rows.append
        add_lead, add_tag, add_contact = lead_rows.append, tag_rows.append, contact_rows.append
        add_company, add_element = company_rows.append, element_rows.append
        for position, lead_id in enumerate(lead_ids):
            owner_id, owner_group = choice(staff)
            roll = random_()
            created = now - randrange(YEAR)
            updated = min(now, created + randrange(MONTH))
            closed_at = loss_reason = None
            if roll < 0.15:
                pipeline, status = choice(pipelines), WON
                closed_at = updated
            elif roll < 0.27:
                pipeline, status = choice(pipelines), LOST
                closed_at = updated
                loss_reason = choice(loss_reasons)
            elif roll < 0.30:
                pipeline = choice(pipelines)
                status = incoming[pipeline]
            else:
                pipeline, status = choice(stages)
            deleted = random_() < 0.03
            if deleted:
                deleted_ids.add(lead_id)
            price = choice(PRICES)
            # every tenth lead's budget has cents (Kommo's price_with_minor_units); by position,
            # not drawn, so the rest of the dataset is what the same seed always gave
            price_minor = 50 if price and position % 10 == 9 else 0
            closest = None
            if random_() < 0.3:
                # open, overdue and completed tasks; the lead's closest_task_at is derived
                # from its open ones, as every task write keeps it
                for _ in range(choice(TASK_COUNTS)):
                    kind = random_()
                    task_created = min(now, created + randrange(DAY))
                    done = kind >= 0.75
                    if kind < 0.5:
                        till = now + randrange(1, TWENTY_DAYS)
                    elif not done:
                        till = now - randrange(1, TWENTY_DAYS)
                    else:
                        till = task_created + randrange(1, TWENTY_DAYS)
                    if not done:
                        closest = till if closest is None else min(closest, till)
                    task_type = 2 if random_() < 0.2 else 1
                    result = choice(TASK_RESULTS) if done else None
                    add_task((
                        account, owner_id, owner_id, task_created, task_created, owner_id,
                        owner_group, lead_id, "leads", 0, done, task_type, choice(TASK_TEXTS),
                        result, None, till,
                    ))  # fmt: skip
            add_lead((
                account, lead_id, f"{choice(DEAL_WORDS)} #{lead_id}", price, price_minor, owner_id,
                owner_group, pipeline, status, loss_reason,
                choice(sources) if random_() < 0.4 else None,
                owner_id, owner_id, created, updated, closed_at, closest,
                deleted, None, None, False, random_() < 0.05,
            ))  # fmt: skip
            for tag_id in sample(tags, choice(TAG_COUNTS)):
                add_tag((account, lead_id, tag_id))
            for k, contact_id in enumerate(sample(contacts, choice(CONTACT_COUNTS))):
                add_contact((account, lead_id, contact_id, k == 0))
            if random_() < 0.5:
                add_company((account, lead_id, choice(companies)))
            if random_() < 0.3:
                for element_id in sample(elements, choice(ELEMENT_COUNTS)):
                    add_element((account, lead_id, element_id, catalog_id,
                                 choice(QUANTITIES), None))  # fmt: skip
            values(lead_id, created, value_rows)
        self.insert(
            "leads",
            "account_id, id, name, price, price_minor, responsible_user_id, group_id, pipeline_id, "
            "status_id, loss_reason_id, source_id, created_by, updated_by, created_at, updated_at, "
            "closed_at, closest_task_at, is_deleted, score, labor_cost, is_price_computed, "
            "is_price_modified_by_robot",
            lead_rows,
        )
        task_ids = self.ids("tasks", len(task_rows))
        self.insert(
            "tasks",
            "account_id, id, created_by, updated_by, created_at, updated_at, "
            "responsible_user_id, group_id, entity_id, entity_type, duration, is_completed, "
            "task_type_id, text, result_text, result_note_id, complete_till",
            ((row[0], task_id, *row[1:]) for row, task_id in zip(task_rows, task_ids, strict=True)),
        )
        self.insert("lead_tags", "account_id, lead_id, tag_id", tag_rows)
        self.insert("lead_contacts", "account_id, lead_id, contact_id, is_main", contact_rows)
        self.insert("lead_companies", "account_id, lead_id, company_id", company_rows)
        self.insert(
            "lead_catalog_elements",
            "account_id, lead_id, element_id, catalog_id, quantity, price_id",
            element_rows,
        )
        self.insert(
            "lead_custom_field_values",
            "account_id, lead_id, field_id, position, enum_id, value_text, value_number, "
            "value_int, value_json",
            value_rows,
        )

    def _values(self, lead_id: int, created: int, out: list[tuple[Any, ...]]) -> None:
        """A handful of custom field values per lead, of varied types."""
        rnd, a, f = self.rnd, self.account_id, self.fields
        random_ = rnd.random
        if random_() < 0.6:
            fid, enums = f["select"]
            out.append((a, lead_id, fid, 0, rnd.choice(enums), None, None, None, None))
        if random_() < 0.5:
            fid, _ = f["numeric"]
            budget = rnd.randrange(1, 500) * 100
            out.append((a, lead_id, fid, 0, None, str(budget), float(budget), None, None))
        if random_() < 0.4:
            fid, _ = f["date_time"]
            out.append((a, lead_id, fid, 0, None, None, None, created + rnd.randrange(TWO_MONTHS),
                        None))  # fmt: skip
        if random_() < 0.4:
            fid, enums = f["multiselect"]
            for pos, enum_id in enumerate(rnd.sample(enums, rnd.choice((1, 2)))):
                out.append((a, lead_id, fid, pos, enum_id, None, None, None, None))
        if random_() < 0.3:
            fid, _ = f["checkbox"]
            out.append((a, lead_id, fid, 0, None, None, None, 1, None))
        if random_() < 0.3:
            fid, _ = f["text"]
            out.append((a, lead_id, fid, 0, None, f"ORD-{lead_id % 100000:05d}", None, None, None))
        if random_() < 0.2:
            fid, _ = f["tracking_data"]
            out.append((a, lead_id, fid, 0, None, rnd.choice(("google", "newsletter", "fair")),
                        None, None, None))  # fmt: skip
        if random_() < 0.1:
            fid, _ = f["legal_entity"]
            legal = {"name": f"{rnd.choice(COMPANY_WORDS)} B.V.", "entity_type": 2,
                     "vat_id": f"NL{rnd.randrange(10**8, 10**9)}B01"}  # fmt: skip
            out.append((a, lead_id, fid, 0, None, None, None, None, json.dumps(legal)))
