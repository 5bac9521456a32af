"""PATCH /Users/{id}: the forms Okta and Entra send."""

from __future__ import annotations

import pytest

from scim_provider.models import ScimUser
from tests.conftest import assert_scim_error
from tests.factories import ENTERPRISE_URN, patch_body
from tests.integration.conftest import (
    USERS,
    emails_have_their_own_field,
    host_user,
    needs_first_name,
)

pytestmark = pytest.mark.django_db


def patch(client, user, *operations, status=200):
    response = client.patch(f"{USERS}/{user['id']}", patch_body(*operations), format="json")
    assert response.status_code == status, response.content
    return response.json() if status == 200 else response


@pytest.fixture
def user(create_user):
    return create_user(userName="babs@example.com", displayName="Babs Jensen")


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "value": {"active": False}},  # Okta OIN
        {"op": "Replace", "path": "active", "value": "False"},  # Entra default job
        {"op": "replace", "path": "active", "value": False},  # Entra with the flag
        {"op": "Replace", "value": {"active": "false"}},
    ],
)
def test_deactivate_forms(users_client, user, operation):
    body = patch(users_client, user, operation)
    assert body["active"] is False
    assert host_user(user["id"]).is_active is False
    again = users_client.get(f"{USERS}/{user['id']}").json()
    assert again["active"] is False
    reactivate = dict(operation)
    if "path" in reactivate:
        reactivate["value"] = "True" if isinstance(operation["value"], str) else True
    else:
        reactivate["value"] = {"active": True}
    assert patch(users_client, user, reactivate)["active"] is True
    assert host_user(user["id"]).is_active is True


def test_entra_default_job(users_client, user):
    body = patch(
        users_client,
        user,
        {"op": "Replace", "path": "displayName", "value": "Pvlo"},
        {
            "op": "Replace",
            "path": 'emails[type eq "work"].value',
            "value": "TestBcwqnm@test.microsoft.com",
        },
        {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
        {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
        {"op": "Replace", "path": "externalId", "value": "Eqpj"},
        {"op": "Replace", "path": f"{ENTERPRISE_URN}:employeeNumber", "value": "Eqpj"},
        {"op": "Add", "path": "nickName", "value": "Babs"},
    )
    assert body["displayName"] == "Pvlo"
    assert body["emails"] == [
        {"value": "TestBcwqnm@test.microsoft.com", "type": "work", "primary": True}
    ]
    assert body["name"] == {"givenName": "Gtfd", "familyName": "Pkqf"}
    assert body["externalId"] == "Eqpj"
    assert body[ENTERPRISE_URN] == {"employeeNumber": "Eqpj"}
    assert body["nickName"] == "Babs"
    assert users_client.get(f"{USERS}/{user['id']}").json() == body
    link = ScimUser.objects.get(scim_id=user["id"])
    assert link.external_id == "Eqpj"
    assert link.email_key == "testbcwqnm@test.microsoft.com"
    found = users_client.get(USERS, {"filter": 'externalId eq "Eqpj"'}).json()
    assert found["totalResults"] == 1


@needs_first_name
def test_name_patch_reaches_the_host_fields(users_client, user):
    patch(users_client, user, {"op": "replace", "path": "name.givenName", "value": "Gtfd"})
    assert host_user(user["id"]).first_name == "Gtfd"


def test_entra_flagged_no_path_replace_with_dotted_and_urn_keys(users_client, user):
    body = patch(
        users_client,
        user,
        {
            "op": "replace",
            "path": 'emails[type eq "work"].value',
            "value": "TestMhvaes@test.microsoft.com",
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                f"{ENTERPRISE_URN}:employeeNumber": "Aklq",
            },
        },
    )
    assert body["displayName"] == "Bjfe"
    assert body["name"] == {"givenName": "Kkom", "familyName": "Unua"}
    assert body[ENTERPRISE_URN]["employeeNumber"] == "Aklq"
    assert body["emails"][0]["value"] == "TestMhvaes@test.microsoft.com"


def test_okta_replace_with_id_inside_the_value(users_client, user):
    body = patch(
        users_client, user, {"op": "replace", "value": {"id": user["id"], "displayName": "New"}}
    )
    assert body["displayName"] == "New" and body["id"] == user["id"]


def test_work_email_is_created_when_missing(users_client, create_user):
    user = create_user(emails=[{"value": "home@example.com", "type": "home"}])
    body = patch(
        users_client,
        user,
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "work@example.com"},
    )
    assert {"value": "work@example.com", "type": "work"}.items() <= next(
        e for e in body["emails"] if e.get("type") == "work"
    ).items()
    assert {e["value"] for e in body["emails"]} == {"home@example.com", "work@example.com"}


def test_user_without_emails_gets_one(users_client, create_user):
    user = create_user(emails=[])
    assert "emails" not in user
    body = patch(
        users_client,
        user,
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
    )
    assert body["emails"][0]["value"] == "new@example.com"
    assert ScimUser.objects.get(scim_id=user["id"]).email_key == "new@example.com"
    if emails_have_their_own_field():
        assert host_user(user["id"]).email == "new@example.com"


def test_manager_three_ways_and_clear(users_client, create_user, user):
    boss, other = create_user(), create_user()
    manager = f"{ENTERPRISE_URN}:manager"
    body = patch(users_client, user, {"op": "Add", "path": manager, "value": boss["id"]})
    assert body[ENTERPRISE_URN]["manager"]["value"] == boss["id"]
    body = patch(users_client, user, {"op": "Replace", "path": manager, "value": other["id"]})
    assert body[ENTERPRISE_URN]["manager"]["value"] == other["id"]
    body = patch(
        users_client,
        user,
        {
            "op": "Add",
            "path": "manager",
            "value": [{"$ref": f"http://testserver{USERS}/{boss['id']}", "value": boss["id"]}],
        },
    )
    assert body[ENTERPRISE_URN]["manager"]["value"] == boss["id"]
    body = patch(users_client, user, {"op": "Replace", "path": manager, "value": ""})
    assert "manager" not in body.get(ENTERPRISE_URN, {})
    assert "manager" not in users_client.get(f"{USERS}/{user['id']}").json().get(ENTERPRISE_URN, {})


@pytest.mark.parametrize("empty", ["", None])
def test_replace_with_empty_clears(users_client, create_user, empty):
    user = create_user(title="Engineer", nickName="Babs", displayName="Babs Jensen")
    body = patch(
        users_client,
        user,
        {"op": "replace", "path": "title", "value": empty},
        {"op": "replace", "path": "nickName", "value": empty},
        {"op": "replace", "path": "name.givenName", "value": empty},
    )
    assert "title" not in body and "nickName" not in body
    assert "givenName" not in body.get("name", {})
    fresh = users_client.get(f"{USERS}/{user['id']}").json()
    assert "title" not in fresh and "nickName" not in fresh


def test_remove_operation(users_client, create_user):
    user = create_user(title="Engineer", **{ENTERPRISE_URN: {"department": "R&D"}})
    body = patch(
        users_client,
        user,
        {"op": "Remove", "path": "title"},
        {"op": "remove", "path": f"{ENTERPRISE_URN}:department"},
    )
    assert "title" not in body and ENTERPRISE_URN not in body


def test_patch_user_name(users_client, user):
    body = patch(users_client, user, {"op": "Replace", "path": "userName", "value": "Ba@ex.com"})
    assert body["userName"] == "Ba@ex.com"
    assert host_user(user["id"]).get_username() == "Ba@ex.com"
    found = users_client.get(USERS, {"filter": 'userName eq "ba@ex.com"'}).json()
    assert [u["id"] for u in found["Resources"]] == [user["id"]]


def test_patch_user_name_to_a_taken_one_is_409(users_client, create_user, user):
    other = create_user(userName="taken@example.com")
    response = patch(
        users_client,
        user,
        {"op": "replace", "path": "userName", "value": "TAKEN@example.com"},
        status=409,
    )
    assert_scim_error(response, 409, "uniqueness")
    assert users_client.get(f"{USERS}/{user['id']}").json()["userName"] == "babs@example.com"
    assert users_client.get(f"{USERS}/{other['id']}").status_code == 200


@pytest.mark.parametrize(
    ("body", "scim_type"),
    [
        (patch_body({"op": "jump", "path": "title", "value": "x"}), "invalidSyntax"),
        (patch_body({"op": "replace", "path": "noSuch", "value": "x"}), "invalidPath"),
        (patch_body({"op": "remove"}), "noTarget"),
        (patch_body({"op": "replace", "path": "active", "value": "maybe"}), "invalidValue"),
        (patch_body({"op": "replace", "path": "id", "value": "x"}), "mutability"),
        (patch_body({"op": "remove", "path": "userName"}), None),
        (patch_body(), None),
    ],
)
def test_bad_patch_is_400_and_writes_nothing(users_client, user, body, scim_type):
    response = users_client.patch(f"{USERS}/{user['id']}", body, format="json")
    assert response.status_code == 400, response.content
    if scim_type:
        assert_scim_error(response, 400, scim_type)
    assert users_client.get(f"{USERS}/{user['id']}").json() == user
    assert host_user(user["id"]).is_active


def test_failed_operation_rolls_back_the_earlier_ones(users_client, user):
    response = users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body(
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": "noSuch", "value": "x"},
        ),
        format="json",
    )
    assert response.status_code == 400
    assert users_client.get(f"{USERS}/{user['id']}").json() == user
    assert host_user(user["id"]).is_active
