"""GET /api/v4/leads over the demo data: every filter and its spellings, search, order, paging
and rights, each checked against what a direct SQL query of the same data says must match."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from kommodore.db import sqlalchemy_url
from kommodore.demo.generator import DemoSummary, create_demo
from tests.conftest import Backend
from tests.factories import NOW, Account, Factory

LEADS = 620
CENTS = "(price * 100 + price_minor)"
"""A lead's exact budget in hundredths, as `filter[price]` compares it."""


@dataclass
class Demo:
    summary: DemoSummary
    account: Account
    engine: sa.Engine
    tokens: dict[str, str]

    @property
    def id(self) -> int:
        return self.summary.account_id

    def scalar(self, statement: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(statement), {"a": self.id, **params}).scalar()

    def ids(self, where: str = "1 = 1", order: str = "id", deleted: bool = False, **params: Any):
        """Lead ids a direct query says match, in order."""
        statement = (
            f"SELECT id FROM leads WHERE account_id = :a AND is_deleted = :d AND ({where}) "  # noqa: S608 (fragments written by the test)
            f"ORDER BY {order}"
        )
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(statement), {"a": self.id, "d": deleted, **params})
            return [r[0] for r in rows]


@pytest.fixture(scope="module")
def demo(backend: Backend, factory: Factory) -> Demo:
    summary = create_demo(backend.url, f"list{uuid.uuid4().hex[:8]}", leads=LEADS, seed=11)
    account = Account(id=summary.account_id, subdomain=summary.subdomain, main_pipeline=0,
                      other_pipeline=0)  # fmt: skip
    tokens = {key: factory.token(account, user_id) for key, user_id in summary.users.items()}
    engine = sa.create_engine(sqlalchemy_url(backend.url))
    yield Demo(summary, account, engine, tokens)
    engine.dispose()


def fetch(client: TestClient, token: str, query: str) -> tuple[list[int], list[dict[str, Any]]]:
    """Follow ``_links.next`` from the first page to the last; return the ids and the pages."""
    url: str | None = f"/api/v4/leads?{query}"
    ids: list[int] = []
    pages: list[dict[str, Any]] = []
    while url:
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 204:
            assert response.content == b""
            assert not pages, "an empty page after a page that promised a next one"
            break
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/hal+json"
        body = response.json()
        assert list(body) == ["_page", "_links", "_embedded"]
        pages.append(body)
        ids.extend(lead["id"] for lead in body["_embedded"]["leads"])
        next_link = body["_links"].get("next")
        url = next_link["href"] if next_link else None
    assert len(ids) == len(set(ids)), "a lead appeared on two pages"
    return ids, pages


def get(client: TestClient, demo: Demo, url: str, who: str = "admin") -> Any:
    return client.get(url, headers={"Authorization": f"Bearer {demo.tokens[who]}"})


def admin_ids(client: TestClient, demo: Demo, query: str) -> list[int]:
    return fetch(client, demo.tokens["admin"], query)[0]


def field(demo: Demo, field_type: str) -> int:
    return int(demo.scalar(
        "SELECT id FROM custom_fields WHERE account_id = :a AND type = :t", t=field_type
    ))  # fmt: skip


def enums(demo: Demo, field_id: int) -> list[int]:
    with demo.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id FROM custom_field_enums WHERE account_id = :a AND field_id = :f "
                    "ORDER BY sort"),
            {"a": demo.id, "f": field_id},
        )  # fmt: skip
        return [r[0] for r in rows]


def values_where(condition: str) -> str:
    """Leads with a value of the field ``:field`` (a parameter) meeting ``condition``."""
    return (
        "id IN (SELECT lead_id FROM lead_custom_field_values WHERE account_id = :a "  # noqa: S608 (a condition written by the test)
        f"AND field_id = :field AND {condition})"
    )


class TestFilters:
    def test_no_filter_pages_through_every_live_lead(self, client, demo: Demo):
        assert admin_ids(client, demo, "limit=250") == demo.ids()

    @pytest.mark.parametrize(
        "spelling",
        ["filter[id]={a}", "filter[id][]={a}&filter[id][]={b}",
         "filter[id][0]={a}&filter[id][1]={b}",
         "filter%5Bid%5D%5B0%5D={a}&filter%5Bid%5D%5B1%5D={b}", "filter[id]={a}&filter[id]={b}",
         "filter[id][]={a}&filter[id][]={b}&filter[id][]={a}&filter[id][]={b}"],
    )  # fmt: skip
    def test_id(self, client, demo: Demo, spelling: str):
        a, b = demo.ids()[5], demo.ids()[17]
        expected = [a] if "{b}" not in spelling else [a, b]
        assert admin_ids(client, demo, spelling.format(a=a, b=b)) == expected

    def test_name_is_exact_and_multiple(self, client, demo: Demo):
        first, second = demo.ids()[3], demo.ids()[4]
        names = [demo.scalar("SELECT name FROM leads WHERE account_id = :a AND id = :i", i=i)
                 for i in (first, second)]  # fmt: skip
        query = "&".join(f"filter[name][]={n.replace(' ', '%20').replace('#', '%23')}"
                         for n in names)  # fmt: skip
        assert admin_ids(client, demo, query) == demo.ids("name IN (:x, :y)", x=names[0],
                                                          y=names[1])  # fmt: skip
        assert admin_ids(client, demo, "filter[name]=Website") == []

    @pytest.mark.parametrize(
        ("query", "where"),
        [("filter[price]=2500", f"{CENTS} = 250000"),
         ("filter[price][from]=1000&filter[price][to]=5000", f"{CENTS} BETWEEN 100000 AND 500000"),
         ("filter[price][from]=15000", f"{CENTS} >= 1500000"),
         ("filter[price][to]=500", f"{CENTS} <= 50000"),
         ("filter[price][from]=2500.5&filter[price][to]=2500.5", f"{CENTS} = 250050"),
         ("filter[price][to]=1200.49", f"{CENTS} <= 120049")],
    )  # fmt: skip
    def test_price(self, client, demo: Demo, query: str, where: str):
        expected = demo.ids(where)
        assert expected
        assert admin_ids(client, demo, f"limit=250&{query}") == expected

    def test_statuses_pairs_are_ored(self, client, demo: Demo):
        with demo.engine.connect() as conn:
            (p1, s1), (p2, s2) = conn.execute(
                sa.text("SELECT DISTINCT pipeline_id, status_id FROM leads WHERE account_id = :a "
                        "AND status_id NOT IN (142, 143) ORDER BY 1, 2 LIMIT 2"), {"a": demo.id},
            ).all()  # fmt: skip
        one = f"filter[statuses][0][pipeline_id]={p1}&filter[statuses][0][status_id]={s1}"
        two = one + f"&filter[statuses][1][pipeline_id]={p2}&filter[statuses][1][status_id]={s2}"
        assert admin_ids(client, demo, one) == demo.ids(
            "pipeline_id = :p AND status_id = :s", p=p1, s=s1
        )
        assert admin_ids(client, demo, f"limit=250&{two}") == demo.ids(
            "(pipeline_id = :p AND status_id = :s) OR (pipeline_id = :q AND status_id = :t)",
            p=p1, s=s1, q=p2, t=s2,
        )  # fmt: skip

    def test_won_in_one_pipeline_only(self, client, demo: Demo):
        main = demo.scalar("SELECT id FROM pipelines WHERE account_id = :a AND is_main")
        query = f"filter[statuses][0][pipeline_id]={main}&filter[statuses][0][status_id]=142"
        expected = demo.ids("pipeline_id = :p AND status_id = 142", p=main)
        assert expected and admin_ids(client, demo, query) == expected

    def test_a_pair_missing_a_key_matches_nothing(self, client, demo: Demo):
        response = get(client, demo, "/api/v4/leads?filter[statuses][0][status_id]=142")
        assert response.status_code == 204

    @pytest.mark.parametrize("column", ["pipeline_id", "created_by", "updated_by",
                                        "responsible_user_id"])  # fmt: skip
    def test_multiple_id_columns(self, client, demo: Demo, column: str):
        with demo.engine.connect() as conn:
            values = [r[0] for r in conn.execute(
                sa.text(f"SELECT DISTINCT {column} FROM leads WHERE account_id = :a ORDER BY 1"),  # noqa: S608 (a column from the parametrize list)
                {"a": demo.id},
            )][:2]  # fmt: skip
        scalar = f"filter[{column}]={values[0]}"
        array = "&".join(f"filter[{column}][]={v}" for v in values)
        assert admin_ids(client, demo, f"limit=250&{scalar}") == demo.ids(
            f"{column} = :v", v=values[0]
        )
        assert admin_ids(client, demo, f"limit=250&{array}") == demo.ids(
            f"{column} IN (:v, :w)", v=values[0], w=values[1]
        )

    @pytest.mark.parametrize("column", ["created_at", "updated_at", "closed_at",
                                        "closest_task_at"])  # fmt: skip
    def test_date_ranges(self, client, demo: Demo, column: str):
        low = demo.scalar(f"SELECT min({column}) FROM leads WHERE account_id = :a")  # noqa: S608 (a column from the parametrize list)
        high = demo.scalar(f"SELECT max({column}) FROM leads WHERE account_id = :a")  # noqa: S608 (a column from the parametrize list)
        middle = (low + high) // 2
        both = f"filter[{column}][from]={low + 1}&filter[{column}][to]={middle}"
        assert admin_ids(client, demo, f"limit=250&{both}") == demo.ids(
            f"{column} BETWEEN :l AND :h", l=low + 1, h=middle
        )
        assert admin_ids(client, demo, f"limit=250&filter[{column}][from]={middle}") == demo.ids(
            f"{column} >= :m", m=middle
        )
        assert admin_ids(client, demo, f"limit=250&filter[{column}][to]={middle}") == demo.ids(
            f"{column} <= :m", m=middle
        )

    def test_bare_int_on_a_range_means_exact(self, client, demo: Demo):
        lead = demo.ids()[10]
        created = demo.scalar("SELECT created_at FROM leads WHERE account_id = :a AND id = :i",
                              i=lead)  # fmt: skip
        assert admin_ids(client, demo, f"filter[created_at]={created}") == demo.ids(
            "created_at = :c", c=created
        )

    def test_filters_combine_with_and(self, client, demo: Demo):
        user = demo.summary.users["all"]
        query = f"limit=250&filter[responsible_user_id]={user}&filter[price][from]=2500"
        expected = demo.ids("responsible_user_id = :u AND price >= 2500", u=user)
        assert expected and admin_ids(client, demo, query) == expected

    def test_unreadable_values_match_nothing(self, client, demo: Demo):
        for query in ("filter[id]=abc", "filter[price][from]=cheap", "filter[pipeline_id][]=x",
                      "filter[custom_fields_values][999999999][]=1"):  # fmt: skip
            response = get(client, demo, f"/api/v4/leads?{query}")
            assert response.status_code == 204, query


class TestCustomFieldFilters:
    def test_select_by_enum_id(self, client, demo: Demo):
        fid = field(demo, "select")
        north, south = enums(demo, fid)[:2]
        one = f"filter[custom_fields_values][{fid}]={north}"
        two = (f"filter[custom_fields_values][{fid}][]={north}"
               f"&filter[custom_fields_values][{fid}][]={south}")  # fmt: skip
        assert admin_ids(client, demo, f"limit=250&{one}") == demo.ids(
            values_where(f"enum_id = {north}"), field=fid
        )
        assert admin_ids(client, demo, f"limit=250&{two}") == demo.ids(
            values_where(f"enum_id IN ({north}, {south})"), field=fid
        )

    def test_multiselect_by_enum_id(self, client, demo: Demo):
        fid = field(demo, "multiselect")
        crm = enums(demo, fid)[0]
        expected = demo.ids(values_where(f"enum_id = {crm}"), field=fid)
        assert expected
        assert admin_ids(
            client, demo, f"limit=250&filter[custom_fields_values][{fid}][]={crm}"
        ) == (expected)

    def test_numeric_exact_and_range(self, client, demo: Demo):
        fid = field(demo, "numeric")
        some = demo.scalar(
            "SELECT value_number FROM lead_custom_field_values WHERE account_id = :a "
            "AND field_id = :f ORDER BY lead_id LIMIT 1", f=fid,
        )  # fmt: skip
        exact = f"filter[custom_fields_values][{fid}][]={int(some)}"
        ranged = (f"filter[custom_fields_values][{fid}][from]=1000"
                  f"&filter[custom_fields_values][{fid}][to]=20000")  # fmt: skip
        assert admin_ids(client, demo, f"limit=250&{exact}") == demo.ids(
            values_where(f"value_number = {float(some)}"), field=fid
        )
        expected = demo.ids(values_where("value_number BETWEEN 1000 AND 20000"), field=fid)
        assert expected and admin_ids(client, demo, f"limit=250&{ranged}") == expected

    def test_checkbox_on_and_off(self, client, demo: Demo):
        fid = field(demo, "checkbox")
        checked = demo.ids(values_where("value_int = 1"), field=fid)
        unchecked = demo.ids(f"NOT {values_where('value_int = 1')}", field=fid)
        assert checked and unchecked
        assert admin_ids(client, demo, f"limit=250&filter[custom_fields_values][{fid}]=1") == (
            checked
        )
        assert admin_ids(client, demo, f"limit=250&filter[custom_fields_values][{fid}]=0") == (
            unchecked
        )

    def test_date_time_range(self, client, demo: Demo):
        fid = field(demo, "date_time")
        query = (f"filter[custom_fields_values][{fid}][from]={NOW - 100 * 86400}"
                 f"&filter[custom_fields_values][{fid}][to]={NOW}")  # fmt: skip
        expected = demo.ids(
            values_where(f"value_int BETWEEN {NOW - 100 * 86400} AND {NOW}"), field=fid
        )
        assert expected and admin_ids(client, demo, f"limit=250&{query}") == expected

    @pytest.mark.parametrize("field_type", ["text", "tracking_data"])
    def test_text_values_are_exact(self, client, demo: Demo, field_type: str):
        fid = field(demo, field_type)
        value = demo.scalar(
            "SELECT value_text FROM lead_custom_field_values WHERE account_id = :a "
            "AND field_id = :f ORDER BY lead_id LIMIT 1", f=fid,
        )  # fmt: skip
        expected = demo.ids(values_where("value_text = :v"), v=value, field=fid)
        assert expected
        assert admin_ids(
            client, demo, f"limit=250&filter[custom_fields_values][{fid}]={value}"
        ) == (expected)
        assert admin_ids(client, demo, f"filter[custom_fields_values][{fid}]={value[:-1]}") == []


class TestSearch:
    def test_name_substring_any_case(self, client, demo: Demo):
        expected = demo.ids("lower(name) LIKE '%consulting%'")
        assert expected and admin_ids(client, demo, "limit=250&query=CONSULTING") == expected

    def test_custom_field_text_and_enum_label(self, client, demo: Demo):
        fid = field(demo, "text")
        value = demo.scalar(
            "SELECT value_text FROM lead_custom_field_values WHERE account_id = :a "
            "AND field_id = :f ORDER BY lead_id LIMIT 1",
            f=fid,
        )
        part = value[:8]  # "ORD-0123" of "ORD-01234": shared by up to ten leads
        text = demo.ids(values_where("value_text LIKE :p"), p=f"{part}%", field=fid)
        by_name = demo.ids("lower(name) LIKE :p", p=f"%{part.lower()}%")
        assert text
        assert admin_ids(client, demo, f"limit=250&query={part.lower()}") == sorted(
            set(text) | set(by_name)
        )
        fid = field(demo, "select")
        north = enums(demo, fid)[0]  # "North"; no other value or name contains it
        label = demo.ids(values_where(f"enum_id = {north}"), field=fid)
        assert admin_ids(client, demo, "limit=250&query=nORTh") == label

    def test_numeric_query_matches_the_id(self, client, demo: Demo):
        lead = demo.ids()[42]
        assert lead in admin_ids(client, demo, f"query={lead}")

    def test_like_wildcards_are_literal(self, client, demo: Demo):
        response = get(client, demo, "/api/v4/leads?query=%25")
        assert response.status_code == 204


class TestOrder:
    @pytest.mark.parametrize(
        ("order", "sql"),
        [("", "id"), ("order[id]=desc", "id DESC"), ("order[created_at]=asc", "created_at, id"),
         ("order[created_at]=desc", "created_at DESC, id DESC"),
         ("order[updated_at]=desc", "updated_at DESC, id DESC"),
         ("order[updated_at]=ASC", "updated_at, id"), ("order[name]=desc", "id")],
    )  # fmt: skip
    def test_orders(self, client, demo: Demo, order: str, sql: str):
        assert admin_ids(client, demo, f"limit=100&{order}") == demo.ids(order=sql)


class TestDeleted:
    def test_only_deleted_lists_the_reduced_model(self, client, demo: Demo):
        ids, pages = fetch(client, demo.tokens["admin"], "with=only_deleted,contacts&limit=250")
        assert ids and ids == demo.ids(deleted=True)
        for lead in pages[0]["_embedded"]["leads"]:
            assert list(lead) == ["id", "updated_at", "updated_by", "is_deleted", "_links"]
            assert lead["is_deleted"] is True

    def test_deleted_leads_never_in_normal_lists(self, client, demo: Demo):
        deleted = set(demo.ids(deleted=True))
        assert not deleted & set(admin_ids(client, demo, "limit=250"))


class TestPaging:
    def test_limit_250_pages(self, client, demo: Demo):
        ids, pages = fetch(client, demo.tokens["admin"], "limit=250")
        assert [len(p["_embedded"]["leads"]) for p in pages] == [250, 250, len(ids) - 500]
        assert [p["_page"] for p in pages] == [1, 2, 3]

    def test_default_limit_is_50(self, client, demo: Demo):
        _, pages = fetch(client, demo.tokens["admin"], "")
        assert len(pages[0]["_embedded"]["leads"]) == 50

    def test_last_page_exactly_full_has_no_next(self, client, demo: Demo):
        ids = demo.ids()[:100]
        query = "limit=50&" + "&".join(f"filter[id][]={i}" for i in ids)
        got, pages = fetch(client, demo.tokens["admin"], query)
        assert got == ids
        assert [len(p["_embedded"]["leads"]) for p in pages] == [50, 50]
        assert "next" in pages[0]["_links"] and "next" not in pages[1]["_links"]
        after = get(client, demo, f"/api/v4/leads?{query}&page=3")
        assert after.status_code == 204

    def test_page_past_the_end_is_204(self, client, demo: Demo):
        response = get(client, demo, "/api/v4/leads?limit=250&page=4")
        assert response.status_code == 204 and response.content == b""

    def test_limit_over_250_is_clamped(self, client, demo: Demo):
        body = get(client, demo, "/api/v4/leads?limit=1000").json()
        assert len(body["_embedded"]["leads"]) == 250
        assert body["_links"]["next"]["href"].endswith("/api/v4/leads?limit=1000&page=2")

    def test_links(self, client, demo: Demo):
        body = get(client, demo, "/api/v4/leads?limit=10&page=3&with=contacts").json()
        base = "http://testserver/api/v4/leads?limit=10"
        assert body["_links"] == {
            "self": {"href": f"{base}&page=3&with=contacts"},
            "next": {"href": f"{base}&page=4&with=contacts"},
            "first": {"href": f"{base}&page=1&with=contacts"},
            "prev": {"href": f"{base}&page=2&with=contacts"},
        }
        first = get(client, demo, "/api/v4/leads?limit=10").json()
        assert first["_links"] == {
            "self": {"href": f"{base}&page=1"},
            "next": {"href": f"{base}&page=2"},
        }

    def test_self_carries_page_and_limit_the_way_kommo_writes_them(self, client, demo: Demo):
        """Kommo adds the ``page`` and ``limit`` in force to a collection's links where the
        request left them out (``?filter[id][]=2707&filter[id][]=2709&page=1&limit=50``)."""
        a, b = demo.ids()[:2]
        query = f"filter[id][]={a}&filter[id][]={b}"
        body = get(client, demo, f"/api/v4/leads?{query}").json()
        assert body["_links"] == {
            "self": {"href": f"http://testserver/api/v4/leads?{query}&page=1&limit=50"}
        }
        bare = get(client, demo, "/api/v4/leads").json()
        assert bare["_links"] == {
            "self": {"href": "http://testserver/api/v4/leads?page=1&limit=50"},
            "next": {"href": "http://testserver/api/v4/leads?page=2&limit=50"},
        }

    @pytest.mark.parametrize("bad", ["page=0", "page=-1", "page=x", "limit=0", "limit=abc"])
    def test_unusable_page_or_limit_take_defaults(self, client, demo: Demo, bad: str):
        body = get(client, demo, f"/api/v4/leads?{bad}").json()
        assert body["_page"] == 1 and len(body["_embedded"]["leads"]) == 50

    def test_stable_across_pages_under_concurrent_inserts(self, client, demo: Demo, factory):
        """New leads take new, higher ids: pages already read never shift (default order)."""
        before = demo.ids()
        token = demo.tokens["admin"]
        url: str | None = "/api/v4/leads?limit=100"
        seen: list[int] = []
        owner = demo.summary.users["all"]
        first = before[0]
        stage = (
            demo.scalar("SELECT pipeline_id FROM leads WHERE account_id = :a AND id = :i", i=first),
            demo.scalar("SELECT status_id FROM leads WHERE account_id = :a AND id = :i", i=first),
        )
        added = []
        while url:
            body = client.get(url, headers={"Authorization": f"Bearer {token}"}).json()
            seen.extend(lead["id"] for lead in body["_embedded"]["leads"])
            added.append(_insert_lead(factory, demo, owner, stage))
            nxt = body["_links"].get("next")
            url = nxt["href"] if nxt else None
        assert seen[: len(before)] == before
        assert set(seen[len(before) :]) <= set(added)


def _insert_lead(factory: Factory, demo: Demo, owner: int, stage: tuple[int, int]) -> int:
    group = factory.user_group(demo.account, owner)
    lead_id = factory.id("leads")
    from kommodore.db import schema

    factory._insert(schema.leads, [{
        "account_id": demo.id, "id": lead_id, "name": "Inserted meanwhile", "price": 0,
        "responsible_user_id": owner, "group_id": group, "pipeline_id": stage[0],
        "status_id": stage[1], "loss_reason_id": None, "source_id": None, "created_by": owner,
        "updated_by": owner, "created_at": NOW, "updated_at": NOW, "closed_at": None,
        "closest_task_at": None, "is_deleted": False, "score": None, "labor_cost": None,
        "is_price_computed": False, "is_price_modified_by_robot": False,
    }])  # fmt: skip
    return lead_id


class TestRights:
    def test_group_user_pages_through_exactly_its_groups_leads(self, client, demo: Demo):
        group = demo.scalar("SELECT group_id FROM users WHERE account_id = :a AND id = :u",
                            u=demo.summary.users["group"])  # fmt: skip
        expected = demo.ids("group_id = :g", g=group)
        got, pages = fetch(client, demo.tokens["group"], "limit=50")
        assert expected and got == expected
        assert all(len(p["_embedded"]["leads"]) == 50 for p in pages[:-1])

    def test_mine_user_sees_only_own_leads(self, client, demo: Demo):
        user = demo.summary.users["mine"]
        assert fetch(client, demo.tokens["mine"], "limit=250")[0] == demo.ids(
            "responsible_user_id = :u", u=user
        )

    def test_denied_user_sees_nothing(self, client, demo: Demo):
        response = get(client, demo, "/api/v4/leads", "denied")
        assert response.status_code == 204

    def test_stage_rights_hide_and_grant(self, client, demo: Demo):
        """Stan (G, support) loses the Negotiation stage and gains every won lead of the main
        pipeline, whatever the group."""
        stan = demo.summary.users["staged"]
        group = demo.scalar("SELECT group_id FROM users WHERE account_id = :a AND id = :u",
                            u=stan)  # fmt: skip
        main = demo.scalar("SELECT id FROM pipelines WHERE account_id = :a AND is_main")
        negotiation = demo.scalar(
            "SELECT id FROM statuses WHERE account_id = :a AND pipeline_id = :p "
            "AND name = 'Negotiation'", p=main,
        )  # fmt: skip
        expected = demo.ids(
            "(pipeline_id = :p AND status_id = 142) OR (group_id = :g AND NOT "
            "(pipeline_id = :p AND status_id IN (:n, 142)))", p=main, g=group, n=negotiation,
        )  # fmt: skip
        assert fetch(client, demo.tokens["staged"], "limit=250")[0] == expected
