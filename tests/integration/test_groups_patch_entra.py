"""Microsoft Entra group provisioning: capitalized ops, value-list removal."""

from __future__ import annotations

import pytest

from tests.integration.group_helpers import (
    ADSCIM_URN,
    GROUP_URN,
    GROUPS,
    host_group,
    host_member_ids,
    member_ids,
    patch,
    user_pks,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(create_user):
    return [create_user() for _ in range(5)]


@pytest.fixture
def group(users_client):
    """Created as Entra does: ADSCIM schema, externalId, meta, never members."""
    response = users_client.post(
        GROUPS,
        {
            "schemas": [GROUP_URN, ADSCIM_URN],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "Sales",
            "meta": {"resourceType": "Group"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def entra_members(users: list[dict]) -> list[dict]:
    return [{"$ref": None, "value": u["id"]} for u in users]


def add(users: list[dict]) -> dict:
    return {"op": "Add", "path": "members", "value": entra_members(users)}


def assert_members(group_id: str, users: list[dict]) -> None:
    wanted = {u["id"] for u in users}
    assert member_ids(group_id) == wanted
    assert host_member_ids(group_id) == user_pks(wanted)


def test_match_then_create_then_read(users_client, group):
    """The match query before the create, then the read without members."""
    match = users_client.get(
        GROUPS, {"excludedAttributes": "members", "filter": 'displayName eq "sales"'}
    )
    assert match.status_code == 200
    assert [g["id"] for g in match.json()["Resources"]] == [group["id"]]
    miss = users_client.get(
        GROUPS, {"excludedAttributes": "members", "filter": 'displayName eq "Nobody"'}
    ).json()
    assert miss["totalResults"] == 0 and miss["Resources"] == []
    read = users_client.get(f"{GROUPS}/{group['id']}", {"excludedAttributes": "members"})
    assert read.status_code == 200
    assert read.json()["externalId"] == "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"


def test_add_several_members_in_one_op(users_client, group, users, scim_config):
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    response = patch(users_client, group["id"], add(users[:3]))
    assert response.status_code == 204, response.content
    assert_members(group["id"], users[:3])


def test_add_in_several_ops_of_one_request(users_client, group, users):
    response = patch(users_client, group["id"], add(users[:2]), add(users[2:4]))
    assert response.status_code == 200, response.content
    assert len(response.json()["members"]) == 4
    assert_members(group["id"], users[:4])


def test_remove_with_a_value_list_removes_only_those(users_client, group, users):
    assert patch(users_client, group["id"], add(users)).status_code == 200
    response = patch(
        users_client,
        group["id"],
        {"op": "Remove", "path": "members", "value": entra_members([users[1], users[3]])},
    )
    assert response.status_code == 200, response.content
    assert_members(group["id"], [users[0], users[2], users[4]])


def test_remove_with_the_filter_flag(users_client, group, users):
    assert patch(users_client, group["id"], add(users[:2])).status_code == 200
    response = patch(
        users_client, group["id"], {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'}
    )
    assert response.status_code == 200
    assert_members(group["id"], [users[1]])


def test_remove_and_add_in_one_request(users_client, group, users):
    assert patch(users_client, group["id"], add(users[:2])).status_code == 200
    response = patch(
        users_client,
        group["id"],
        {"op": "Remove", "path": "members", "value": entra_members(users[:1])},
        add(users[2:3]),
    )
    assert response.status_code == 200
    assert_members(group["id"], users[1:3])


@pytest.mark.parametrize("answer", ["resource", "no_content"])
def test_replace_display_name(users_client, group, scim_config, answer):
    scim_config(GROUP_PATCH_RESPONSE=answer)
    response = patch(
        users_client, group["id"], {"op": "Replace", "path": "displayName", "value": "Sales EMEA"}
    )
    assert response.status_code == (204 if answer == "no_content" else 200), response.content
    assert users_client.get(f"{GROUPS}/{group['id']}").json()["displayName"] == "Sales EMEA"
    assert host_group(group["id"]).name == "Sales EMEA"


def test_replace_external_id(users_client, group):
    response = patch(
        users_client, group["id"], {"op": "Replace", "path": "externalId", "value": "new-ext"}
    )
    assert response.status_code == 200
    assert response.json()["externalId"] == "new-ext"


def test_remove_members_not_in_the_group_is_harmless(users_client, group, users):
    response = patch(
        users_client,
        group["id"],
        {"op": "Remove", "path": "members", "value": entra_members(users[:2])},
    )
    assert response.status_code == 200
    assert_members(group["id"], [])


def test_delete(users_client, group, users):
    assert patch(users_client, group["id"], add(users[:2])).status_code == 200
    assert users_client.delete(f"{GROUPS}/{group['id']}").status_code == 204
    assert users_client.get(f"{GROUPS}/{group['id']}").status_code == 404
    assert member_ids(group["id"]) == set()
