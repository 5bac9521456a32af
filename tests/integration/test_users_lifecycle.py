"""Deactivate, reactivate, DELETE (soft and hard) and re-provisioning."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from scim_provider import signals
from scim_provider.models import ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS, host_user

pytestmark = pytest.mark.django_db

LIFECYCLE = ("user_deactivated", "user_reactivated", "user_deleted", "user_provisioned")


@pytest.fixture
def fired():
    """Records ``(signal name, kwargs)`` for the lifecycle signals."""
    calls: list[tuple[str, dict]] = []
    receivers = {}
    for name in LIFECYCLE:

        def receiver(sender, name=name, **kwargs):
            calls.append((name, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield calls
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def names(calls):
    return [name for name, _kwargs in calls]


def deactivate(client, user, active=False):
    response = client.patch(
        f"{USERS}/{user['id']}",
        patch_body({"op": "replace", "value": {"active": active}}),
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_deactivate_and_reactivate_fire_once(users_client, create_user, fired):
    user = create_user()
    fired.clear()
    deactivate(users_client, user)
    deactivate(users_client, user)  # already inactive: no second signal
    assert names(fired) == ["user_deactivated"]
    assert fired[0][1]["user"].pk == host_user(user["id"]).pk
    deactivate(users_client, user, active=True)
    deactivate(users_client, user, active=True)
    assert names(fired) == ["user_deactivated", "user_reactivated"]


def test_create_inactive_fires_no_transition(users_client, fired):
    response = users_client.post(USERS, UserBodyFactory(active=False), format="json")
    assert response.status_code == 201
    assert names(fired) == ["user_provisioned"]
    assert host_user(response.json()["id"]).is_active is False


def test_soft_delete_by_default(users_client, create_user, fired):
    user = create_user()
    pk = host_user(user["id"]).pk
    fired.clear()
    assert users_client.delete(f"{USERS}/{user['id']}").status_code == 204
    assert names(fired) == ["user_deactivated", "user_deleted"]
    assert fired[1][1]["hard"] is False
    host = get_user_model().objects.get(pk=pk)
    assert host.is_active is False
    assert ScimUser.objects.get(scim_id=user["id"]).deleted_at is not None
    assert_scim_error(users_client.get(f"{USERS}/{user['id']}"), 404)
    listing = users_client.get(USERS).json()
    assert listing["totalResults"] == 0
    found = users_client.get(USERS, {"filter": f'userName eq "{user["userName"]}"'}).json()
    assert found["totalResults"] == 0


def test_hard_delete(users_client, create_user, scim_config, fired):
    scim_config(DELETE_MODE="delete")
    user = create_user()
    pk = host_user(user["id"]).pk
    fired.clear()
    assert users_client.delete(f"{USERS}/{user['id']}").status_code == 204
    assert names(fired) == ["user_deleted"] and fired[0][1]["hard"] is True
    assert not get_user_model().objects.filter(pk=pk).exists()
    assert not ScimUser.objects.filter(scim_id=user["id"]).exists()
    assert_scim_error(users_client.get(f"{USERS}/{user['id']}"), 404)
    # The userName is free again, under a new id.
    again = users_client.post(USERS, UserBodyFactory(userName=user["userName"]), format="json")
    assert again.status_code == 201 and again.json()["id"] != user["id"]


def test_repost_of_a_soft_deleted_user_relinks_with_the_same_id(users_client, create_user, fired):
    user = create_user(userName="back@example.com", title="Old")
    pk = host_user(user["id"]).pk
    users_client.delete(f"{USERS}/{user['id']}")
    fired.clear()
    response = users_client.post(
        USERS, UserBodyFactory(userName="BACK@example.com", title="New"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == user["id"]
    assert body["title"] == "New" and body["active"] is True
    assert host_user(user["id"]).pk == pk and host_user(user["id"]).is_active
    assert get_user_model().objects.count() == 1
    assert names(fired) == ["user_provisioned", "user_reactivated"]
    assert fired[0][1]["adopted"] is True
    assert users_client.get(f"{USERS}/{user['id']}").status_code == 200


def test_repost_of_a_soft_deleted_user_without_relink_is_409(
    users_client, create_user, scim_config
):
    scim_config(RELINK_DELETED_USERS=False)
    user = create_user(userName="gone@example.com")
    users_client.delete(f"{USERS}/{user['id']}")
    response = users_client.post(USERS, UserBodyFactory(userName="gone@example.com"), format="json")
    assert_scim_error(response, 409, "uniqueness")
    assert_scim_error(users_client.get(f"{USERS}/{user['id']}"), 404)


def test_deactivated_user_cannot_log_in(users_client, create_user, scim_config, client):
    scim_config(PASSWORD_SYNC=True)
    user = create_user(password="S3cret-pass!")
    assert client.login(username=user["userName"], password="S3cret-pass!")
    client.logout()
    deactivate(users_client, user)
    assert not client.login(username=user["userName"], password="S3cret-pass!")


@pytest.mark.django_db
def test_soft_deleted_user_leaves_every_group(users_client, create_user):
    from tests.integration.group_helpers import host_member_ids

    gone, stays = create_user()["id"], create_user()["id"]
    response = users_client.post(
        f"{SCIM}/Groups",
        {"displayName": "Team", "members": [{"value": gone}, {"value": stays}]},
        format="json",
    )
    group = response.json()["id"]
    assert users_client.delete(f"{USERS}/{gone}").status_code == 204

    members = users_client.get(f"{SCIM}/Groups/{group}").json()["members"]
    assert [m["value"] for m in members] == [stays]
    assert host_member_ids(group) == {host_user(stays).pk}
    found = users_client.get(f'{SCIM}/Groups?filter=members.value eq "{gone}"').json()
    assert found["totalResults"] == 0
