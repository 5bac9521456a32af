"""PUT /Users/{id}: Okta App-Integration-Wizard apps send every update as a full PUT."""

from __future__ import annotations

import pytest

from scim_provider.models import ScimUser
from tests.conftest import assert_scim_error
from tests.factories import ENTERPRISE_URN
from tests.integration.conftest import USERS, host_user

pytestmark = pytest.mark.django_db


def okta_put_body(user: dict, **changes) -> dict:
    """What Okta's AIW PUT looks like after its GET."""
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": user["id"],
        "userName": user["userName"],
        "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
        "emails": [
            {
                "primary": True,
                "value": user["userName"],
                "type": "work",
                "display": user["userName"],
            }
        ],
        "active": True,
        "password": "TkdFNVdIVkxhM2c9",
        "groups": [],
        "meta": {
            "created": "04-12-2018 00:00:00",
            "lastModified": "04-12-2018 00:00:00",
            "version": "v1.0",
            "resourceType": "User",
        },
    }
    body.update(changes)
    return body


def put(client, user, body, status=200):
    response = client.put(f"{USERS}/{user['id']}", body, format="json")
    assert response.status_code == status, response.content
    return response.json()


def test_okta_aiw_full_body(users_client, create_user):
    user = create_user()
    body = put(users_client, user, okta_put_body(user))
    assert body["name"] == {"givenName": "Another", "middleName": "Excited", "familyName": "User"}
    assert body["meta"]["created"] == user["meta"]["created"]
    assert "password" not in body and "groups" not in body or body["groups"] == []
    assert not host_user(user["id"]).has_usable_password()


def test_put_active_false_deactivates_and_the_user_stays_visible(users_client, create_user):
    user = create_user(userName="aiw@example.com")
    body = put(users_client, user, okta_put_body(user, active=False))
    assert body["active"] is False
    assert host_user(user["id"]).is_active is False
    assert users_client.get(f"{USERS}/{user['id']}").json()["active"] is False
    found = users_client.get(USERS, {"filter": 'userName eq "AIW@example.com"'}).json()
    assert [u["id"] for u in found["Resources"]] == [user["id"]]
    body = put(users_client, user, okta_put_body(user, active=True))
    assert body["active"] is True and host_user(user["id"]).is_active is True


def test_put_omitting_attributes_clears_them(users_client, create_user):
    user = create_user(title="Engineer", nickName="Babs")
    body = put(users_client, user, okta_put_body(user))
    assert "title" not in body and "nickName" not in body
    assert "externalId" not in body  # readWrite: a PUT without it clears it (RFC 7644 §3.5.1)


def test_put_cannot_change_the_id(users_client, create_user):
    user, other = create_user(), create_user()
    body = put(users_client, user, okta_put_body(user, id=other["id"]))
    assert body["id"] == user["id"]
    assert users_client.get(f"{USERS}/{other['id']}").json() == other


def test_put_missing_user_name_is_400_and_writes_nothing(users_client, create_user):
    user = create_user()
    body = okta_put_body(user, displayName="Changed")
    del body["userName"]
    assert_scim_error(
        users_client.put(f"{USERS}/{user['id']}", body, format="json"), 400, "invalidValue"
    )
    assert users_client.get(f"{USERS}/{user['id']}").json() == user


def test_put_to_a_taken_user_name_is_409(users_client, create_user):
    user, other = create_user(), create_user()
    response = users_client.put(
        f"{USERS}/{user['id']}",
        okta_put_body(user, userName=other["userName"].upper()),
        format="json",
    )
    assert_scim_error(response, 409, "uniqueness")
    assert users_client.get(f"{USERS}/{user['id']}").json() == user


def test_put_with_the_entra_enterprise_extension(users_client, create_user):
    user = create_user()
    body = put(
        users_client,
        user,
        okta_put_body(
            user,
            **{ENTERPRISE_URN: {"department": "Sales", "manager": {"value": user["id"]}}},
        ),
    )
    assert body[ENTERPRISE_URN]["department"] == "Sales"
    assert ENTERPRISE_URN in body["schemas"]
    assert ScimUser.objects.get(scim_id=user["id"]).attributes[ENTERPRISE_URN]["department"] == (
        "Sales"
    )
