"""Only mapped or registered attributes can be written: privileges and secrets are out of reach."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from scim_provider.models import ScimUser
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS, host_user

pytestmark = pytest.mark.django_db

PRIVILEGED = {
    "is_staff": True,
    "isStaff": True,
    "is_superuser": True,
    "isSuperuser": True,
    "superuser": True,
    "password_hash": "md5$x$y",
    "last_login": "2020-01-01T00:00:00Z",
    "lastLogin": "2020-01-01T00:00:00Z",
    "date_joined": "2000-01-01T00:00:00Z",
    "pk": 1,
    "user_permissions": [1],
    "urn:ietf:params:scim:schemas:core:2.0:User:is_staff": True,
    "urn:ietf:params:scim:schemas:core:2.0:User:isSuperuser": True,
    "urn:ietf:params:scim:schemas:extension:django:2.0:User": {"is_staff": True},
    "name": {"givenName": "Eve", "is_superuser": True},
    "name.is_staff": True,
}


def row(scim_id: str) -> dict:
    user = host_user(scim_id)
    return {
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "password": user.password,
        "last_login": user.last_login,
    }


def assert_unprivileged(scim_id: str) -> None:
    user = host_user(scim_id)
    assert not user.is_staff and not user.is_superuser and user.last_login is None
    assert not user.has_usable_password()


def test_post_cannot_set_privileges(users_client):
    response = users_client.post(USERS, {**UserBodyFactory(), **PRIVILEGED}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert_unprivileged(body["id"])
    text = json.dumps(body)
    assert "is_staff" not in text and "uperuser" not in text and "md5$" not in text
    link = ScimUser.objects.get(scim_id=body["id"])
    assert "is_staff" not in json.dumps(link.attributes)


def test_put_cannot_set_privileges(users_client, create_user):
    user = create_user()
    before = row(user["id"])
    response = users_client.put(f"{USERS}/{user['id']}", {**user, **PRIVILEGED}, format="json")
    assert response.status_code == 200, response.content
    assert row(user["id"]) == before
    assert_unprivileged(user["id"])


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": "is_staff", "value": True},
        {"op": "add", "path": "isSuperuser", "value": True},
        {"op": "replace", "path": "password_hash", "value": "md5$x$y"},
        {"op": "replace", "path": "last_login", "value": "2020-01-01T00:00:00Z"},
        {
            "op": "replace",
            "path": "urn:ietf:params:scim:schemas:core:2.0:User:is_staff",
            "value": 1,
        },
        {"op": "replace", "path": "name.is_superuser", "value": True},
        {"op": "replace", "value": {"is_staff": True, "is_superuser": True}},
        {"op": "replace", "value": {"urn:x:User:is_staff": True}},
        {"op": "replace", "path": "meta.created", "value": "2000-01-01T00:00:00Z"},
    ],
)
def test_patch_cannot_set_privileges(users_client, create_user, operation):
    user = create_user()
    before = row(user["id"])
    response = users_client.patch(f"{USERS}/{user['id']}", patch_body(operation), format="json")
    assert response.status_code in (200, 400), response.content
    assert row(user["id"]) == before
    assert_unprivileged(user["id"])
    fresh = users_client.get(f"{USERS}/{user['id']}").json()
    assert fresh["meta"]["created"] == user["meta"]["created"]
    assert not {"is_staff", "isStaff", "isSuperuser", "is_superuser"} & set(fresh)


def test_existing_user_keeps_its_host_state_when_adopted(users_client, scim_config):
    """SCIM writes only mapped fields: what the host set survives provisioning."""
    from tests.factories import UserFactory

    scim_config(MATCH_EXISTING_USERS=["userName"])
    person = UserFactory(username="some.person@example.com", password="pw")
    person.last_login = timezone.now()
    person.save()
    response = users_client.post(
        USERS, UserBodyFactory(userName="some.person@example.com"), format="json"
    )
    assert response.status_code == 201, response.content
    user = host_user(response.json()["id"])
    assert user.pk == person.pk and user.last_login is not None
    assert user.check_password("pw")  # password sync is off: the host's password stays


def test_existing_staff_user_is_never_adopted(users_client, scim_config):
    """A staff account is not adopted (``accounts.adoption_refusal``): the login stays the
    host's, untouched (409 on the host's unique login)."""
    from tests.factories import UserFactory

    scim_config(MATCH_EXISTING_USERS=["userName"], PASSWORD_SYNC=True)
    staff = UserFactory(username="admin.person@example.com", is_staff=True, password="pw")
    response = users_client.post(
        USERS,
        UserBodyFactory(userName="admin.person@example.com", password="taken-over"),
        format="json",
    )
    assert response.status_code == 409, response.content
    staff.refresh_from_db()
    assert staff.is_staff and staff.check_password("pw") and not hasattr(staff, "scim_link")


def test_password_is_ignored_by_default(users_client):
    response = users_client.post(USERS, UserBodyFactory(password="1mz050nq"), format="json")
    body = response.json()
    assert "password" not in body
    user = host_user(body["id"])
    assert not user.has_usable_password() and not user.check_password("1mz050nq")
    assert "1mz050nq" not in json.dumps(ScimUser.objects.get(scim_id=body["id"]).attributes)


def test_password_sync(users_client, scim_config):
    scim_config(PASSWORD_SYNC=True)
    response = users_client.post(USERS, UserBodyFactory(password="1mz050nq"), format="json")
    body = response.json()
    assert "password" not in body
    user = host_user(body["id"])
    assert user.check_password("1mz050nq")
    assert "1mz050nq" not in user.password
    response = users_client.patch(
        f"{USERS}/{body['id']}",
        patch_body({"op": "replace", "path": "password", "value": "n3w-Pass"}),
        format="json",
    )
    assert response.status_code == 200 and "password" not in response.json()
    assert host_user(body["id"]).check_password("n3w-Pass")
    put = users_client.put(f"{USERS}/{body['id']}", {**body, "password": "th1rd"}, format="json")
    assert "password" not in put.json()
    assert host_user(body["id"]).check_password("th1rd")
    for response in (
        users_client.get(f"{USERS}/{body['id']}"),
        users_client.get(f"{USERS}/{body['id']}", {"attributes": "password"}),
        users_client.get(USERS, {"attributes": "password,userName"}),
    ):
        assert "password" not in response.content.decode()
        assert "th1rd" not in response.content.decode()
    stored = ScimUser.objects.get(scim_id=body["id"]).attributes
    assert "password" not in stored


def test_password_cannot_be_filtered(users_client, create_user):
    create_user()
    response = users_client.get(USERS, {"filter": 'password eq "x"'})
    assert response.status_code == 400


def test_no_host_field_leaks_into_responses(users_client, create_user):
    user = create_user()
    model_fields = {f.name for f in get_user_model()._meta.concrete_fields}
    leaked = model_fields & set(users_client.get(f"{USERS}/{user['id']}").json())
    assert leaked <= {"id"}
