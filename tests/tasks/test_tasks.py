"""Tasks: add, read, list with every filter, edit, completion with a result, task
types, ``closest_task_at`` under every task write, and bad input answered without a write."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.factories import Factory
from tests.leads.writing import ORIGIN, Clock, as_admin, as_user, assert_problem, problem
from tests.tasks.helpers import TASKS_URL, add, column, events, listed, model, task

DAY = 86_400


def test_add_answer_and_read_back(client: TestClient, factory: Factory):
    """Kommo's add answer, then each task whole: defaults (type 1, acting user, no entity,
    ``result: []``) and every field given read back as sent."""
    api = as_admin(client, factory)
    account = api.account
    owner = factory.user(account, group="two")
    lead = factory.lead(account)
    with Clock() as clock:
        response = api.post(
            "/api/v4/tasks",
            [
                {"text": "Call back", "complete_till": 1_900_000_000},
                {"request_id": "r1", "text": "Meet", "complete_till": 1_900_000_500,
                 "entity_type": "leads", "entity_id": lead, "responsible_user_id": owner,
                 "task_type_id": 2, "duration": 1800, "created_by": 0,
                 "created_at": 1_600_000_000, "updated_at": 1_600_000_100},
            ],
        )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    first, second = (t["id"] for t in body["_embedded"]["tasks"])
    assert body == {
        "_links": {"self": {"href": TASKS_URL}},
        "_embedded": {
            "tasks": [
                {"id": first, "request_id": "0",
                 "_links": {"self": {"href": f"{TASKS_URL}/{first}"}}},
                {"id": second, "request_id": "r1",
                 "_links": {"self": {"href": f"{TASKS_URL}/{second}"}}},
            ]
        },
    }  # fmt: skip
    admin_group = factory.user_group(account, account.admin)
    got = task(api, first)
    assert got is not None and clock.covers(got["created_at"])
    assert got == model(
        account, first, user=account.admin, group=admin_group, text="Call back",
        complete_till=1_900_000_000, created_at=got["created_at"],
        updated_at=got["created_at"],
    )  # fmt: skip
    assert list(got) == list(model(account, first, user=0, group=0))
    assert task(api, second) == model(
        account, second, user=account.admin, group=factory.user_group(account, owner),
        created_by=0, responsible_user_id=owner, created_at=1_600_000_000,
        updated_at=1_600_000_100, entity_id=lead, entity_type="leads", duration=1800,
        task_type_id=2, text="Meet", complete_till=1_900_000_500,
    )  # fmt: skip
    assert events(factory, account, first) == [("task_added", "[]", "[]")]


def test_unknown_and_other_accounts_tasks_are_204(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    other = as_admin(client, factory)
    (theirs,) = add(other, {"text": "x", "complete_till": 1})
    assert task(api, theirs) is None
    assert task(api, 999_999_999_999) is None
    assert client.get("/api/v4/tasks/0", headers=api.headers).status_code == 204


def test_closest_task_at_follows_every_task_write(client: TestClient, factory: Factory):
    """min(complete_till) of the open tasks, overdue included; null without one; the lead's
    ``updated_at`` untouched."""
    api = as_admin(client, factory)
    account = api.account
    lead = factory.lead(account)
    other_lead = factory.lead(account)
    contact = factory.party(account, "contacts", account.admin)
    updated_at = column(factory, "leads", account, lead, "updated_at")

    def closest(table: str, row_id: int) -> int | None:
        value = column(factory, table, account, row_id, "closest_task_at")
        return None if value is None else int(value)

    late, overdue = add(
        api,
        {"text": "late", "complete_till": 2_000_000_000, "entity_type": "leads", "entity_id": lead},
        {"text": "overdue", "complete_till": 1_000, "entity_type": "leads", "entity_id": lead},
    )
    assert closest("leads", lead) == 1_000
    assert api.lead(lead)["closest_task_at"] == 1_000  # type: ignore[index]
    # completing the overdue one: the late one is the closest
    response = api.patch(f"/api/v4/tasks/{overdue}", {"is_completed": True})
    assert response.status_code == 200, response.text
    assert closest("leads", lead) == 2_000_000_000
    # moving the deadline
    api.patch("/api/v4/tasks", [{"id": late, "complete_till": 1_950_000_000}])
    assert closest("leads", lead) == 1_950_000_000
    # relinking to another lead, then to a contact
    api.patch("/api/v4/tasks", [{"id": late, "entity_type": "leads", "entity_id": other_lead}])
    assert (closest("leads", lead), closest("leads", other_lead)) == (None, 1_950_000_000)
    api.patch(f"/api/v4/tasks/{late}", {"entity_type": "contacts", "entity_id": contact})
    assert (closest("leads", other_lead), closest("contacts", contact)) == (None, 1_950_000_000)
    company = factory.party(account, "companies", account.admin)
    api.patch(f"/api/v4/tasks/{late}", {"entity_type": "companies", "entity_id": company})
    assert (closest("contacts", contact), closest("companies", company)) == (None, 1_950_000_000)
    # reopening the completed one
    api.patch(f"/api/v4/tasks/{overdue}", {"is_completed": False})
    assert closest("leads", lead) == 1_000
    # unlinking
    api.patch(f"/api/v4/tasks/{overdue}", {"entity_type": None, "entity_id": None})
    assert closest("leads", lead) is None
    assert column(factory, "leads", account, lead, "updated_at") == updated_at


def test_completion_with_result(client: TestClient, factory: Factory):
    """Kommo's completion request: the single answer holds id, updated_at, request_id and
    _links; the result reads back as an object; events task_completed and task_result_added."""
    api = as_admin(client, factory)
    account = api.account
    (task_id,) = add(api, {"text": "Call", "complete_till": 1_900_000_000})
    with Clock():
        response = api.patch(
            f"/api/v4/tasks/{task_id}", {"is_completed": True, "result": {"text": "Done"}}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "id": task_id, "updated_at": body["updated_at"], "request_id": "0",
        "_links": {"self": {"href": f"{TASKS_URL}/{task_id}"}},
    }  # fmt: skip
    got = task(api, task_id)
    assert got is not None
    assert (got["is_completed"], got["result"], got["updated_at"]) == (
        True, {"text": "Done"}, body["updated_at"],
    )  # fmt: skip
    kinds = [kind for kind, _, _ in events(factory, account, task_id)]
    assert kinds == ["task_added", "task_completed", "task_result_added"]
    _, after, before = events(factory, account, task_id)[-1]
    assert after.startswith('[{"note":{"id":') and before == "[]"
    # reopening keeps the result
    api.patch(f"/api/v4/tasks/{task_id}", {"is_completed": False})
    got = task(api, task_id)
    assert got is not None and (got["is_completed"], got["result"]) == (False, {"text": "Done"})


def test_batch_edit_answer_and_change_events(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    owner = factory.user(account)
    first, second = add(
        api, {"text": "a", "complete_till": 100}, {"text": "b", "complete_till": 200}
    )
    response = api.patch(
        "/api/v4/tasks",
        [
            {"id": first, "text": "a2", "complete_till": 150, "task_type_id": 2,
             "responsible_user_id": owner, "request_id": "x"},
            {"id": second},
        ],
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    stamps = [t["updated_at"] for t in body["_embedded"]["tasks"]]
    assert body == {
        "_links": {"self": {"href": TASKS_URL}},
        "_embedded": {
            "tasks": [
                {"id": first, "updated_at": stamps[0], "request_id": "x",
                 "_links": {"self": {"href": f"{TASKS_URL}/{first}"}}},
                {"id": second, "updated_at": stamps[1], "request_id": "1",
                 "_links": {"self": {"href": f"{TASKS_URL}/{second}"}}},
            ]
        },
    }  # fmt: skip
    assert events(factory, account, first) == [
        ("task_added", "[]", "[]"),
        ("task_text_changed", '[{"task":{"text":"a2"}}]', '[{"task":{"text":"a"}}]'),
        ("task_deadline_changed", '[{"task_deadline":{"timestamp":150}}]',
         '[{"task_deadline":{"timestamp":100}}]'),
        ("task_type_changed", '[{"task_type":{"id":2}}]', '[{"task_type":{"id":1}}]'),
        ("entity_responsible_changed", f'[{{"responsible_user":{{"id":{owner}}}}}]',
         f'[{{"responsible_user":{{"id":{account.admin}}}}}]'),
    ]  # fmt: skip
    got = task(api, first)
    assert got is not None and got["group_id"] == factory.user_group(account, owner)


def test_list_filters_and_order(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    owner = factory.user(account)
    lead = factory.lead(account, stage="second")
    other_lead = factory.lead(account, stage="first")
    contact = factory.party(account, "contacts", account.admin)
    a, b, c, d = add(
        api,
        {"text": "a", "complete_till": 300, "entity_type": "leads", "entity_id": lead,
         "updated_at": 1_000},
        {"text": "b", "complete_till": 100, "entity_type": "leads", "entity_id": other_lead,
         "responsible_user_id": owner, "task_type_id": 2, "updated_at": 2_000},
        {"text": "c", "complete_till": 200, "entity_type": "contacts", "entity_id": contact,
         "is_completed": True, "updated_at": 3_000},
        {"text": "d", "complete_till": 400, "created_by": 0, "updated_at": 4_000},
    )  # fmt: skip
    # the write sets updated_at as sent; editing would move it, so these stay as given
    assert listed(api, "") == [a, b, c, d]
    assert listed(api, f"filter[id][]={b}&filter[id][]={d}") == [b, d]
    assert listed(api, f"filter[id]={c}") == [c]
    assert listed(api, f"filter[responsible_user_id]={owner}") == [b]
    assert listed(api, "filter[created_by]=0") == [d]
    assert listed(api, "filter[is_completed]=1") == [c]
    assert listed(api, "filter[is_completed]=false") == [a, b, d]
    assert listed(api, "filter[is_completed][]=1&filter[is_completed][]=0") == [a, b, c, d]
    assert listed(api, "filter[task_type]=2") == [b]
    assert listed(api, "filter[task_type_id][]=2") == [b]
    assert listed(api, "filter[task_type]=2&filter[task_type_id]=1") == []
    assert listed(api, "filter[entity_type]=leads") == [a, b]
    assert listed(api, f"filter[entity_type]=leads&filter[entity_id]={lead}") == [a]
    assert listed(api, f"filter[entity_id]={lead}") == [a, b, c, d]  # ignored without the type
    assert listed(api, "filter[updated_at]=2000") == [c, d]  # after, strictly
    assert listed(api, "filter[updated_at]=soon") == []
    assert listed(api, "filter[updated_at][from]=2000&filter[updated_at][to]=3000") == [b, c]
    assert listed(api, "filter[complete_till][from]=150&filter[complete_till][to]=350") == [a, c]
    assert listed(api, "filter[complete_till][to]=200") == [b, c]
    pipeline, status = account.stages["second"]
    query = (
        f"filter[lead_statuses][0][pipeline_id]={pipeline}"
        f"&filter[lead_statuses][0][status_id]={status}"
    )
    assert listed(api, query) == [a]
    assert listed(api, "order[complete_till]=asc") == [b, c, a, d]
    assert listed(api, "order[complete_till]=desc") == [d, a, c, b]
    assert listed(api, "order[updated_at]=desc") == [d, c, b, a]
    assert listed(api, "order[id]=desc") == [d, c, b, a]
    assert listed(api, "filter[responsible_user_id]=1") == []


def test_list_envelope_and_paging(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    account = api.account
    first, second, third = add(
        api, *({"text": str(i), "complete_till": 1_000 + i} for i in range(3))
    )
    response = client.get("/api/v4/tasks?limit=2", headers=api.headers)
    assert response.status_code == 200
    body = response.json()
    group = factory.user_group(account, account.admin)
    items = body["_embedded"]["tasks"]
    assert body == {
        "_page": 1,
        "_links": {
            "self": {"href": f"{TASKS_URL}?limit=2&page=1"},
            "next": {"href": f"{TASKS_URL}?limit=2&page=2"},
        },
        "_embedded": {
            "tasks": [
                model(account, first, user=account.admin, group=group, text="0",
                      complete_till=1_000, created_at=items[0]["created_at"],
                      updated_at=items[0]["updated_at"]),
                model(account, second, user=account.admin, group=group, text="1",
                      complete_till=1_001, created_at=items[1]["created_at"],
                      updated_at=items[1]["updated_at"]),
            ]
        },
    }  # fmt: skip
    assert listed(api, "limit=2&page=2") == [third]
    assert client.get("/api/v4/tasks?page=3&limit=2", headers=api.headers).status_code == 204


def test_tasks_of_a_deleted_lead_are_hidden(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    lead = factory.lead(api.account, is_deleted=True)
    live = factory.lead(api.account)
    (kept,) = add(api, {"text": "x", "complete_till": 5, "entity_type": "leads", "entity_id": live})
    hidden = factory.id("tasks")
    factory.execute(
        "INSERT INTO tasks (account_id, id, created_by, updated_by, created_at, updated_at, "
        "responsible_user_id, group_id, entity_id, entity_type, duration, is_completed, "
        "task_type_id, text, complete_till) VALUES (:a, :i, 0, 0, 1, 1, :u, 0, :l, 'leads', 0, "
        ":f, 1, 'hidden', 5)",
        a=api.account.id, i=hidden, u=api.account.admin, l=lead, f=False,
    )  # fmt: skip
    assert listed(api, "") == [kept]
    assert task(api, hidden) is None
    refused = api.patch("/api/v4/tasks", [{"id": hidden, "text": "x"}])
    assert refused.json()["validation-errors"] == [{"request_id": "0", "errors": [
        {"code": "NotSupportedChoice", "path": "id",
         "detail": "The value you selected is not a valid choice."}]}]  # fmt: skip


def test_bad_input_refuses_the_batch(client: TestClient, factory: Factory):
    """Every mistake of every item in one answer, and nothing written."""
    api = as_admin(client, factory)
    other = as_admin(client, factory)
    theirs = factory.lead(other.account)
    response = api.post(
        "/api/v4/tasks",
        [
            {"text": "fine", "complete_till": 10},
            {},
            {"text": "", "complete_till": "tomorrow"},
            {"text": 5, "complete_till": 1, "task_type_id": 99, "responsible_user_id": 1},
            {"text": "x", "complete_till": 1, "entity_type": "leads", "entity_id": theirs},
            {"text": "x", "complete_till": 1, "entity_type": "leads"},
            {"text": "x", "complete_till": 1, "entity_type": "deals", "entity_id": 5},
            {"text": "x", "complete_till": 1, "entity_type": "customers", "entity_id": 5},
            {"text": "x", "complete_till": 1, "is_completed": "yes", "duration": -1},
            "nope",
        ],
    )
    blank = "This value should not be blank."
    choice = "The value you selected is not a valid choice."
    assert_problem(response, 400, {
        "validation-errors": [
            {"request_id": "1", "errors": [
                {"code": "NotBlank", "path": "text", "detail": blank},
                {"code": "NotBlank", "path": "complete_till", "detail": blank}]},
            {"request_id": "2", "errors": [
                {"code": "NotBlank", "path": "text", "detail": blank},
                {"code": "InvalidType", "path": "complete_till",
                 "detail": "This value should be of type int."}]},
            {"request_id": "3", "errors": [
                {"code": "InvalidType", "path": "text",
                 "detail": "This value should be of type string."},
                {"code": "NotSupportedChoice", "path": "responsible_user_id", "detail": choice},
                {"code": "NotSupportedChoice", "path": "task_type_id", "detail": choice}]},
            {"request_id": "4", "errors": [
                {"code": "NotSupportedChoice", "path": "entity_id", "detail": choice}]},
            {"request_id": "5", "errors": [
                {"code": "NotSupportedChoice", "path": "entity_id", "detail": choice}]},
            {"request_id": "6", "errors": [
                {"code": "NotSupportedChoice", "path": "entity_id", "detail": choice}]},
            {"request_id": "7", "errors": [
                {"code": "NotSupportedChoice", "path": "entity_id", "detail": choice}]},
            {"request_id": "8", "errors": [
                {"code": "InvalidType", "path": "is_completed",
                 "detail": "This value should be of type bool."},
                {"code": "InvalidValue", "path": "duration",
                 "detail": "This value should be between 0 and 2147483647."}]},
            {"request_id": "9", "errors": [
                {"code": "InvalidType", "path": "",
                 "detail": "This value should be of type object."}]},
        ],
        **problem(400, "Bad Request", "Request validation failed"),
    })  # fmt: skip
    assert listed(api, "") == []


def test_reference_errors(client: TestClient, factory: Factory):
    """Unknown users, task types and entities (other accounts' included) are
    NotSupportedChoice at their paths; nothing written."""
    api = as_admin(client, factory)
    other = as_admin(client, factory)
    theirs = factory.lead(other.account)
    response = api.post(
        "/api/v4/tasks",
        [
            {"text": "fine", "complete_till": 10},
            {"text": "x", "complete_till": 1, "task_type_id": 99,
             "responsible_user_id": other.account.admin},
            {"text": "x", "complete_till": 1, "entity_type": "leads", "entity_id": theirs},
            {"text": "x", "complete_till": 1, "entity_type": "customers", "entity_id": 5},
            {"text": "x", "complete_till": 1, "entity_type": "deals", "entity_id": 5},
        ],
    )  # fmt: skip
    choice = "The value you selected is not a valid choice."

    def at(*paths: str) -> list[dict[str, str]]:
        return [{"code": "NotSupportedChoice", "path": p, "detail": choice} for p in paths]

    assert_problem(response, 400, {
        "validation-errors": [
            {"request_id": "1", "errors": at("responsible_user_id", "task_type_id")},
            {"request_id": "2", "errors": at("entity_id")},
            {"request_id": "3", "errors": at("entity_id")},
            {"request_id": "4", "errors": at("entity_id")},
        ],
        **problem(400, "Bad Request", "Request validation failed"),
    })  # fmt: skip
    assert listed(api, "") == []


def test_batch_limits(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    item = {"text": "x", "complete_till": 1}
    assert_problem(
        api.post("/api/v4/tasks", [item] * 251), 422,
        problem(422, "Unprocessable Entity", "Limit 250 per page"),
    )  # fmt: skip
    assert_problem(
        api.post("/api/v4/tasks", []), 400,
        problem(400, "Bad Request", "Request data can not be empty"),
    )  # fmt: skip
    assert listed(api, "") == []


def test_edit_errors(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    other = as_admin(client, factory)
    (mine,) = add(api, {"text": "mine", "complete_till": 1})
    (theirs,) = add(other, {"text": "theirs", "complete_till": 1})
    response = api.patch(
        "/api/v4/tasks",
        [{"id": mine, "text": "changed"}, {"id": theirs, "text": "x"}, {"text": "no id"},
         {"id": mine, "text": "twice"}],
    )  # fmt: skip
    choice = "The value you selected is not a valid choice."
    assert_problem(response, 400, {
        "validation-errors": [
            {"request_id": "1", "errors": [
                {"code": "NotSupportedChoice", "path": "id", "detail": choice}]},
            {"request_id": "2", "errors": [
                {"code": "FieldMissing", "path": "id", "detail": "This field is missing."}]},
            {"request_id": "3", "errors": [
                {"code": "InvalidValue", "path": "id",
                 "detail": "This task is already edited by this batch."}]},
        ],
        **problem(400, "Bad Request", "Request validation failed"),
    })  # fmt: skip
    got = task(api, mine)
    assert got is not None and got["text"] == "mine"
    assert (
        client.patch(f"/api/v4/tasks/{theirs}", json={"text": "x"}, headers=api.headers).json()[
            "validation-errors"
        ][0]["errors"][0]["path"]
        == "id"
    )


def test_rights(client: TestClient, factory: Factory):
    """Every user sees and adds tasks; editing needs rights.tasks.edit over the task's
    responsible user (M: only one's own), else 403 and nothing changes."""
    admin = as_admin(client, factory)
    account = admin.account
    member = as_user(client, factory, account, factory.user(account, view="M", tasks="M"))
    (admins,) = add(admin, {"text": "admin's", "complete_till": 1})
    (own,) = add(member, {"text": "own", "complete_till": 2})
    assert listed(member, "") == [admins, own]
    assert task(member, admins) is not None
    response = member.patch(
        "/api/v4/tasks", [{"id": own, "text": "ok"}, {"id": admins, "text": "no"}]
    )
    assert_problem(response, 403, {
        "validation-errors": [{"request_id": "1", "errors": [
            {"code": "AccessDenied", "path": "id",
             "detail": "You do not have the right to do this."}]}],
        **problem(403, "Forbidden", "Access denied"),
    })  # fmt: skip
    assert task(member, own)["text"] == "own"  # type: ignore[index]
    assert member.patch(f"/api/v4/tasks/{own}", {"text": "ok"}).status_code == 200
    denied = as_user(client, factory, account, factory.user(account, tasks="D"))
    assert denied.patch(f"/api/v4/tasks/{own}", {"is_completed": True}).status_code == 403
    assert add(denied, {"text": "anyone adds", "complete_till": 3})
    # G: tasks whose responsible user is in the user's group ("one", the admin's)
    grouped = as_user(client, factory, account, factory.user(account, group="one", tasks="G"))
    outsider = as_user(client, factory, account, factory.user(account, group="two", tasks="G"))
    assert grouped.patch(f"/api/v4/tasks/{admins}", {"text": "group"}).status_code == 200
    assert outsider.patch(f"/api/v4/tasks/{admins}", {"text": "no"}).status_code == 403
    assert task(admin, admins)["text"] == "group"  # type: ignore[index]


def test_task_types(client: TestClient, factory: Factory):
    api = as_admin(client, factory)
    response = client.get("/api/v4/tasks/types", headers=api.headers)
    assert response.status_code == 200
    assert response.json() == {
        "_total_items": 2,
        "_links": {"self": {"href": f"{ORIGIN}/api/v4/tasks/types"}},
        "_embedded": {
            "task_types": [
                {"id": 1, "name": "Follow-up", "color": None, "icon_id": None, "code": "FOLLOW_UP"},
                {"id": 2, "name": "Meeting", "color": None, "icon_id": None, "code": "MEETING"},
            ]
        },
    }
    assert client.post("/api/v4/tasks/types", json=[{}], headers=api.headers).status_code == 405
    assert client.delete("/api/v4/tasks", headers=api.headers).status_code == 405
    (task_id,) = add(api, {"text": "x", "complete_till": 1})
    assert client.delete(f"/api/v4/tasks/{task_id}", headers=api.headers).status_code == 405
    assert client.get("/api/v4/tasks/abc", headers=api.headers).status_code == 404
