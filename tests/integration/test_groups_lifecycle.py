"""A group's life: soft delete (the default), hard delete, pushing a deleted group again, and
what users' ``groups`` attribute shows along the way."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from scim_provider.models import ScimGroup, ScimMembership
from tests.conftest import assert_scim_error
from tests.integration.group_helpers import (
    GROUPS,
    create_group,
    group_body,
    host_group,
    host_member_ids,
    member_ids,
    patch,
    user_pks,
)

pytestmark = pytest.mark.django_db

USERS = "/scim/v2/Users"


@pytest.fixture
def users(create_user):
    return [create_user() for _ in range(3)]


@pytest.fixture
def group(users_client, users):
    return create_group(users_client, "Engineering", [users[0]["id"], users[1]["id"]])


def groups_of(client, user: dict) -> list[str]:
    body = client.get(f"{USERS}/{user['id']}").json()
    return [g["display"] for g in body.get("groups", [])]


def test_soft_delete_is_the_default(users_client, group, users):
    host = host_group(group["id"])
    assert users_client.delete(f"{GROUPS}/{group['id']}").status_code == 204
    link = ScimGroup.objects.get(scim_id=group["id"])
    assert link.deleted_at is not None
    assert not ScimMembership.objects.filter(group=link).exists()
    # The host group stays (its permissions, its history) but has no members any more.
    assert Group.objects.filter(pk=host.pk, name="Engineering").exists()
    assert host_member_ids(group["id"]) == set()
    assert_scim_error(users_client.get(f"{GROUPS}/{group['id']}"), 404)
    assert users_client.get(GROUPS).json()["totalResults"] == 0
    found = users_client.get(GROUPS, {"filter": 'displayName eq "Engineering"'}).json()
    assert found["totalResults"] == 0
    for method in ("put", "patch"):
        response = getattr(users_client, method)(
            f"{GROUPS}/{group['id']}", group_body("X"), format="json"
        )
        assert_scim_error(response, 404)


def test_hard_delete(users_client, group, scim_config):
    scim_config(GROUP_DELETE_MODE="delete")
    assert users_client.delete(f"{GROUPS}/{group['id']}").status_code == 204
    assert not ScimGroup.objects.exists()
    assert not ScimMembership.objects.exists()
    assert not Group.objects.exists()
    assert_scim_error(users_client.get(f"{GROUPS}/{group['id']}"), 404)


def test_pushing_a_deleted_group_again_creates_a_new_group(users_client, group, users):
    host = host_group(group["id"])
    permission = Permission.objects.first()
    host.permissions.add(permission)
    assert users_client.delete(f"{GROUPS}/{group['id']}").status_code == 204

    again = create_group(users_client, "Engineering", [users[2]["id"]])
    assert again["id"] != group["id"]
    assert member_ids(again["id"]) == {users[2]["id"]}
    # The host group the deleted one left behind is taken over, permissions included.
    assert host_group(again["id"]).pk == host.pk
    assert list(host.permissions.all()) == [permission]
    assert host_member_ids(again["id"]) == user_pks([users[2]["id"]])
    assert Group.objects.count() == 1
    listed = users_client.get(GROUPS).json()
    assert [g["id"] for g in listed["Resources"]] == [again["id"]]
    assert_scim_error(users_client.get(f"{GROUPS}/{group['id']}"), 404)


def test_pushing_a_deleted_group_again_after_a_hard_delete(users_client, group, scim_config):
    scim_config(GROUP_DELETE_MODE="delete")
    assert users_client.delete(f"{GROUPS}/{group['id']}").status_code == 204
    again = create_group(users_client, "Engineering")
    assert again["id"] != group["id"] and host_group(again["id"]).name == "Engineering"


def test_a_host_group_still_mirrored_by_a_live_group_is_never_taken_over(
    users_client, group, tenant_clients
):
    # Another tenant's deleted group does not hand its host group to this tenant either.
    client_a, _client_b = tenant_clients
    mine = create_group(client_a, "Engineering")
    assert host_group(mine["id"]).pk != host_group(group["id"]).pk


def test_users_groups_attribute_shows_live_groups_only(users_client, group, users):
    other = create_group(users_client, "Sales", [users[0]["id"]])
    assert groups_of(users_client, users[0]) == ["Engineering", "Sales"]
    assert users_client.delete(f"{GROUPS}/{group['id']}").status_code == 204
    assert groups_of(users_client, users[0]) == ["Sales"]
    assert groups_of(users_client, users[1]) == []
    patch(users_client, other["id"], {"op": "Replace", "path": "displayName", "value": "Sales EU"})
    body = users_client.get(f"{USERS}/{users[0]['id']}").json()
    assert body["groups"] == [
        {
            "value": other["id"],
            "$ref": f"http://testserver{GROUPS}/{other['id']}",
            "display": "Sales EU",
            "type": "direct",
        }
    ]


def test_users_groups_attribute_is_read_only(users_client, group, users):
    other = create_group(users_client, "Sales")
    user = users_client.get(f"{USERS}/{users[2]['id']}").json()
    body = {**user, "groups": [{"value": other["id"]}]}
    response = users_client.put(f"{USERS}/{users[2]['id']}", body, format="json")
    assert response.status_code == 200
    assert member_ids(other["id"]) == set()
    assert "groups" not in response.json()


def test_users_filter_by_group(users_client, group, users):
    found = users_client.get(USERS, {"filter": f'groups.value eq "{group["id"]}"'}).json()
    assert {u["id"] for u in found["Resources"]} == {users[0]["id"], users[1]["id"]}


def test_a_deleted_user_is_not_listed_as_member(users_client, group, users):
    assert users_client.delete(f"{USERS}/{users[0]['id']}").status_code == 204
    members = users_client.get(f"{GROUPS}/{group['id']}").json()["members"]
    assert [m["value"] for m in members] == [users[1]["id"]]
    listed = users_client.get(GROUPS).json()["Resources"][0]["members"]
    assert [m["value"] for m in listed] == [users[1]["id"]]
