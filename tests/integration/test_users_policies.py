"""Policies: USERNAME_IS_EMAIL, IMMUTABLE_ATTRIBUTES, MATCH_EXISTING_USERS."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from scim_provider.models import ScimUser
from tests.conftest import assert_scim_error
from tests.factories import UserBodyFactory, UserFactory, patch_body
from tests.integration.conftest import USERS, host_user

pytestmark = pytest.mark.django_db


def test_user_name_must_be_the_email(users_client, scim_config):
    scim_config(USERNAME_IS_EMAIL=True)
    body = UserBodyFactory(
        userName="jane@example.com", emails=[{"value": "other@example.com", "primary": True}]
    )
    assert_scim_error(users_client.post(USERS, body, format="json"), 400, "invalidValue")
    assert not ScimUser.objects.exists()
    body["emails"] = [{"value": "JANE@example.com", "primary": True}]
    created = users_client.post(USERS, body, format="json")
    assert created.status_code == 201
    user = created.json()
    response = users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body({"op": "replace", "path": "userName", "value": "john@example.com"}),
        format="json",
    )
    assert_scim_error(response, 400, "invalidValue")
    response = users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body(
            {"op": "replace", "path": "userName", "value": "john@example.com"},
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "x@example.com"},
        ),
        format="json",
    )
    assert_scim_error(response, 400, "invalidValue")
    assert users_client.get(f"{USERS}/{user['id']}").json() == user


def test_user_name_is_email_without_any_email(users_client, scim_config):
    scim_config(USERNAME_IS_EMAIL=True)
    body = UserBodyFactory(emails=[])
    assert_scim_error(users_client.post(USERS, body, format="json"), 400, "invalidValue")


@pytest.fixture
def frozen(users_client, scim_config, create_user):
    scim_config(IMMUTABLE_ATTRIBUTES=["userName", "emails"])
    return create_user(userName="fixed@example.com")


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "userName", "value": "moved@example.com"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
        {"op": "remove", "path": "emails"},
        {"op": "add", "path": "emails", "value": [{"value": "2nd@example.com", "type": "home"}]},
    ],
)
def test_immutable_attributes_via_patch(users_client, frozen, operation):
    response = users_client.patch(f"{USERS}/{frozen['id']}", patch_body(operation), format="json")
    assert_scim_error(response, 400, "mutability")
    assert users_client.get(f"{USERS}/{frozen['id']}").json() == frozen


def test_immutable_attributes_via_put(users_client, frozen):
    url = f"{USERS}/{frozen['id']}"
    for changes in (
        {"userName": "moved@example.com"},
        {"emails": [{"value": "new@example.com", "type": "work", "primary": True}]},
    ):
        response = users_client.put(url, {**frozen, **changes}, format="json")
        assert_scim_error(response, 400, "mutability")
    assert users_client.get(url).json() == frozen


def test_immutable_attributes_accept_the_same_value(users_client, frozen):
    url = f"{USERS}/{frozen['id']}"
    body = {**frozen, "userName": "FIXED@example.com", "displayName": "Changed"}
    response = users_client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    response = users_client.patch(
        url,
        patch_body(
            {"op": "replace", "path": "userName", "value": "fixed@example.com"},
            {"op": "replace", "path": "title", "value": "Boss"},
        ),
        format="json",
    )
    assert response.status_code == 200 and response.json()["title"] == "Boss"


@pytest.mark.parametrize("match_on", [["userName"], ["email"], ["userName", "email"]])
def test_match_existing_users(users_client, scim_config, match_on):
    scim_config(MATCH_EXISTING_USERS=match_on)
    existing = UserFactory(username="existing@example.com")
    body = UserBodyFactory(
        userName="EXISTING@example.com",
        emails=[{"value": "existing@example.com", "primary": True}],
    )
    response = users_client.post(USERS, body, format="json")
    assert response.status_code == 201, response.content
    assert host_user(response.json()["id"]).pk == existing.pk
    assert get_user_model().objects.count() == 1


def test_match_by_email_when_the_user_name_differs(users_client, scim_config):
    scim_config(MATCH_EXISTING_USERS=["email"])
    existing = UserFactory(username="jdoe@corp.example.com")
    body = UserBodyFactory(
        userName="jdoe@corp.example.com",
        emails=[{"value": "JDOE@corp.example.com", "primary": True}],
    )
    response = users_client.post(USERS, body, format="json")
    assert host_user(response.json()["id"]).pk == existing.pk


def test_without_matching_an_existing_login_is_a_409(users_client):
    UserFactory(username="existing@example.com")
    body = UserBodyFactory(userName="existing@example.com")
    assert_scim_error(users_client.post(USERS, body, format="json"), 409, "uniqueness")
    assert get_user_model().objects.count() == 1 and not ScimUser.objects.exists()


def test_an_already_linked_user_is_not_adopted_twice(users_client, scim_config, create_user):
    scim_config(MATCH_EXISTING_USERS=["email"])
    first = create_user(
        userName="one@example.com", emails=[{"value": "shared@example.com", "primary": True}]
    )
    response = users_client.post(
        USERS,
        UserBodyFactory(
            userName="two@example.com", emails=[{"value": "shared@example.com", "primary": True}]
        ),
        format="json",
    )
    assert response.status_code == 201
    assert host_user(response.json()["id"]).pk != host_user(first["id"]).pk


@pytest.mark.django_db
def test_required_core_attributes_by_setting(users_client, scim_config):
    """TestMu AI: userName, active, name.givenName and name.familyName are required."""
    scim_config(USER_REQUIRED_ATTRIBUTES=["name.givenName", "name.familyName", "active"])
    schema = users_client.get(
        f"{USERS.rsplit('/', 1)[0]}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"
    ).json()
    name = next(a for a in schema["attributes"] if a["name"] == "name")
    given = next(s for s in name["subAttributes"] if s["name"] == "givenName")
    assert name["required"] is True and given["required"] is True
    assert given["description"]  # the RFC definition is kept
    assert next(a for a in schema["attributes"] if a["name"] == "active")["required"] is True

    missing = {"userName": "x@example.com", "name": {"familyName": "X"}, "active": True}
    assert_scim_error(users_client.post(USERS, missing, format="json"), 400, "invalidValue")
    complete = {**missing, "name": {"givenName": "Y", "familyName": "X"}}
    created = users_client.post(USERS, complete, format="json")
    assert created.status_code == 201
    removal = users_client.patch(
        f"{USERS}/{created.json()['id']}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "remove", "path": "name.givenName"}],
        },
        format="json",
    )
    assert removal.status_code == 400


def test_required_attributes_must_exist(scim_config):
    from scim_provider.checks import check_user_mappings

    scim_config(USER_REQUIRED_ATTRIBUTES=["name.nickname"])
    assert [e.id for e in check_user_mappings()] == ["scim_provider.E006"]
