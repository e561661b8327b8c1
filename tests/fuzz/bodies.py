"""A valid body for each write endpoint, keyed by (method, route path): the start the
mutations work from, so most mutants get past the JSON parser into the rules and the writes.

A write route with no entry here (a new endpoint) is fuzzed with generated JSON only; add
its valid body here to fuzz it deeply.
"""

from __future__ import annotations

from typing import Any

from tests.fuzz.world import CLIENT_SECRET, PASSWORD, REDIRECT, World


def valid_body(method: str, path: str, world: World) -> Any:
    """The JSON (or, for the sign-in pages, form fields as a dict, ``csrf_token`` left for
    the session to fill) of a write that could succeed on the seeded account; ``None`` when
    the route takes no body."""
    i = world.ids
    lead_add = {
        "name": "Fuzz lead",
        "price": 100,
        "status_id": i["status"],
        "pipeline_id": i["pipeline"],
        "responsible_user_id": i["user"],
        "custom_fields_values": [
            {"field_id": i["field"], "values": [{"enum_id": i["enum"]}]},
            {"field_code": "NOTE", "values": [{"value": "note"}]},
        ],
        "_embedded": {
            "tags": [{"name": "fuzz"}, {"id": i["tag"]}],
            "contacts": [{"id": i["contact"]}],
            "companies": [{"id": i["company"]}],
        },
    }
    link = {"to_entity_id": i["contact"], "to_entity_type": "contacts", "metadata": None}
    element = {
        "to_entity_id": i["element"],
        "to_entity_type": "catalog_elements",
        "metadata": {"quantity": 2, "catalog_id": i["catalog"]},
    }
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v4/leads"): [lead_add],
        ("PATCH", "/api/v4/leads"): [
            {
                "id": i["lead"],
                "name": "Renamed",
                "price": 5,
                "status_id": i["status2"],
                "tags_to_add": [{"name": "added"}],
                "tags_to_delete": [{"id": i["tag"]}],
            }
        ],
        ("PATCH", "/api/v4/leads/{lead_id:int}"): {
            "name": "Patched",
            "price": 7,
            "status_id": 143,
            "loss_reason_id": i["loss_reason"],
            "custom_fields_values": [{"field_id": i["field"], "values": [{"enum_id": i["enum"]}]}],
        },
        ("POST", "/api/v4/leads/complex"): [
            {
                "name": "Complex",
                "price": 1,
                "_embedded": {
                    "contacts": [
                        {
                            "first_name": "Ann",
                            "last_name": "Lee",
                            "custom_fields_values": [],
                        }
                    ],
                    "companies": [{"name": "Acme", "custom_fields_values": []}],
                    "tags": [{"name": "complex"}],
                },
            }
        ],
        ("POST", "/api/v4/leads/link"): [{"entity_id": i["lead"], **link}],
        ("POST", "/api/v4/leads/unlink"): [
            {"entity_id": i["lead"], "to_entity_id": i["contact"], "to_entity_type": "contacts"}
        ],
        ("POST", "/api/v4/leads/{lead_id:int}/link"): [
            {"to_entity_id": i["company"], "to_entity_type": "companies"},
            element,
        ],
        ("POST", "/api/v4/leads/{lead_id:int}/unlink"): [link, element],
        ("POST", "/api/v4/leads/pipelines"): [
            {
                "name": "Fuzz pipeline",
                "sort": 20,
                "is_main": False,
                "is_unsorted_on": True,
                "_embedded": {"statuses": [{"name": "Open", "sort": 10, "color": "#fffeb2"}]},
            }
        ],
        ("PATCH", "/api/v4/leads/pipelines/{pipeline_id:int}"): {"name": "Renamed", "sort": 30},
        ("POST", "/api/v4/leads/pipelines/{pipeline_id:int}/statuses"): [
            {"name": "Fuzz status", "sort": 60, "color": "#fffeb2"}
        ],
        ("PATCH", "/api/v4/leads/pipelines/{pipeline_id:int}/statuses/{status_id:int}"): {
            "name": "Renamed",
            "color": "#fffd7f",
            "descriptions": [{"level": "newbie", "description": "d"}],
        },
        ("POST", "/api/v4/leads/loss_reasons"): [{"name": "Fuzz reason", "sort": 5}],
        ("PATCH", "/api/v4/leads/loss_reasons/{reason_id:int}"): {"name": "Renamed", "sort": 9},
        ("POST", "/api/v4/sources"): [
            {"name": "Fuzz source", "external_id": "ext-fuzz", "pipeline_id": i["pipeline"]}
        ],
        ("PATCH", "/api/v4/sources"): [{"id": i["source"], "name": "Renamed", "default": True}],
        ("DELETE", "/api/v4/sources"): [{"id": i["source"]}],
        ("PATCH", "/api/v4/sources/{source_id:int}"): {"name": "Renamed"},
        ("POST", "/api/v4/leads/custom_fields"): [
            {
                "name": "Fuzz field",
                "type": "select",
                "sort": 510,
                "enums": [{"value": "one", "sort": 1}, {"value": "two", "sort": 2}],
                "request_id": "r1",
            }
        ],
        ("PATCH", "/api/v4/leads/custom_fields"): [{"id": i["field"], "name": "Renamed"}],
        ("PATCH", "/api/v4/leads/custom_fields/{field_id:int}"): {
            "name": "Renamed",
            "enums": [{"id": i["enum"], "value": "A2"}, {"value": "C"}],
        },
        ("POST", "/api/v4/leads/tags"): [
            {"name": "fuzz tag", "color": "DDEBB5", "request_id": "t"}
        ],
        ("POST", "/api/v4/webhooks"): {
            "destination": "https://example.com/hook",
            "settings": ["add_lead", "status_lead"],
            "sort": 5,
        },
        ("DELETE", "/api/v4/webhooks"): {"destination": "https://example.com/hook"},
        **{
            route: body
            for kind, parent in (
                ("leads", "lead"),
                ("contacts", "contact"),
                ("companies", "company"),
            )
            for route, body in (
                (
                    ("POST", f"/api/v4/{kind}/notes"),
                    [
                        {"entity_id": i[parent], "note_type": "common", "params": {"text": "t"}},
                        {
                            "entity_id": i[parent],
                            "note_type": "call_in",
                            "params": {
                                "uniq": "u",
                                "duration": 5,
                                "source": "s",
                                "link": "https://l",
                                "phone": "+1",
                                "call_status": 4,
                                "call_responsible": i["user"],
                            },
                        },
                    ],
                ),
                (
                    ("POST", f"/api/v4/{kind}/{{entity_id:int}}/notes"),
                    [
                        {
                            "note_type": "geolocation",
                            "params": {"text": "t", "longitude": 4.9, "latitude": "52.3"},
                        },
                        {"note_type": "attachment", "params": {"file_uuid": "f", "file_name": "a"}},
                    ],
                ),
                (
                    ("PATCH", f"/api/v4/{kind}/notes"),
                    [
                        {
                            "id": i["note"],
                            "params": {"text": "u"},
                            "responsible_user_id": i["user"],
                        },
                    ],
                ),
                (
                    ("PATCH", f"/api/v4/{kind}/{{entity_id:int}}/notes"),
                    [
                        {"id": i["note"], "note_type": "common", "params": {"text": "v"}},
                    ],
                ),
                (
                    ("PATCH", f"/api/v4/{kind}/{{entity_id:int}}/notes/{{note_id:int}}"),
                    {
                        "params": {"text": "w"},
                        "updated_at": 1_700_000_000,
                    },
                ),
            )
        },
        ("POST", "/admin/leads/delete"): [{"id": i["lead2"]}],
        ("POST", "/admin/leads/restore"): [{"id": i["lead2"]}],
        ("POST", "/oauth2/access_token"): {
            "client_id": world.client_id,
            "client_secret": CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": "def50200abc",
            "redirect_uri": REDIRECT,
        },
        ("POST", "/oauth/login"): {
            "csrf_token": "",
            "next": "",
            "email": world.email,
            "password": PASSWORD,
        },
        ("POST", "/oauth/logout"): {
            "csrf_token": "",
            "next": f"/oauth?client_id={world.client_id}",
        },
        ("POST", "/oauth/decision"): {
            "csrf_token": "",
            "client_id": world.client_id,
            "state": "st",
            "mode": "popup",
            "decision": "allow",
            "account_id": str(world.account_id),
        },
    }
    return bodies.get((method, path))


def refresh_grant(world: World) -> dict[str, Any]:
    """The other grant of the token endpoint, so both branches are reached."""
    return {
        "client_id": world.client_id,
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "def50200" + str(world.ids["lead"]),
        "redirect_uri": REDIRECT,
    }


FORM_ROUTES = {"/oauth/login", "/oauth/logout", "/oauth/decision"}
"""The sign-in pages read forms, not JSON."""
