"""POST /api/v4/leads/complex: the bare-array answer, new and existing contacts and
companies (new ones linked to each other, with their custom field values), incoming leads from
``_embedded.metadata``, and the limits."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.factories import WON, Factory
from tests.leads.writing import ORIGIN, As, as_admin, assert_problem, not_a_choice, validation_body

FORM = {"category": "forms", "form_id": "contact-form", "form_name": "Contact us",
        "form_page": "https://example.com/contact", "form_sent_at": 1_700_000_000,
        "ip": "192.0.2.1", "referer": "https://example.com/"}  # fmt: skip


def _get(api: As, path: str) -> dict[str, Any]:
    response = api.client.get(path, headers=api.headers)
    assert response.status_code == 200, (path, response.status_code)
    body: dict[str, Any] = response.json()
    return body


def test_new_contact_and_company(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    phone, enums = factory.field(account, "multitext", name="Phone", code="PHONE",
                                 enums=[("WORK", "WORK"), ("MOB", "MOB")])  # fmt: skip
    factory.execute(
        "UPDATE custom_fields SET entity_type = 'contacts' WHERE account_id = :a AND id = :f",
        a=account.id, f=phone,
    )  # fmt: skip
    response = api.post(
        "/api/v4/leads/complex",
        [
            {
                "name": "From the site", "price": 300, "request_id": "qweasd",
                "_embedded": {
                    "contacts": [{"first_name": "Ann", "last_name": "Lee",
                                  "custom_fields_values": [
                                      {"field_code": "PHONE",
                                       "values": [{"value": "+31 6 1", "enum_code": "MOB"}]}]}],
                    "companies": [{"name": "Acme"}],
                },
            },
            {"name": "Plain"},
        ],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/hal+json"
    body = response.json()
    first, second = body
    assert body == [
        {"id": first["id"], "contact_id": first["contact_id"], "company_id": first["company_id"],
         "request_id": ["qweasd"], "merged": False},
        {"id": second["id"], "contact_id": None, "company_id": None, "request_id": ["1"],
         "merged": False},
    ]  # fmt: skip
    assert list(first) == ["id", "contact_id", "company_id", "request_id", "merged"]
    lead = api.lead(first["id"], "contacts")
    assert lead is not None
    assert (lead["name"], lead["price"]) == ("From the site", 300)
    assert lead["_embedded"]["contacts"] == [
        {"id": first["contact_id"], "is_main": True,
         "_links": {"self": {"href": f"{ORIGIN}/api/v4/contacts/{first['contact_id']}"}}}
    ]  # fmt: skip
    assert [c["id"] for c in lead["_embedded"]["companies"]] == [first["company_id"]]
    contact = _get(api, f"/api/v4/contacts/{first['contact_id']}")
    assert (contact["name"], contact["first_name"], contact["last_name"]) == ("Ann Lee", "Ann",
                                                                              "Lee")  # fmt: skip
    assert (contact["responsible_user_id"], contact["created_by"]) == (api.user_id, api.user_id)
    assert contact["custom_fields_values"] == [
        {"field_id": phone, "field_name": "Phone", "field_code": "PHONE",
         "field_type": "multitext",
         "values": [{"value": "+31 6 1", "enum_id": enums[1], "enum_code": "MOB"}]}
    ]  # fmt: skip
    assert contact["_embedded"]["companies"] == [
        {"id": first["company_id"],
         "_links": {"self": {"href": f"{ORIGIN}/api/v4/companies/{first['company_id']}"}}}
    ]  # fmt: skip
    company = _get(api, f"/api/v4/companies/{first['company_id']}")
    assert (company["name"], company["custom_fields_values"]) == ("Acme", None)


def test_existing_contact_and_company(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    contact = factory.party(api.account, "contacts", api.user_id)
    company = factory.party(api.account, "companies", api.user_id)
    response = api.post(
        "/api/v4/leads/complex",
        [{"_embedded": {"contacts": [{"id": contact}], "companies": [{"id": company}]}}],
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()
    assert (item["contact_id"], item["company_id"]) == (contact, company)
    linked = _get(api, f"/api/v4/contacts/{contact}")["_embedded"]["companies"]
    assert [c["id"] for c in linked] == [company]


def test_metadata_makes_an_incoming_lead(client: TestClient, factory: Factory):
    """Any other ``status_id`` is ignored: the lead lands in the pipeline's incoming stage."""
    api = as_admin(client, factory)
    account = api.account
    response = api.post(
        "/api/v4/leads/complex",
        [{"status_id": WON, "_embedded": {"metadata": FORM}},
         {"pipeline_id": account.other_pipeline,
          "_embedded": {"metadata": {**FORM, "form_id": 17}}}],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    first, second = (api.lead(item["id"]) for item in response.json())
    assert first is not None and second is not None
    assert (first["pipeline_id"], first["status_id"]) == account.stages["incoming"]
    assert second["pipeline_id"] == account.other_pipeline
    assert second["status_id"] != account.stages["other_first"][1]


def test_refusals(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    contact = factory.party(api.account, "contacts", api.user_id)
    before = api.lead_ids()
    too_many = [{"field_id": 1, "values": [{"value": str(i)}]} for i in range(41)]
    response = api.post(
        "/api/v4/leads/complex",
        [
            {"_embedded": {"contacts": [{"id": contact}, {"first_name": "B"}]}},
            {"_embedded": {"companies": [{"name": "A"}, {"name": "B"}]}},
            {"_embedded": {"metadata": {"category": "email"}}},
            {"_embedded": {"metadata": {"category": "sip", "uniq": "u"}}},
            {"custom_fields_values": too_many},
            {"_embedded": {"contacts": [{"first_name": 5, "responsible_user_id": 999_999_999}]}},
        ],
    )  # fmt: skip
    limit = "At most 40 values per entity in a complex add."
    assert_problem(
        response,
        400,
        validation_body(
            (
                "0",
                [
                    (
                        "InvalidValue",
                        "_embedded.contacts",
                        "A complex add takes one contact per lead.",
                    )
                ],
            ),
            (
                "1",
                [
                    (
                        "InvalidValue",
                        "_embedded.companies",
                        "A complex add takes one company per lead.",
                    ),
                    ("InvalidValue", "_embedded.companies", "A lead can have only one company."),
                ],
            ),
            (
                "2",
                [
                    (
                        "NotSupportedChoice",
                        "_embedded.metadata.category",
                        "The value you selected is not a valid choice.",
                    )
                ],
            ),
            (
                "3",
                [
                    ("FieldMissing", f"_embedded.metadata.{key}", "This field is missing.")
                    for key in ("duration", "service_code", "phone", "called_at")
                ],
            ),
            (
                "4",
                [("InvalidValue", "custom_fields_values", limit)]
                + [
                    (
                        "NotSupportedChoice",
                        f"custom_fields_values.{i}.field_id",
                        "The value you selected is not a valid choice.",
                    )
                    for i in range(41)
                ],
            ),
            (
                "5",
                [
                    (
                        "InvalidType",
                        "_embedded.contacts.0.first_name",
                        "This value should be of type string.",
                    ),
                    (
                        "NotSupportedChoice",
                        "_embedded.contacts.0.responsible_user_id",
                        "The value you selected is not a valid choice.",
                    ),
                ],
            ),
        ),
    )
    assert api.lead_ids() == before
    assert api.client.get(f"/api/v4/contacts/{contact + 1}", headers=api.headers).status_code == 204


def test_a_user_id_past_64_bits_is_refused_not_a_500(client: TestClient, factory: Factory):
    """Found by the fuzz: a new contact's ``created_by`` of 2**70 reached the users lookup and
    PostgreSQL refused the parameter (a 500); it is Kommo's validation error, nothing written."""
    api = as_admin(client, factory)
    before = api.lead_ids()
    response = api.post(
        "/api/v4/leads/complex",
        [{"name": "Complex", "_embedded": {"contacts": [{"first_name": "Ann", "created_by": 2**70}],
                                           "companies": [{"name": "Acme", "updated_by": 2**64}]}}],
    )  # fmt: skip
    between = f"This value should be between 0 and {2**63 - 1}."
    assert_problem(
        response,
        400,
        validation_body(
            (
                "0",
                [
                    ("InvalidValue", "_embedded.contacts.0.created_by", between),
                    ("InvalidValue", "_embedded.companies.0.updated_by", between),
                ],
            ),
        ),
    )
    assert api.lead_ids() == before


def test_a_foreign_contact(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    other = factory.account()
    foreign = factory.party(other, "contacts", other.admin)
    response = api.post("/api/v4/leads/complex", [{"_embedded": {"contacts": [{"id": foreign}]}}])
    assert_problem(response, 400, not_a_choice("0", "_embedded.contacts.0.id"))


def test_values_of_a_new_contact_or_company_that_are_not_an_array(
    client: TestClient, factory: Factory
):
    """Found by fuzzing: a number or a boolean here answered 500."""
    api = as_admin(client, factory)
    before = api.lead_ids()
    response = api.post(
        "/api/v4/leads/complex",
        [
            {"_embedded": {"contacts": [{"first_name": "A", "custom_fields_values": 5}]}},
            {"_embedded": {"companies": [{"name": "B", "custom_fields_values": True}]}},
            {"_embedded": {"contacts": [{"first_name": "C", "custom_fields_values": "x"}]}},
        ],
    )  # fmt: skip
    should_be_array = "This value should be of type array."
    assert_problem(
        response,
        400,
        validation_body(
            ("0", [("InvalidType", "_embedded.contacts.0.custom_fields_values", should_be_array)]),
            ("1", [("InvalidType", "_embedded.companies.0.custom_fields_values", should_be_array)]),
            ("2", [("InvalidType", "_embedded.contacts.0.custom_fields_values", should_be_array)]),
        ),
    )
    assert api.lead_ids() == before


def test_tags_of_a_new_contact_and_company(client: TestClient, factory: Factory):
    """``_embedded.tags`` (and ``tags_to_add``) of a new contact or company apply as the
    contact or company add applies them: names become tags of that entity's directory, ids
    must be in it."""
    api = as_admin(client, factory)
    made = api.post("/api/v4/contacts/tags", [{"name": "known"}])
    assert made.status_code == 200, made.text
    known = made.json()["_embedded"]["tags"][0]["id"]
    lead_tag = api.post("/api/v4/leads/tags", [{"name": "vip"}]).json()["_embedded"]["tags"][0]
    response = api.post(
        "/api/v4/leads/complex",
        [{"_embedded": {
            "contacts": [{"first_name": "Ann", "_embedded": {"tags": [{"name": "vip"},
                                                                      {"id": known}]}}],
            "companies": [{"name": "Acme", "_embedded": {"tags": [{"name": "partner"}]},
                           "tags_to_add": [{"name": "vip"}]}],
        }}],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    (item,) = response.json()
    contact = _get(api, f"/api/v4/contacts/{item['contact_id']}")
    contact_tags = {t["name"]: t for t in contact["_embedded"]["tags"]}
    vip = contact_tags["vip"]["id"]
    assert vip != lead_tag["id"]
    assert sorted(contact["_embedded"]["tags"], key=lambda t: t["id"]) == [
        {"id": known, "name": "known", "color": None},
        {"id": vip, "name": "vip", "color": None},
    ]
    company = _get(api, f"/api/v4/companies/{item['company_id']}")
    names = sorted(t["name"] for t in company["_embedded"]["tags"])
    assert names == ["partner", "vip"]
    assert all(t["color"] is None for t in company["_embedded"]["tags"])
    directory = _get(api, "/api/v4/contacts/tags")["_embedded"]["tags"]
    assert sorted(t["name"] for t in directory) == ["known", "vip"]

    # a lead tag's id, a tag that is not an object, a tag without id or name: refused whole
    before = api.lead_ids()
    response = api.post(
        "/api/v4/leads/complex",
        [{"_embedded": {
            "contacts": [{"first_name": "Bo", "_embedded": {"tags": [{"id": lead_tag["id"]}, 5]}}],
            "companies": [{"name": "Beta", "_embedded": {"tags": [{}]}}],
        }}],
    )  # fmt: skip
    assert_problem(
        response,
        400,
        validation_body(
            ("0", [
                ("InvalidType", "_embedded.contacts.0._embedded.tags.1",
                 "This value should be of type object."),
                ("FieldMissing", "_embedded.companies.0._embedded.tags.0.id",
                 "This field is missing."),
                ("NotSupportedChoice", "_embedded.contacts.0._embedded.tags.0.id",
                 "The value you selected is not a valid choice."),
            ]),
        ),
    )  # fmt: skip
    assert api.lead_ids() == before
    directory = _get(api, "/api/v4/contacts/tags")["_embedded"]["tags"]
    assert sorted(t["name"] for t in directory) == ["known", "vip"]
