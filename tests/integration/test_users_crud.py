"""/Users end to end: every endpoint and status (RFC 7644 §3.3-§3.6)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from scim_provider.models import ScimUser
from tests.conftest import SCIM_JSON, assert_scim_error
from tests.factories import ENTERPRISE_URN, USER_URN, UserBodyFactory
from tests.integration.conftest import USERS, host_user

pytestmark = pytest.mark.django_db

OKTA_CREATE = {
    "schemas": [USER_URN],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}

ENTRA_CREATE = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": True,
    "emails": [{"primary": True, "type": "work", "value": "Test_User_11bb@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "g"},
    "roles": [],
    "addresses": None,
    "phoneNumbers": None,
    "title": None,
}


def test_okta_create_returns_201_location_etag_and_the_full_user(users_client):
    response = users_client.post(USERS, OKTA_CREATE, format="json")
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith(SCIM_JSON)
    body = response.json()
    assert response["Location"] == body["meta"]["location"]
    assert response["Location"] == f"http://testserver{USERS}/{body['id']}"
    assert response["ETag"] == body["meta"]["version"]
    assert body["schemas"] == [USER_URN]
    assert body["userName"] == "test.user@okta.local"
    assert body["name"] == {"givenName": "Test", "familyName": "User"}
    assert body["emails"] == [{"primary": True, "value": "test.user@okta.local", "type": "work"}]
    assert body["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert body["displayName"] == "Test User" and body["locale"] == "en-US"
    assert body["active"] is True
    assert body["meta"]["resourceType"] == "User"
    assert "password" not in body and "groups" not in body

    user = host_user(body["id"])
    assert user.get_username() == "test.user@okta.local"
    assert user.email == "test.user@okta.local"
    assert user.is_active and not user.is_staff and not user.is_superuser
    assert not user.has_usable_password()


def test_entra_create_with_nulls_roles_and_meta(users_client):
    response = users_client.post(USERS, ENTRA_CREATE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["userName"] == ENTRA_CREATE["userName"]
    assert body["externalId"] == ENTRA_CREATE["externalId"]
    assert "roles" not in body and "title" not in body and "addresses" not in body


def test_okta_spec_test_posts_with_application_json(users_client):
    response = users_client.post(
        USERS, UserBodyFactory(), format="json", HTTP_ACCEPT="application/scim+json; charset=utf-8"
    )
    assert response.status_code == 201


def test_scim_json_content_type_with_charset(users_client):
    import json

    response = users_client.post(
        USERS,
        json.dumps(UserBodyFactory()),
        content_type="application/scim+json; charset=utf-8",
    )
    assert response.status_code == 201, response.content


def test_get_by_id(users_client, create_user):
    created = create_user()
    response = users_client.get(
        f"{USERS}/{created['id']}", HTTP_CONTENT_TYPE="application/scim+json; charset=utf-8"
    )
    assert response.status_code == 200
    body = response.json()
    assert body == created
    assert response["ETag"] == body["meta"]["version"]
    for key in ("id", "userName", "active"):
        assert body[key] not in (None, "")
    assert body["name"]["givenName"] and body["name"]["familyName"]
    assert body["emails"][0]["value"]


@pytest.mark.parametrize(
    "scim_id",
    [
        "00919288221112222",
        "010101001010101011001010101011",
        "not-a-uuid",
        "7b2a1c58-0000-0000-0000-000000000000",
    ],
)
def test_unknown_or_non_uuid_id_is_404_on_every_method(users_client, scim_id):
    url = f"{USERS}/{scim_id}"
    assert_scim_error(users_client.get(url), 404)
    assert_scim_error(users_client.put(url, UserBodyFactory(), format="json"), 404)
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    assert_scim_error(users_client.patch(url, patch, format="json"), 404)
    assert_scim_error(users_client.delete(url), 404)


def test_duplicate_user_name_is_409_case_insensitively(users_client, create_user):
    create_user(userName="jane.doe@example.com")
    count = ScimUser.objects.count(), get_user_model().objects.count()
    for user_name in ("jane.doe@example.com", "JANE.DOE@EXAMPLE.COM"):
        response = users_client.post(USERS, UserBodyFactory(userName=user_name), format="json")
        assert_scim_error(response, 409, "uniqueness")
    assert (ScimUser.objects.count(), get_user_model().objects.count()) == count


def test_missing_user_name_is_400_invalid_value_and_writes_nothing(users_client):
    body = UserBodyFactory()
    del body["userName"]
    assert_scim_error(users_client.post(USERS, body, format="json"), 400, "invalidValue")
    body["userName"] = ""
    assert_scim_error(users_client.post(USERS, body, format="json"), 400, "invalidValue")
    assert not ScimUser.objects.exists()
    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null", "{not json"])
def test_non_object_body_is_400_invalid_syntax(users_client, body):
    response = users_client.post(USERS, body, content_type="application/scim+json")
    assert_scim_error(response, 400, "invalidSyntax")
    assert not ScimUser.objects.exists()


def test_put_and_patch_with_non_object_body(users_client, create_user):
    created = create_user()
    url = f"{USERS}/{created['id']}"
    for method in (users_client.put, users_client.patch):
        assert_scim_error(
            method(url, "[]", content_type="application/scim+json"), 400, "invalidSyntax"
        )
    assert users_client.get(url).json() == created


def test_put_replaces_and_returns_200(users_client, create_user):
    created = create_user(userName="put.me@example.com")
    body = {**created, "displayName": "Renamed", "title": "Engineer"}
    response = users_client.put(f"{USERS}/{created['id']}", body, format="json")
    assert response.status_code == 200, response.content
    updated = response.json()
    assert updated["displayName"] == "Renamed" and updated["title"] == "Engineer"
    assert updated["id"] == created["id"]
    assert updated["meta"]["version"] != created["meta"]["version"]
    assert response["ETag"] == updated["meta"]["version"]
    assert users_client.get(f"{USERS}/{created['id']}").json() == updated


def test_put_with_the_same_body_changes_nothing(users_client, create_user):
    created = create_user()
    response = users_client.put(f"{USERS}/{created['id']}", created, format="json")
    assert response.status_code == 200
    assert response.json()["meta"]["version"] == created["meta"]["version"]


def test_patch_returns_200_with_the_resource(users_client, create_user):
    created = create_user()
    response = users_client.patch(
        f"{USERS}/{created['id']}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "displayName", "value": "Pvlo"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["displayName"] == "Pvlo"
    assert response["ETag"] == response.json()["meta"]["version"]


def test_delete_is_204_then_404(users_client, create_user):
    created = create_user()
    url = f"{USERS}/{created['id']}"
    response = users_client.delete(url, HTTP_CONTENT_TYPE="application/scim+json")
    assert response.status_code == 204
    assert not response.content
    assert_scim_error(users_client.get(url), 404)
    assert_scim_error(users_client.delete(url), 404)


def test_if_match_mismatch_is_412_and_writes_nothing(users_client, create_user):
    created = create_user()
    url = f"{USERS}/{created['id']}"
    body = {**created, "displayName": "Changed"}
    response = users_client.put(url, body, format="json", HTTP_IF_MATCH='W/"999"')
    assert_scim_error(response, 412)
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Changed"}],
    }
    assert_scim_error(users_client.patch(url, patch, format="json", HTTP_IF_MATCH='W/"0"'), 412)
    assert_scim_error(users_client.delete(url, HTTP_IF_MATCH='W/"0"'), 412)
    assert users_client.get(url).json() == created


def test_if_match_with_the_current_etag_succeeds(users_client, create_user):
    created = create_user()
    url = f"{USERS}/{created['id']}"
    body = {**created, "displayName": "Changed"}
    response = users_client.put(url, body, format="json", HTTP_IF_MATCH=created["meta"]["version"])
    assert response.status_code == 200
    assert users_client.delete(url, HTTP_IF_MATCH=response["ETag"]).status_code == 204


def test_if_none_match_is_304_when_unchanged(users_client, create_user):
    created = create_user()
    url = f"{USERS}/{created['id']}"
    response = users_client.get(url, HTTP_IF_NONE_MATCH=created["meta"]["version"])
    assert response.status_code == 304
    assert response["ETag"] == created["meta"]["version"]
    assert users_client.get(url, HTTP_IF_NONE_MATCH='W/"0"').status_code == 200


def test_search_endpoint(users_client, create_user):
    create_user(userName="searched@example.com")
    create_user()
    response = users_client.post(
        f"{USERS}/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "SEARCHED@example.com"',
            "startIndex": 1,
            "count": 10,
            "attributes": ["userName"],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totalResults"] == 1
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}


def test_me_is_501(users_client):
    assert_scim_error(users_client.get("/scim/v2/Me"), 501)


def test_methods_not_allowed(users_client, create_user):
    created = create_user()
    assert_scim_error(users_client.delete(USERS), 405)
    assert_scim_error(users_client.post(f"{USERS}/{created['id']}", {}, format="json"), 405)


def test_unauthenticated_requests_are_401(anon_client, create_user):
    created = create_user()
    assert_scim_error(anon_client.get(USERS), 401)
    assert_scim_error(anon_client.get(f"{USERS}/{created['id']}"), 401)
    assert_scim_error(anon_client.post(USERS, UserBodyFactory(), format="json"), 401)
    assert ScimUser.objects.count() == 1


@pytest.mark.django_db
def test_a_user_created_without_active_is_active_and_says_so(users_client):
    response = users_client.post(USERS, {"userName": "no-active@example.com"}, format="json")
    assert response.status_code == 201
    assert response.json()["active"] is True
    assert users_client.get(f"{USERS}/{response.json()['id']}").json()["active"] is True
