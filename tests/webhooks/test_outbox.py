"""The outbox: what ``enqueue_lead_changes`` queues, in Kommo's exact form encoding, for whom,
and that it is written in the change's transaction or not at all."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from kommodore.db import open_database
from kommodore.db.database import Connection, Query
from kommodore.leads.outbox import LeadChange, enqueue_lead_changes
from kommodore.webhooks.payload import body, encode, php_quote
from tests.conftest import BASE_DOMAIN, Backend
from tests.factories import NOW, Account, Factory
from tests.webhooks.helpers import add_webhook, deliveries, enqueue

ALL = ("add_lead", "update_lead", "status_lead", "responsible_lead", "delete_lead", "restore_lead")
WHEN = 1_700_000_000


def _decoded(body: str) -> list[tuple[str, str]]:
    return parse_qsl(body, keep_blank_values=True, strict_parsing=True)


def test_encoding_is_phps_http_build_query() -> None:
    """Brackets escaped, space as +, and ~ escaped as PHP's urlencode does."""
    pairs = [("leads[add][0][id]", "7"), ("leads[add][0][name]", "a b~c&d=e/ü*-_.")]
    expected = (
        "leads%5Badd%5D%5B0%5D%5Bid%5D=7"
        "&leads%5Badd%5D%5B0%5D%5Bname%5D=a+b%7Ec%26d%3De%2F%C3%BC%2A-_."
    )
    assert encode(pairs) == expected
    quote_via: Any = php_quote
    assert urlencode(pairs, quote_via=quote_via) == expected
    items = [[("[id]", "7"), ("[name]", "a b~c&d=e/ü*-_.")]]
    assert body([], [("add", items)]) == expected


def _golden_lead(factory: Factory, account: Account) -> tuple[int, dict[str, Any]]:
    lead = factory.lead(account, name="Lead title", price=1500, stage="second")
    checkbox, _ = factory.field(account, "checkbox", "Checkbox field", sort=10)
    select, (_alpha, beta) = factory.field(
        account, "select", "Choice", code="CHOICE", enums=[("Alpha", None), ("Beta", None)], sort=20
    )
    date, _ = factory.field(account, "date", "Due", sort=30)
    text, _ = factory.field(account, "text", "Note", sort=40)
    phone, (work,) = factory.field(account, "multitext", "Phone", code="PHONE",
                                   enums=[("WORK", None)], sort=50)  # fmt: skip
    factory.value(account, lead, checkbox, value_int=1)
    factory.value(account, lead, select, enum_id=beta)
    factory.value(account, lead, date, value_int=1413554349)
    factory.value(account, lead, text, value_text="a b~c&d=e")
    factory.value(account, lead, phone, enum_id=work, value_text="+1 555", position=0)
    factory.value(account, lead, phone, enum_id=work, value_text="+1 556", position=1)
    tag = factory.tag(account, "vip")
    factory.link("lead_tags", account, lead_id=lead, tag_id=tag)
    return lead, {
        "checkbox": checkbox, "select": select, "beta": beta, "date": date, "text": text,
        "phone": phone, "work": work, "tag": tag,
    }  # fmt: skip


def test_golden_body_of_a_stage_and_responsible_change(backend: Backend, factory: Factory) -> None:
    account = factory.account()
    lead, ids = _golden_lead(factory, account)
    hook = add_webhook(factory, account, "https://example.com/all", ALL)
    old_pipeline, old_status = account.stages["first"]
    pipeline, status = account.stages["second"]
    enqueue(
        backend.url,
        account.id,
        [
            LeadChange(
                lead, "update", old_stage=(old_pipeline, old_status), responsible_changed=True
            )
        ],
    )
    (delivery,) = deliveries(factory, account)
    assert {k: delivery[k] for k in ("webhook_id", "destination", "status", "attempts")} == {
        "webhook_id": hook, "destination": "https://example.com/all", "status": "pending",
        "attempts": 0,
    }  # fmt: skip
    assert delivery["next_attempt_ms"] == WHEN * 1000
    assert delivery["locked_until_ms"] is None and delivery["last_status"] is None

    def item(action: str, old: bool = False) -> list[tuple[str, str]]:
        p = f"leads[{action}][0]"
        owner = str(account.admin)
        pairs = [
            (f"{p}[id]", str(lead)),
            (f"{p}[name]", "Lead title"),
            (f"{p}[status_id]", str(status)),
        ]
        if old:
            pairs.append((f"{p}[old_status_id]", str(old_status)))
        pairs.append((f"{p}[pipeline_id]", str(pipeline)))
        if old:
            pairs.append((f"{p}[old_pipeline_id]", str(old_pipeline)))
        cf = f"{p}[custom_fields]"
        pairs += [
            (f"{p}[price]", "1500"),
            (f"{p}[responsible_user_id]", owner),
            (f"{p}[last_modified]", str(NOW - 50)),
            (f"{p}[modified_user_id]", owner),
            (f"{p}[created_user_id]", owner),
            (f"{p}[date_create]", str(NOW - 100)),
            (f"{p}[account_id]", str(account.id)),
            (f"{p}[tags][0][id]", str(ids["tag"])),
            (f"{p}[tags][0][name]", "vip"),
            (f"{cf}[0][id]", str(ids["checkbox"])),
            (f"{cf}[0][name]", "Checkbox field"),
            (f"{cf}[0][values][0][value]", "1"),
            (f"{cf}[1][id]", str(ids["select"])),
            (f"{cf}[1][name]", "Choice"),
            (f"{cf}[1][code]", "CHOICE"),
            (f"{cf}[1][values][0][value]", "Beta"),
            (f"{cf}[1][values][0][enum]", str(ids["beta"])),
            (f"{cf}[2][id]", str(ids["date"])),
            (f"{cf}[2][name]", "Due"),
            (f"{cf}[2][values][0][value]", "1413554349"),
            (f"{cf}[3][id]", str(ids["text"])),
            (f"{cf}[3][name]", "Note"),
            (f"{cf}[3][values][0][value]", "a b~c&d=e"),
            (f"{cf}[4][id]", str(ids["phone"])),
            (f"{cf}[4][name]", "Phone"),
            (f"{cf}[4][code]", "PHONE"),
            (f"{cf}[4][values][0][value]", "+1 555"),
            (f"{cf}[4][values][0][enum]", str(ids["work"])),
            (f"{cf}[4][values][1][value]", "+1 556"),
            (f"{cf}[4][values][1][enum]", str(ids["work"])),
            (f"{p}[created_at]", str(NOW - 100)),
            (f"{p}[updated_at]", str(NOW - 50)),
        ]
        return pairs

    expected = [
        ("account[subdomain]", account.subdomain),
        ("account[id]", str(account.id)),
        ("account[_links][self]", f"https://{account.subdomain}.{BASE_DOMAIN}"),
        *item("update"),
        *item("status", old=True),
        *item("responsible"),
    ]
    assert _decoded(delivery["body"]) == expected
    # the raw bytes are exactly PHP's http_build_query of those pairs
    assert delivery["body"] == encode(expected)
    assert delivery["body"].startswith(
        f"account%5Bsubdomain%5D={account.subdomain}&account%5Bid%5D={account.id}"
        f"&account%5B_links%5D%5Bself%5D=https%3A%2F%2F{account.subdomain}."
    )
    assert f"&leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D={old_status}&" in delivery["body"]
    assert "%5Bvalues%5D%5B0%5D%5Bvalue%5D=a+b%7Ec%26d%3De&" in delivery["body"]


def test_each_webhook_gets_only_its_actions(backend: Backend, factory: Factory) -> None:
    account = factory.account()
    owner = account.admin
    added, moved, reassigned, removed, restored = (factory.lead(account) for _ in range(5))
    factory.execute(
        "UPDATE leads SET is_deleted = :d WHERE account_id = :a AND id = :i",
        d=True, a=account.id, i=removed,
    )  # fmt: skip
    old = account.stages["incoming"]
    batch = [
        LeadChange(added, "add"),
        LeadChange(moved, "update", old_stage=old),
        LeadChange(reassigned, "update", responsible_changed=True),
        LeadChange(removed, "delete"),
        LeadChange(restored, "restore"),
    ]
    hooks = {
        name: add_webhook(factory, account, f"https://example.com/{name}", settings)
        for name, settings in {
            "add": ["add_lead"],
            "status": ["status_lead", "note_lead"],
            "responsible": ["responsible_lead"],
            "delete": ["delete_lead"],
            "restore": ["restore_lead"],
            "update": ["update_lead"],
            "notes": ["note_lead"],
            "all": list(ALL),
        }.items()
    }
    add_webhook(factory, account, "https://example.com/off", ALL, disabled=True)
    enqueue(backend.url, account.id, batch)
    rows = {row["webhook_id"]: row for row in deliveries(factory, account)}
    assert set(rows) == {h for name, h in hooks.items() if name != "notes"}

    def items(body: str) -> dict[str, list[str]]:
        """action -> the lead ids of its items, in order."""
        found: dict[str, list[str]] = {}
        for key, value in _decoded(body):
            if key.startswith("leads[") and key.endswith("][id]") and key.count("[") == 3:
                found.setdefault(key.split("[")[1][:-1], []).append(value)
        return found

    assert items(rows[hooks["add"]]["body"]) == {"add": [str(added)]}
    assert items(rows[hooks["status"]]["body"]) == {"status": [str(moved)]}
    assert items(rows[hooks["responsible"]]["body"]) == {"responsible": [str(reassigned)]}
    assert items(rows[hooks["delete"]]["body"]) == {"delete": [str(removed)]}
    assert items(rows[hooks["restore"]]["body"]) == {"restore": [str(restored)]}
    assert items(rows[hooks["update"]]["body"]) == {"update": [str(moved), str(reassigned)]}
    assert items(rows[hooks["all"]]["body"]) == {
        "add": [str(added)], "update": [str(moved), str(reassigned)], "status": [str(moved)],
        "responsible": [str(reassigned)], "delete": [str(removed)], "restore": [str(restored)],
    }  # fmt: skip
    pipeline, status = account.stages["first"]
    assert _decoded(rows[hooks["delete"]]["body"])[3:] == [
        ("leads[delete][0][id]", str(removed)),
        ("leads[delete][0][status_id]", str(status)),
        ("leads[delete][0][pipeline_id]", str(pipeline)),
    ]
    assert ("leads[add][0][responsible_user_id]", str(owner)) in _decoded(
        rows[hooks["add"]]["body"]
    )


class Counting:
    """A connection that counts the statements run through it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.statements: list[str] = []

    async def fetch_one(self, query: Query, *args: Any) -> Any:
        self.statements.append(query.postgresql)
        return await self.conn.fetch_one(query, *args)

    async def fetch_all(self, query: Query, *args: Any) -> Any:
        self.statements.append(query.postgresql)
        return await self.conn.fetch_all(query, *args)

    async def execute(self, query: Query, *args: Any) -> None:
        self.statements.append(query.postgresql)
        await self.conn.execute(query, *args)

    async def execute_many(self, query: Query, rows: Any) -> None:
        self.statements.append(query.postgresql)
        await self.conn.execute_many(query, rows)


def _count_statements(url: str, account_id: int, changes: list[LeadChange]) -> list[str]:
    async def run() -> list[str]:
        db = await open_database(url)
        try:
            async with db.transaction() as conn:
                counting = Counting(conn)
                await enqueue_lead_changes(counting, account_id, changes, WHEN)  # type: ignore[arg-type]
                return counting.statements
        finally:
            await db.close()

    return asyncio.run(run())


def test_without_a_subscribed_webhook_enqueue_is_one_query(
    backend: Backend, factory: Factory
) -> None:
    account = factory.account()
    leads = [factory.lead(account) for _ in range(3)]
    changes = [LeadChange(lead, "add") for lead in leads]
    (only,) = _count_statements(backend.url, account.id, changes)
    assert "FROM webhooks WHERE account_id = $1 AND NOT disabled" in only
    add_webhook(factory, account, "https://example.com/a", ["update_lead", "delete_lead"])
    add_webhook(factory, account, "https://example.com/b", ["add_lead"], disabled=True)
    assert len(_count_statements(backend.url, account.id, changes)) == 1
    assert _count_statements(backend.url, account.id, []) == []
    assert deliveries(factory, account) == []


def test_a_rolled_back_change_queues_nothing(backend: Backend, factory: Factory) -> None:
    account = factory.account()
    lead = factory.lead(account)
    add_webhook(factory, account, "https://example.com/a", ["add_lead"])

    async def run() -> None:
        db = await open_database(backend.url)
        try:
            with pytest.raises(RuntimeError):
                async with db.transaction() as conn:
                    await enqueue_lead_changes(conn, account.id, [LeadChange(lead, "add")], WHEN)
                    raise RuntimeError("the write failed after enqueue")
        finally:
            await db.close()

    asyncio.run(run())
    assert deliveries(factory, account) == []
    enqueue(backend.url, account.id, [LeadChange(lead, "add")])
    assert len(deliveries(factory, account)) == 1


def test_one_delivery_per_batch_and_webhook(backend: Backend, factory: Factory) -> None:
    account = factory.account()
    leads = [factory.lead(account) for _ in range(3)]
    first = add_webhook(factory, account, "https://example.com/1", ["add_lead"])
    second = add_webhook(factory, account, "https://example.com/2", ["add_lead", "update_lead"])
    enqueue(
        backend.url, account.id,
        [LeadChange(lead, "add") for lead in leads], [LeadChange(leads[0], "update")],
    )  # fmt: skip
    rows = deliveries(factory, account)
    assert [(r["webhook_id"], r["destination"]) for r in rows] == [
        (first, "https://example.com/1"),
        (second, "https://example.com/2"),
        (second, "https://example.com/2"),
    ]
    ids = [v for k, v in _decoded(rows[0]["body"]) if k.endswith("][id]") and k.startswith("leads")]
    assert ids == [str(lead) for lead in leads]
    assert rows[0]["body"] == rows[1]["body"]
    assert [k for k, _ in _decoded(rows[2]["body"]) if k.endswith("[0][id]")] == [
        "leads[update][0][id]"
    ]
