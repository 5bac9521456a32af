"""The host group mirror: ``auth.Group`` by default, any model with a many-to-many to the
user model (``testapp.Team``), or none (``GROUP_MODEL = None``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from scim_provider.models import ScimGroup
from tests.conftest import assert_scim_error
from tests.integration.group_helpers import (
    GROUPS,
    create_group,
    host_group,
    host_member_ids,
    member_ids,
    patch,
    user_pks,
)
from tests.testapp.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(create_user):
    return [create_user() for _ in range(3)]


def test_auth_group_is_created_named_and_filled(users_client, users):
    created = create_group(users_client, "Engineering", [users[0]["id"], users[1]["id"]])
    group = host_group(created["id"])
    assert isinstance(group, Group) and group.name == "Engineering"
    holders = get_user_model().objects.filter(groups=group)
    assert set(holders.values_list("pk", flat=True)) == user_pks([users[0]["id"], users[1]["id"]])


def test_the_host_sees_membership_changes_through_user_groups(users_client, users):
    created = create_group(users_client, "Engineering", [users[0]["id"]])
    patch(
        users_client,
        created["id"],
        {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'},
        {"op": "add", "path": "members", "value": [{"value": users[2]["id"]}]},
    )
    host_user = get_user_model().objects.get(pk=user_pks([users[2]["id"]]).pop())
    assert [g.name for g in host_user.groups.all()] == ["Engineering"]
    gone = get_user_model().objects.get(pk=user_pks([users[0]["id"]]).pop())
    assert list(gone.groups.all()) == []


def test_rename_renames_the_host_group_and_keeps_its_permissions(users_client):
    created = create_group(users_client, "Engineering")
    group = host_group(created["id"])
    permission = Permission.objects.first()
    group.permissions.add(permission)
    patch(users_client, created["id"], {"op": "Replace", "path": "displayName", "value": "R&D"})
    group.refresh_from_db()
    assert group.name == "R&D" and list(group.permissions.all()) == [permission]
    assert Group.objects.count() == 1


def test_a_host_group_of_the_same_name_that_scim_did_not_create_is_a_409(users_client):
    Group.objects.create(name="Admins")
    response = users_client.post(GROUPS, {"displayName": "Admins"}, format="json")
    assert_scim_error(response, 409, "uniqueness")
    assert not ScimGroup.objects.exists()


def test_host_membership_rows_added_outside_scim_are_left_alone(users_client, users):
    created = create_group(users_client, "Engineering", [users[0]["id"]])
    model = get_user_model()
    outsider = model.objects.create(**{model.USERNAME_FIELD: "local@example.com"})
    outsider.groups.add(host_group(created["id"]))
    add = {"op": "add", "path": "members", "value": [{"value": users[1]["id"]}]}
    assert patch(users_client, created["id"], add).status_code == 200
    patch(
        users_client,
        created["id"],
        {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'},
    )
    assert host_member_ids(created["id"]) == user_pks([users[1]["id"]]) | {outsider.pk}


def test_group_fields_map_extra_attributes(users_client, scim_config):
    scim_config(GROUP_MODEL="testapp.Team", GROUP_FIELDS={"displayName": "name"})
    created = create_group(users_client, "Platform")
    assert host_group(created["id"], "testapp.Team").name == "Platform"


class TestCustomTeamModel:
    """``GROUP_MODEL = "testapp.Team"``: the M2M is declared on the group side."""

    @pytest.fixture(autouse=True)
    def team_model(self, scim_config):
        scim_config(GROUP_MODEL="testapp.Team")

    def test_create_rename_members_delete(self, users_client, users):
        created = create_group(users_client, "Platform", [users[0]["id"]])
        team = host_group(created["id"], "testapp.Team")
        assert isinstance(team, Team) and team.name == "Platform"
        assert set(team.members.values_list("pk", flat=True)) == user_pks([users[0]["id"]])
        assert not Group.objects.exists()

        response = patch(
            users_client,
            created["id"],
            {"op": "replace", "value": {"id": created["id"], "displayName": "Platform Eng"}},
            {"op": "add", "path": "members", "value": [{"value": users[1]["id"]}]},
        )
        assert response.status_code == 200, response.content
        team.refresh_from_db()
        assert team.name == "Platform Eng"
        assert host_member_ids(created["id"], "testapp.Team") == user_pks(
            [users[0]["id"], users[1]["id"]]
        )

        put = users_client.put(
            f"{GROUPS}/{created['id']}",
            {"displayName": "Platform Eng", "members": [{"value": users[2]["id"]}]},
            format="json",
        )
        assert put.status_code == 200
        assert host_member_ids(created["id"], "testapp.Team") == user_pks([users[2]["id"]])

        assert users_client.delete(f"{GROUPS}/{created['id']}").status_code == 204
        team.refresh_from_db()
        assert list(team.members.all()) == []

    def test_hard_delete_removes_the_team(self, users_client, users, scim_config):
        scim_config(GROUP_MODEL="testapp.Team", GROUP_DELETE_MODE="delete")
        created = create_group(users_client, "Platform", [users[0]["id"]])
        assert users_client.delete(f"{GROUPS}/{created['id']}").status_code == 204
        assert not Team.objects.exists()
        assert not ScimGroup.objects.exists()


class TestNoHostModel:
    """``GROUP_MODEL = None``: groups and memberships live in SCIM's tables only."""

    @pytest.fixture(autouse=True)
    def no_model(self, scim_config):
        scim_config(GROUP_MODEL=None)

    def test_everything_works_without_mirroring(self, users_client, users):
        created = create_group(users_client, "Engineering", [users[0]["id"]])
        link = ScimGroup.objects.get(scim_id=created["id"])
        assert link.host_group_id == ""
        response = patch(
            users_client,
            created["id"],
            {"op": "replace", "value": {"displayName": "Eng"}},
            {"op": "add", "path": "members", "value": [{"value": users[1]["id"]}]},
        )
        assert response.status_code == 200, response.content
        assert response.json()["displayName"] == "Eng"
        assert member_ids(created["id"]) == {users[0]["id"], users[1]["id"]}
        found = users_client.get(GROUPS, {"filter": 'displayName eq "eng"'}).json()
        assert found["totalResults"] == 1
        assert users_client.delete(f"{GROUPS}/{created['id']}").status_code == 204
        assert not Group.objects.exists() and not Team.objects.exists()
        assert member_ids(created["id"]) == set()

    def test_users_groups_attribute(self, users_client, users):
        created = create_group(users_client, "Engineering", [users[0]["id"]])
        body = users_client.get(f"/scim/v2/Users/{users[0]['id']}").json()
        assert [(g["value"], g["display"]) for g in body["groups"]] == [
            (created["id"], "Engineering")
        ]
