"""Okta Group Push over PATCH: members in and out, rename, full push."""

from __future__ import annotations

import pytest

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

pytestmark = pytest.mark.django_db

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def users(create_user):
    return [create_user() for _ in range(4)]


@pytest.fixture
def group(users_client, users):
    """``Test SCIMv2`` with the first two users as members."""
    return create_group(users_client, "Test SCIMv2", [users[0]["id"], users[1]["id"]])


def okta_member(user: dict) -> dict:
    return {"value": user["id"], "display": user["userName"]}


def rename(group: dict, name: str) -> dict:
    """The no-path replace Okta sends with every membership update."""
    return {"op": "replace", "value": {"id": group["id"], "displayName": name}}


def assert_members(group_id: str, users: list[dict]) -> None:
    wanted = {u["id"] for u in users}
    assert member_ids(group_id) == wanted
    assert host_member_ids(group_id) == user_pks(wanted)


def test_add_members(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [okta_member(users[2]), okta_member(users[3])]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert {m["value"] for m in body["members"]} == {u["id"] for u in users}
    assert body["meta"]["version"] != group["meta"]["version"]
    assert_members(group["id"], users)


def test_adding_an_existing_member_is_harmless(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [okta_member(users[0])]},
    )
    assert response.status_code == 200
    assert len(response.json()["members"]) == 2
    assert_members(group["id"], users[:2])


def test_remove_with_a_value_filter(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'},
    )
    assert response.status_code == 200, response.content
    assert [m["value"] for m in response.json()["members"]] == [users[1]["id"]]
    assert_members(group["id"], [users[1]])


def test_removing_a_non_member_is_harmless(users_client, group, users):
    for value in (users[3]["id"], UNKNOWN):
        response = patch(
            users_client, group["id"], {"op": "remove", "path": f'members[value eq "{value}"]'}
        )
        assert response.status_code == 200, response.content
    assert_members(group["id"], users[:2])


def test_oin_membership_update_remove_add_and_rename_in_one_request(users_client, group, users):
    """What Okta sends on a push: the rename, removals, then additions."""
    response = patch(
        users_client,
        group["id"],
        rename(group, "Test SCIMv2"),
        {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'},
        {"op": "remove", "path": f'members[value eq "{users[1]["id"]}"]'},
        {"op": "add", "path": "members", "value": [okta_member(users[2]), okta_member(users[3])]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["displayName"] == "Test SCIMv2"
    assert {m["value"] for m in body["members"]} == {users[2]["id"], users[3]["id"]}
    assert_members(group["id"], users[2:])


def test_remove_then_add_back_the_same_member(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'},
        {"op": "add", "path": "members", "value": [okta_member(users[0])]},
    )
    assert response.status_code == 200, response.content
    assert_members(group["id"], users[:2])


@pytest.mark.parametrize("with_id", [True, False], ids=["with-id", "id-dropped"])
def test_rename_with_a_no_path_replace(users_client, group, users, with_id):
    value = {"displayName": "Renamed"}
    if with_id:
        value["id"] = "33333333-3333-3333-3333-333333333333"  # ignored: the path names it
    response = patch(users_client, group["id"], {"op": "replace", "value": value})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == group["id"] and body["displayName"] == "Renamed"
    assert len(body["members"]) == 2
    assert host_group(group["id"]).name == "Renamed"
    assert ScimGroup.objects.get(scim_id=group["id"]).display_name_key == "renamed"
    assert_members(group["id"], users[:2])


def test_rename_to_the_same_name_in_another_case(users_client, group):
    response = patch(users_client, group["id"], rename(group, "TEST scimv2"))
    assert response.status_code == 200, response.content
    assert response.json()["displayName"] == "TEST scimv2"


def test_rename_to_a_taken_name_is_409_and_rolls_back_the_members(users_client, group, users):
    create_group(users_client, "Other")
    response = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [okta_member(users[2])]},
        rename(group, "other"),
    )
    assert_scim_error(response, 409, "uniqueness")
    assert_members(group["id"], users[:2])
    assert host_group(group["id"]).name == "Test SCIMv2"


def test_full_push_replaces_members(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {
            "op": "replace",
            "path": "members",
            "value": [okta_member(users[1]), okta_member(users[3])],
        },
    )
    assert response.status_code == 200, response.content
    assert {m["value"] for m in response.json()["members"]} == {users[1]["id"], users[3]["id"]}
    assert_members(group["id"], [users[1], users[3]])


def test_full_push_with_an_empty_list_empties_the_group(users_client, group):
    response = patch(users_client, group["id"], {"op": "replace", "path": "members", "value": []})
    assert response.status_code == 200, response.content
    assert "members" not in response.json()
    assert_members(group["id"], [])


def test_remove_all_members_without_a_filter(users_client, group):
    response = patch(users_client, group["id"], {"op": "remove", "path": "members"})
    assert response.status_code == 200, response.content
    assert_members(group["id"], [])


def test_remove_all_then_add_in_one_request(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [okta_member(users[1]), okta_member(users[3])]},
    )
    assert response.status_code == 200, response.content
    assert {m["value"] for m in response.json()["members"]} == {users[1]["id"], users[3]["id"]}
    assert_members(group["id"], [users[1], users[3]])


def test_member_ids_in_upper_case(users_client, group, users, scim_config):
    scim_config(UNKNOWN_MEMBERS="reject")
    response = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [{"value": users[2]["id"].upper()}]},
        {"op": "remove", "path": f'members[value eq "{users[0]["id"].upper()}"]'},
    )
    assert response.status_code == 200, response.content
    assert_members(group["id"], users[1:3])


def test_unknown_members_are_ignored_by_default(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [{"value": UNKNOWN}, okta_member(users[2])]},
    )
    assert response.status_code == 200, response.content
    assert_members(group["id"], users[:3])
    response = patch(
        users_client,
        group["id"],
        {"op": "replace", "path": "members", "value": [{"value": "junk"}, okta_member(users[3])]},
    )
    assert response.status_code == 200, response.content
    assert_members(group["id"], [users[3]])


@pytest.mark.parametrize("op", ["add", "replace"])
def test_unknown_members_rejected_when_configured(users_client, group, users, scim_config, op):
    scim_config(UNKNOWN_MEMBERS="reject")
    response = patch(
        users_client,
        group["id"],
        rename(group, "Renamed"),
        {"op": op, "path": "members", "value": [okta_member(users[2]), {"value": UNKNOWN}]},
    )
    body = assert_scim_error(response, 400, "invalidValue")
    assert UNKNOWN in body["detail"] and users[2]["id"] not in body["detail"]
    assert_members(group["id"], users[:2])
    assert host_group(group["id"]).name == "Test SCIMv2"


def test_put_with_unknown_members(users_client, group, users, scim_config):
    url = f"{GROUPS}/{group['id']}"
    body = {"schemas": group["schemas"], "displayName": "Test SCIMv2"}
    body["members"] = [okta_member(users[2]), {"value": UNKNOWN}]
    response = users_client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert_members(group["id"], [users[2]])

    scim_config(UNKNOWN_MEMBERS="reject")
    body["members"] = [okta_member(users[3]), {"value": UNKNOWN}]
    body_error = assert_scim_error(users_client.put(url, body, format="json"), 400, "invalidValue")
    assert UNKNOWN in body_error["detail"]
    assert_members(group["id"], [users[2]])


def test_removing_unknown_members_never_fails(users_client, group, users, scim_config):
    scim_config(UNKNOWN_MEMBERS="reject")
    response = patch(
        users_client, group["id"], {"op": "remove", "path": f'members[value eq "{UNKNOWN}"]'}
    )
    assert response.status_code == 200, response.content
    assert_members(group["id"], users[:2])


def test_patch_response_no_content(users_client, group, users, scim_config):
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    response = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [okta_member(users[2])]},
    )
    assert response.status_code == 204 and response.content == b""
    assert_members(group["id"], users[:3])
    # A request that names attributes still gets them.
    response = patch(users_client, group["id"], rename(group, "X"), excludedAttributes="members")
    assert response.status_code == 200
    body = response.json()
    assert body["displayName"] == "X" and "members" not in body


def test_patch_response_resource_honours_excluded_attributes(users_client, group):
    response = patch(users_client, group["id"], rename(group, "X"), excludedAttributes="members")
    assert response.status_code == 200
    assert "members" not in response.json()


def test_patch_with_if_match(users_client, group, users):
    member = {"op": "add", "path": "members", "value": [okta_member(users[2])]}
    url = f"{GROUPS}/{group['id']}"
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [member]}
    stale = users_client.patch(url, body, format="json", HTTP_IF_MATCH='W/"999"')
    assert_scim_error(stale, 412)
    assert_members(group["id"], users[:2])


def test_version_moves_only_when_something_changes(users_client, group, users):
    same = patch(users_client, group["id"], rename(group, "Test SCIMv2"))
    assert same.status_code == 200
    assert same.json()["meta"]["version"] == group["meta"]["version"]
    response = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [okta_member(users[2])]},
    )
    after_add = response.json()["meta"]["version"]
    assert after_add != group["meta"]["version"]
    assert response["ETag"] == after_add
