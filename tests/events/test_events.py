"""GET /api/v4/events, /events/{id} and /events/types: every lead event type and
every filter, paging, rights, on both backends. Events are seeded through ``events.record``,
the writer the lead write paths use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from kommodore.events.record import NewEvent
from tests.conftest import Backend
from tests.events.helpers import ORIGIN, auth, event_body, event_ids, seed, seed_many
from tests.factories import NOW, Account, Factory

T0 = NOW - 100_000
RED, BLUE = 880001, 880002
COLOUR_FIELD, TEXT_FIELD = 770001, 770002


def _cf(field: int, type_code: int, enum: int | None, text: str) -> dict[str, Any]:
    return {"custom_field_value": {"field_id": field, "field_type": type_code, "enum_id": enum,
                                   "text": text}}  # fmt: skip


@dataclass
class World:
    account: Account
    lead: int
    other_user: int
    token: str
    events: dict[str, tuple[str, NewEvent, int]]
    """label -> (id, event, created_at), oldest first."""

    def id(self, label: str) -> str:
        return self.events[label][0]

    def body(self, label: str, name: str | None = None) -> dict[str, Any]:
        event_id, e, created_at = self.events[label]
        return event_body(self.account.id, event_id, e.type, e.entity_id, e.created_by,
                          created_at, e.value_after, e.value_before, name)  # fmt: skip

    def newest_first(self, *labels: str) -> list[str]:
        chosen = labels or tuple(self.events)
        return [self.id(label) for label in sorted(chosen, key=lambda k: -self.events[k][2])]


def world(factory: Factory, backend: Backend) -> World:
    """An account with one lead and one event of every lead type, a second apart."""
    account = factory.account()
    other = factory.user(account)
    lead = factory.lead(account, name="Deal")
    main = account.main_pipeline
    first, second = account.stages["first"][1], account.stages["second"][1]
    a = account.admin
    specs: list[tuple[str, NewEvent]] = [
        ("lead_added", NewEvent("lead_added", lead, a)),
        ("lead_status_changed", NewEvent(
            "lead_status_changed", lead, a,
            [{"lead_status": {"id": second, "pipeline_id": main}}],
            [{"lead_status": {"id": first, "pipeline_id": main}}])),
        ("entity_responsible_changed", NewEvent(
            "entity_responsible_changed", lead, other,
            [{"responsible_user": {"id": other}}], [{"responsible_user": {"id": a}}])),
        ("entity_tag_added", NewEvent("entity_tag_added", lead, a, [{"tag": {"name": "vip"}}])),
        ("entity_tag_deleted", NewEvent(
            "entity_tag_deleted", lead, a, [], [{"tag": {"name": "old"}}])),
        ("colour", NewEvent(
            "custom_field_value_changed", lead, a,
            [_cf(COLOUR_FIELD, 4, RED, "Red")], [_cf(COLOUR_FIELD, 4, BLUE, "Blue")])),
        ("text_cleared", NewEvent(
            "custom_field_value_changed", lead, other, [], [_cf(TEXT_FIELD, 1, None, "hello")])),
        ("sale_field_changed", NewEvent(
            "sale_field_changed", lead, a,
            [{"sale_field_value": {"sale": 155}}], [{"sale_field_value": {"sale": 100}}])),
        ("name_field_changed", NewEvent(
            "name_field_changed", lead, a,
            [{"name_field_value": {"name": "Новое, имя"}}],
            [{"name_field_value": {"name": "Deal"}}])),
        ("entity_linked", NewEvent(
            "entity_linked", lead, a, [{"link": {"entity": {"type": "contact", "id": 5}}}])),
        ("entity_unlinked", NewEvent(
            "entity_unlinked", lead, a, [{"unlink": {"entity": {"type": "contact", "id": 5}}}])),
        ("lead_deleted", NewEvent("lead_deleted", lead, a)),
        ("lead_restored", NewEvent("lead_restored", lead, a)),
    ]  # fmt: skip
    stamps = [T0 + i for i in range(len(specs))]
    ids = seed(backend, account.id, *((e, t) for (_, e), t in zip(specs, stamps, strict=True)))
    events = {
        label: (event_id, e, t) for (label, e), event_id, t in zip(specs, ids, stamps, strict=True)
    }
    return World(account, lead, other, factory.token(account, a), events)


def get(client: TestClient, w: World, url: str, token: str | None = None) -> Any:
    return client.get(url, headers=auth(token or w.token))


PROBLEM_400 = {"title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400}


class TestList:
    def test_every_type_whole_body_newest_first(self, client, factory, backend):
        w = world(factory, backend)
        response = get(client, w, "/api/v4/events")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/hal+json"
        body = response.json()
        assert body == {
            "_page": 1,
            "_links": {"self": {"href": f"{ORIGIN}/api/v4/events?page=1&limit=50"}},
            "_embedded": {
                "events": [w.body(label) for label in sorted(w.events,
                                                             key=lambda k: -w.events[k][2])]
            },
        }  # fmt: skip
        first = body["_embedded"]["events"][0]
        assert list(first) == ["id", "type", "entity_id", "entity_type", "created_by",
                               "created_at", "value_after", "value_before", "account_id",
                               "_links", "_embedded"]  # fmt: skip
        # non-ASCII as itself on the wire, like Kommo's unescaped JSON
        assert "Новое, имя".encode() in response.content

    def test_ids_look_like_kommo_ids(self, client, factory, backend):
        w = world(factory, backend)
        for event_id, _, _ in w.events.values():
            assert len(event_id) == 26
            assert set(event_id) <= set("0123456789abcdefghjkmnpqrstvwxyz")

    def test_no_events_is_204(self, client, factory):
        account = factory.account()
        response = client.get("/api/v4/events", headers=auth(factory.token(account, account.admin)))
        assert response.status_code == 204
        assert response.content == b""

    def test_other_accounts_events_are_not_seen(self, client, factory, backend):
        w = world(factory, backend)
        stranger = factory.account()
        response = client.get(
            "/api/v4/events", headers=auth(factory.token(stranger, stranger.admin))
        )
        assert response.status_code == 204
        q = f"filter[entity]=lead&filter[entity_id]={w.lead}"
        assert event_ids(client, w.token, q) == w.newest_first()

    def test_without_token_401(self, client):
        response = client.get("/api/v4/events")
        assert response.status_code == 401
        assert response.json()["detail"] == "Invalid user name or password"

    def test_with_lead_name(self, client, factory, backend):
        w = world(factory, backend)
        body = get(client, w, "/api/v4/events?with=lead_name,contact_name&limit=1").json()
        (event,) = body["_embedded"]["events"]
        assert event == w.body("lead_restored", name="Deal")
        assert list(event["_embedded"]["entity"]) == ["id", "name", "_links"]


class TestTypeFilter:
    @pytest.mark.parametrize(
        "type_",
        ["lead_added", "lead_deleted", "lead_restored", "lead_status_changed",
         "entity_responsible_changed", "entity_tag_added", "entity_tag_deleted",
         "entity_linked", "entity_unlinked", "sale_field_changed", "name_field_changed"],
    )  # fmt: skip
    def test_each_type(self, client, factory, backend, type_):
        w = world(factory, backend)
        body = get(client, w, f"/api/v4/events?filter[type]={type_}").json()
        assert body["_embedded"]["events"] == [w.body(type_)]

    def test_custom_field_value_changed_all_fields(self, client, factory, backend):
        w = world(factory, backend)
        ids = event_ids(client, w.token, "filter[type]=custom_field_value_changed")
        assert ids == w.newest_first("colour", "text_cleared")

    def test_custom_field_id_value_changed_by_field(self, client, factory, backend):
        w = world(factory, backend)
        q = f"filter[type]=custom_field_{COLOUR_FIELD}_value_changed"
        assert event_ids(client, w.token, q) == [w.id("colour")]
        # a cleared field (value_after []) is found by its value_before
        q = f"filter[type]=custom_field_{TEXT_FIELD}_value_changed"
        body = get(client, w, f"/api/v4/events?{q}").json()
        assert body["_embedded"]["events"] == [w.body("text_cleared")]
        assert get(client, w, "/api/v4/events?filter[type]=custom_field_1_value_changed"
                   ).status_code == 204  # fmt: skip

    @pytest.mark.parametrize(
        "spelling",
        ["filter[type]=lead_added,sale_field_changed",
         "filter[type][]=lead_added&filter[type][]=sale_field_changed",
         "filter[type][0]=lead_added&filter[type][1]=sale_field_changed",
         "filter[type]=lead_added&filter[type]=sale_field_changed",
         "filter%5Btype%5D=lead_added%2Csale_field_changed"],
    )  # fmt: skip
    def test_list_spellings(self, client, factory, backend, spelling):
        w = world(factory, backend)
        assert event_ids(client, w.token, spelling) == w.newest_first(
            "lead_added", "sale_field_changed"
        )

    def test_types_mixed_with_field_types(self, client, factory, backend):
        w = world(factory, backend)
        q = f"filter[type]=lead_added,custom_field_{TEXT_FIELD}_value_changed"
        assert event_ids(client, w.token, q) == w.newest_first("lead_added", "text_cleared")

    @pytest.mark.parametrize("value", ["nope", "", "contact_added"])
    def test_unknown_type_matches_nothing(self, client, factory, backend, value):
        w = world(factory, backend)
        assert get(client, w, f"/api/v4/events?filter[type]={value}").status_code == 204


class TestOtherFilters:
    def test_id(self, client, factory, backend):
        w = world(factory, backend)
        a, b = w.id("lead_added"), w.id("entity_linked")
        for q in (f"filter[id]={a},{b}", f"filter[id][]={a}&filter[id][]={b}"):
            assert event_ids(client, w.token, q) == w.newest_first("lead_added", "entity_linked")
        assert event_ids(client, w.token, f"filter[id]={a}") == [a]
        assert get(client, w, "/api/v4/events?filter[id]=01zzzzzzzzzzzzzzzzzzzzzzzz"
                   ).status_code == 204  # fmt: skip

    def test_created_at(self, client, factory, backend):
        w = world(factory, backend)
        n = len(w.events)
        labels = sorted(w.events, key=lambda k: w.events[k][2])  # oldest first
        # a bare timestamp: from it on (inclusive)
        got = event_ids(client, w.token, f"filter[created_at]={T0 + n - 3}")
        assert got == w.newest_first(*labels[-3:])
        # "from,to" as the PHP SDK sends it
        got = event_ids(client, w.token, f"filter[created_at]={T0 + 1},{T0 + 2}")
        assert got == w.newest_first(*labels[1:3])
        got = event_ids(client, w.token, f"filter[created_at][from]={T0 + 1}"
                        f"&filter[created_at][to]={T0 + 2}")  # fmt: skip
        assert got == w.newest_first(*labels[1:3])
        got = event_ids(client, w.token, f"filter[created_at][to]={T0}")
        assert got == [w.id(labels[0])]
        for bad in ("abc", f"{T0},x", "1,2,3"):
            assert get(client, w, f"/api/v4/events?filter[created_at]={bad}").status_code == 204

    def test_created_by(self, client, factory, backend):
        w = world(factory, backend)
        mine = w.newest_first("entity_responsible_changed", "text_cleared")
        assert event_ids(client, w.token, f"filter[created_by]={w.other_user}") == mine
        assert event_ids(client, w.token, f"filter[created_by][]={w.other_user}") == mine
        both = event_ids(client, w.token,
                         f"filter[created_by]={w.other_user},{w.account.admin}")  # fmt: skip
        assert both == w.newest_first()
        assert get(client, w, "/api/v4/events?filter[created_by]=x").status_code == 204

    def test_created_by_more_than_10_is_400(self, client, factory, backend):
        w = world(factory, backend)
        response = get(client, w, "/api/v4/events?filter[created_by]=" + ",".join(
            str(i) for i in range(1, 12)))  # fmt: skip
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json() == {
            **PROBLEM_400,
            "detail": "filter[created_by] takes at most 10 ids",
        }

    def test_entity_and_entity_id(self, client, factory, backend):
        w = world(factory, backend)
        other_lead = factory.lead(w.account)
        (extra,) = seed(
            backend, w.account.id, (NewEvent("lead_added", other_lead, w.account.admin), T0 + 500)
        )
        everything = [extra, *w.newest_first()]
        assert event_ids(client, w.token, "filter[entity]=lead") == everything
        assert event_ids(client, w.token, "filter[entity]=contact,lead") == everything
        assert get(client, w, "/api/v4/events?filter[entity]=contact").status_code == 204
        assert get(client, w, "/api/v4/events?filter[entity]=leads").status_code == 204
        assert event_ids(
            client, w.token, f"filter[entity]=lead&filter[entity_id]={other_lead}"
        ) == [extra]
        assert event_ids(client, w.token,
                         f"filter[entity]=lead&filter[entity_id]={other_lead},{w.lead}"
                         ) == everything  # fmt: skip
        assert get(client, w, f"/api/v4/events?filter[entity]=contact&filter[entity_id]={w.lead}"
                   ).status_code == 204  # fmt: skip

    @pytest.mark.parametrize(
        "query, detail",
        [("filter[entity_id]=1", "filter[entity_id] requires exactly one filter[entity]"),
         ("filter[entity]=lead,contact&filter[entity_id]=1",
          "filter[entity_id] requires exactly one filter[entity]"),
         ("filter[entity]=lead&filter[entity_id]=" + ",".join(str(i) for i in range(1, 12)),
          "filter[entity_id] takes at most 10 ids")],
    )  # fmt: skip
    def test_entity_id_rules_400(self, client, factory, backend, query, detail):
        w = world(factory, backend)
        response = get(client, w, f"/api/v4/events?{query}")
        assert response.status_code == 400
        assert response.json() == {**PROBLEM_400, "detail": detail}

    def test_filters_combine_with_and(self, client, factory, backend):
        w = world(factory, backend)
        q = (f"filter[created_by]={w.account.admin}&filter[type]=lead_added,entity_tag_added"
             f"&filter[created_at]={T0 + 1}")  # fmt: skip
        assert event_ids(client, w.token, q) == [w.id("entity_tag_added")]


class TestValueFilters:
    def test_leads_statuses(self, client, factory, backend):
        w = world(factory, backend)
        main = w.account.main_pipeline
        first, second = w.account.stages["first"][1], w.account.stages["second"][1]
        after = (f"filter[value_after][leads_statuses][0][pipeline_id]={main}"
                 f"&filter[value_after][leads_statuses][0][status_id]={second}")  # fmt: skip
        assert event_ids(client, w.token, after) == [w.id("lead_status_changed")]
        before = after.replace("value_after", "value_before")
        assert get(client, w, f"/api/v4/events?{before}").status_code == 204
        before = before.replace(f"={second}", f"={first}")
        assert event_ids(client, w.token, before) == [w.id("lead_status_changed")]
        # several pairs are OR; a pair without its pipeline matches nothing
        two = (f"{after}&filter[value_after][leads_statuses][1][pipeline_id]={main}"
               f"&filter[value_after][leads_statuses][1][status_id]=142")  # fmt: skip
        assert event_ids(client, w.token, two) == [w.id("lead_status_changed")]
        half = f"filter[value_after][leads_statuses][0][status_id]={second}"
        assert get(client, w, f"/api/v4/events?{half}").status_code == 204

    def test_responsible_user_id(self, client, factory, backend):
        w = world(factory, backend)
        q = f"filter[value_after][responsible_user_id]=1,{w.other_user}"
        assert event_ids(client, w.token, q) == [w.id("entity_responsible_changed")]
        q = f"filter[value_before][responsible_user_id][]={w.account.admin}"
        assert event_ids(client, w.token, q) == [w.id("entity_responsible_changed")]
        q = f"filter[value_before][responsible_user_id]={w.other_user}"
        assert get(client, w, f"/api/v4/events?{q}").status_code == 204

    def test_custom_field_values(self, client, factory, backend):
        w = world(factory, backend)
        t = f"filter[type]=custom_field_{COLOUR_FIELD}_value_changed"
        body = get(client, w, f"/api/v4/events?{t}&filter[value_after][custom_field_values]={RED}"
                   ).json()  # fmt: skip
        assert body["_embedded"]["events"] == [w.body("colour")]
        assert event_ids(client, w.token,
                         f"{t}&filter[value_before][custom_field_values]={BLUE},{RED}"
                         ) == [w.id("colour")]  # fmt: skip
        for miss in (f"{t}&filter[value_after][custom_field_values]={BLUE}",
                     f"{t}&filter[value_before][custom_field_values]={RED}"):  # fmt: skip
            assert get(client, w, f"/api/v4/events?{miss}").status_code == 204

    @pytest.mark.parametrize(
        "types",
        ["", "filter[type]=custom_field_value_changed",
         f"filter[type]=custom_field_{COLOUR_FIELD}_value_changed,lead_added",
         f"filter[type]=custom_field_{COLOUR_FIELD}_value_changed,"
         f"custom_field_{TEXT_FIELD}_value_changed"],
    )  # fmt: skip
    def test_custom_field_values_needs_one_field_type(self, client, factory, backend, types):
        w = world(factory, backend)
        response = get(client, w, f"/api/v4/events?{types}"
                       f"&filter[value_after][custom_field_values]={RED}")  # fmt: skip
        assert response.status_code == 400
        assert response.json() == {
            **PROBLEM_400,
            "detail": "filter[value_after|value_before][custom_field_values] requires exactly "
            "one filter[type] custom_field_{ID}_value_changed",
        }

    def test_value(self, client, factory, backend):
        w = world(factory, backend)
        assert event_ids(client, w.token, "filter[value_after][value]=155") == [
            w.id("sale_field_changed")
        ]
        assert event_ids(client, w.token, "filter[value_before][value]=100") == [
            w.id("sale_field_changed")
        ]
        # a name with a comma is one value; the value of a custom field is its text
        q = "filter[value_after][value]=%D0%9D%D0%BE%D0%B2%D0%BE%D0%B5%2C%20%D0%B8%D0%BC%D1%8F"
        assert event_ids(client, w.token, q) == [w.id("name_field_changed")]
        assert event_ids(client, w.token, "filter[value_before][value]=Deal") == [
            w.id("name_field_changed")
        ]
        assert event_ids(client, w.token, "filter[value_after][value]=Red") == [w.id("colour")]
        assert event_ids(client, w.token, "filter[value_before][value][]=hello"
                         "&filter[value_before][value][]=100") == w.newest_first(
            "text_cleared", "sale_field_changed")  # fmt: skip
        # other types carry no such value, even when their payload has the text
        assert get(client, w, "/api/v4/events?filter[value_after][value]=vip").status_code == 204

    @pytest.mark.parametrize(
        "query",
        ["filter[value_after]=1", "filter[value_after][nope]=1",
         "filter[value_after][responsible_user_id]=abc", "filter[value_after][value][]="],
    )  # fmt: skip
    def test_unreadable_value_filter_matches_nothing(self, client, factory, backend, query):
        w = world(factory, backend)
        assert get(client, w, f"/api/v4/events?{query}").status_code == 204


class TestPaging:
    def test_pages_and_links(self, client, factory, backend):
        w = world(factory, backend)
        order = w.newest_first()
        q = "filter[entity]=lead&limit=5"
        pages = []
        for page in (1, 2, 3):
            response = get(client, w, f"/api/v4/events?{q}&page={page}")
            assert response.status_code == 200
            pages.append(response.json())
        base = f"{ORIGIN}/api/v4/events?{q}"
        assert pages[0]["_page"] == 1
        assert pages[0]["_links"] == {"self": {"href": f"{base}&page=1"},
                                      "next": {"href": f"{base}&page=2"}}  # fmt: skip
        assert pages[1]["_links"] == {
            "self": {"href": f"{base}&page=2"}, "next": {"href": f"{base}&page=3"},
            "first": {"href": f"{base}&page=1"}, "prev": {"href": f"{base}&page=1"},
        }  # fmt: skip
        assert pages[2]["_links"] == {
            "self": {"href": f"{base}&page=3"},
            "first": {"href": f"{base}&page=1"}, "prev": {"href": f"{base}&page=2"},
        }  # fmt: skip
        got = [e["id"] for p in pages for e in p["_embedded"]["events"]]
        assert got == order
        assert [len(p["_embedded"]["events"]) for p in pages] == [5, 5, 3]
        assert get(client, w, f"/api/v4/events?{q}&page=4").status_code == 204

    def test_limit_clamped_to_100_default_50(self, client, factory, backend):
        account = factory.account()
        lead = factory.lead(account)
        token = factory.token(account, account.admin)
        ids = seed_many(backend, account.id,
                        [NewEvent("entity_tag_added", lead, account.admin,
                                  [{"tag": {"name": f"t{i}"}}]) for i in range(120)],
                        NOW)  # fmt: skip
        newest_first = ids[::-1]
        body = client.get("/api/v4/events?limit=500", headers=auth(token)).json()
        assert [e["id"] for e in body["_embedded"]["events"]] == newest_first[:100]
        assert body["_links"]["next"] == {"href": f"{ORIGIN}/api/v4/events?limit=500&page=2"}
        body = client.get("/api/v4/events?limit=500&page=2", headers=auth(token)).json()
        assert [e["id"] for e in body["_embedded"]["events"]] == newest_first[100:]
        body = client.get("/api/v4/events", headers=auth(token)).json()
        assert [e["id"] for e in body["_embedded"]["events"]] == newest_first[:50]
        for bad in ("limit=0", "limit=-3", "limit=x"):
            body = client.get(f"/api/v4/events?{bad}", headers=auth(token)).json()
            assert len(body["_embedded"]["events"]) == 50


class TestRights:
    def test_view_m_user_sees_events_of_own_leads_only(self, client, factory, backend):
        account = factory.account()
        manager = factory.user(account, view="M")
        grouped = factory.user(account, view="G", group="one")
        mine = factory.lead(account, responsible=manager)
        admins = factory.lead(account)  # the admin's, group "one"
        a = account.admin
        events = [(NewEvent("lead_added", lead, a), NOW - 100 + i)
                  for i, lead in enumerate([mine, admins, mine, admins, mine])]  # fmt: skip
        ids = seed(backend, account.id, *events)
        mine_ids = [ids[4], ids[2], ids[0]]
        assert event_ids(client, factory.token(account, manager), "limit=2") == mine_ids
        # pages stay full: limit 2 gives 2 then 1, and next is exact
        body = client.get("/api/v4/events?limit=2",
                          headers=auth(factory.token(account, manager))).json()  # fmt: skip
        assert len(body["_embedded"]["events"]) == 2 and "next" in body["_links"]
        assert event_ids(client, factory.token(account, grouped), "") == [ids[3], ids[1]]
        assert event_ids(client, factory.token(account, a), "") == ids[::-1]
        # a single event of a lead the user may not view is absent too
        token = factory.token(account, manager)
        assert client.get(f"/api/v4/events/{ids[1]}", headers=auth(token)).status_code == 204
        assert client.get(f"/api/v4/events/{ids[0]}", headers=auth(token)).status_code == 200

    def test_view_d_user_sees_nothing_and_stage_rights_apply(self, client, factory, backend):
        account = factory.account()
        nobody = factory.user(account, view="D")
        main, second = account.stages["second"]
        staged = factory.user(account, view="A", status_rights=[
            {"entity_type": "leads", "pipeline_id": main, "status_id": second,
             "rights": {"view": "D"}}])  # fmt: skip
        visible = factory.lead(account, stage="first")
        hidden = factory.lead(account, stage="second")
        ids = seed(backend, account.id, (NewEvent("lead_added", visible, 0), NOW),
                   (NewEvent("lead_added", hidden, 0), NOW))  # fmt: skip
        token = factory.token(account, nobody)
        assert client.get("/api/v4/events", headers=auth(token)).status_code == 204
        assert event_ids(client, factory.token(account, staged), "") == [ids[0]]

    def test_rights_follow_the_lead_now(self, client, factory, backend):
        """Visibility is judged on the lead as it is now, also for deleted leads."""
        account = factory.account()
        manager = factory.user(account, view="M")
        lead = factory.lead(account, responsible=manager, is_deleted=True)
        (event_id,) = seed(backend, account.id, (NewEvent("lead_deleted", lead, manager), NOW))
        token = factory.token(account, manager)
        assert event_ids(client, token, "") == [event_id]
        factory.execute("UPDATE leads SET responsible_user_id = :u WHERE account_id = :a "
                        "AND id = :l", u=account.admin, a=account.id, l=lead)  # fmt: skip
        assert client.get("/api/v4/events", headers=auth(token)).status_code == 204


class TestGetOne:
    def test_whole_body(self, client, factory, backend):
        w = world(factory, backend)
        for label in w.events:
            response = get(client, w, f"/api/v4/events/{w.id(label)}")
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/hal+json"
            assert response.json() == w.body(label)
        response = get(client, w, f"/api/v4/events/{w.id('colour')}?with=lead_name")
        assert response.json() == w.body("colour", name="Deal")
        # ids are case-insensitive like Crockford base32
        assert get(client, w, f"/api/v4/events/{w.id('colour').upper()}").json() == w.body("colour")

    @pytest.mark.parametrize(
        "event_id", ["01zzzzzzzzzzzzzzzzzzzzzzzz", "short", "01pz58t6p04ymgsgfbmfyfy1mu", "1" * 300]
    )
    def test_unknown_is_204(self, client, factory, backend, event_id):
        w = world(factory, backend)
        response = get(client, w, f"/api/v4/events/{event_id}")
        assert response.status_code == 204
        assert response.content == b""

    def test_another_accounts_event_is_204(self, client, factory, backend):
        w = world(factory, backend)
        stranger = factory.account()
        token = factory.token(stranger, stranger.admin)
        response = client.get(f"/api/v4/events/{w.id('lead_added')}", headers=auth(token))
        assert response.status_code == 204


def _types_body(lang: dict[str, str], query: str = "") -> dict[str, Any]:
    keys = ["lead_added", "lead_deleted", "lead_restored", "lead_status_changed", "lead_linked",
            "lead_unlinked", "entity_linked", "entity_unlinked", "entity_responsible_changed",
            "entity_tag_added", "entity_tag_deleted", "custom_field_value_changed",
            "sale_field_changed", "name_field_changed", "task_added", "task_completed",
            "task_text_changed", "task_deadline_changed", "task_type_changed",
            "task_result_added", "common_note_added", "attachment_note_added",
            "service_note_added", "geo_note_added", "message_to_cashier_note_added",
            "incoming_call", "outgoing_call", "incoming_sms", "outgoing_sms", "contact_added",
            "contact_deleted", "contact_restored", "company_added", "company_deleted",
            "company_restored", "contact_linked", "contact_unlinked", "company_linked",
            "company_unlinked"]  # fmt: skip
    href = f"{ORIGIN}/api/v4/events/types" + (f"?{query}" if query else "")
    return {
        "_total_items": len(keys),
        "_links": {"self": {"href": href}},
        "_embedded": {
            "events_types": [
                {"key": k, "type": i, "lang": lang.get(k, lang["*"])}
                for i, k in enumerate(keys, start=1)
            ]
        },
    }


class TestTypes:
    def test_english_by_default(self, client, factory):
        account = factory.account()
        response = client.get("/api/v4/events/types",
                              headers=auth(factory.token(account, account.admin)))  # fmt: skip
        assert response.status_code == 200
        body = response.json()
        labels = {t["key"]: t["lang"] for t in body["_embedded"]["events_types"]}
        assert labels["lead_added"] == "Lead added"
        assert labels["lead_deleted"] == "Lead deleted"
        assert body == _types_body({"*": "", **labels})
        assert list(body["_embedded"]["events_types"][0]) == ["key", "type", "lang"]
        assert all(isinstance(t["lang"], str) and t["lang"]
                   for t in body["_embedded"]["events_types"])  # fmt: skip

    def test_language_code_and_user_language(self, client, factory):
        account = factory.account()
        user = factory.user(account)
        factory.execute("UPDATE users SET lang = 'pt' WHERE account_id = :a AND id = :u",
                        a=account.id, u=user)  # fmt: skip
        token = factory.token(account, user)
        body = client.get("/api/v4/events/types", headers=auth(token)).json()
        assert body["_embedded"]["events_types"][1] == {
            "key": "lead_deleted",
            "type": 2,
            "lang": "Lead excluído",
        }
        for query, label in (("language_code=es", "Lead eliminado"),
                             ("language_code=ES", "Lead eliminado"),
                             ("language_code=ru", "Сделка удалена"),
                             ("language_code=xx", "Lead excluído")):  # fmt: skip
            body = client.get(f"/api/v4/events/types?{query}", headers=auth(token)).json()
            assert body["_embedded"]["events_types"][1]["lang"] == label
            assert body["_links"]["self"]["href"] == f"{ORIGIN}/api/v4/events/types?{query}"

    def test_types_needs_a_token(self, client):
        assert client.get("/api/v4/events/types").status_code == 401


def test_lead_writes_are_readable_as_events(client, factory):
    """End to end through the lead write paths: add, then edit stage, price and name."""
    account = factory.account()
    token = factory.token(account, account.admin)
    main, first = account.stages["first"]
    second = account.stages["second"][1]
    response = client.post("/api/v4/leads", headers=auth(token),
                           json=[{"name": "A", "price": 5, "status_id": first,
                                  "pipeline_id": main}])  # fmt: skip
    assert response.status_code == 200, response.text
    lead = response.json()["_embedded"]["leads"][0]["id"]
    response = client.patch(f"/api/v4/leads/{lead}", headers=auth(token),
                            json={"name": "B", "price": 7, "status_id": second})  # fmt: skip
    assert response.status_code == 200, response.text
    body = client.get(f"/api/v4/events?filter[entity]=lead&filter[entity_id]={lead}"
                      "&with=lead_name", headers=auth(token)).json()  # fmt: skip
    seen = {e["type"]: (e["value_after"], e["value_before"]) for e in body["_embedded"]["events"]}
    assert seen["lead_added"][1] == []
    assert seen["lead_status_changed"] == (
        [{"lead_status": {"id": second, "pipeline_id": main}}],
        [{"lead_status": {"id": first, "pipeline_id": main}}],
    )
    assert seen["sale_field_changed"] == ([{"sale_field_value": {"sale": 7}}],
                                          [{"sale_field_value": {"sale": 5}}])  # fmt: skip
    assert seen["name_field_changed"] == ([{"name_field_value": {"name": "B"}}],
                                          [{"name_field_value": {"name": "A"}}])  # fmt: skip
    assert {e["_embedded"]["entity"]["name"] for e in body["_embedded"]["events"]} == {"B"}
    assert body["_embedded"]["events"][-1]["type"] == "lead_added"
