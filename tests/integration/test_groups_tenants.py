"""Tenants: a token bound to an organization only sees and changes that organization's groups,
and only ever adds that organization's users to them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

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
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(tenant_clients, create_user):
    """Per tenant: a client, a user, and a group ``Engineering`` holding that user."""
    client_a, client_b = tenant_clients
    user_a, user_b = create_user(client_a), create_user(client_b)
    group_a = create_group(client_a, "Engineering", [user_a["id"]])
    group_b = create_group(client_b, "Engineering", [user_b["id"]])
    return client_a, client_b, user_a, user_b, group_a, group_b


def test_same_name_in_two_tenants_and_prefixed_host_groups(two):
    client_a, client_b, _ua, _ub, group_a, group_b = two
    assert group_a["id"] != group_b["id"]
    assert ScimGroup.objects.get(scim_id=group_a["id"]).tenant_id == client_a.tenant_id
    assert host_group(group_a["id"]).name == f"{client_a.tenant_id}: Engineering"
    assert host_group(group_b["id"]).name == f"{client_b.tenant_id}: Engineering"


def test_another_tenants_user_cannot_be_posted_as_member(two):
    client_a, _client_b, _ua, user_b, _ga, _gb = two
    response = client_a.post(GROUPS, group_body("Sales", [user_b["id"]]), format="json")
    body = assert_scim_error(response, 400, "invalidValue")
    assert user_b["id"] in body["detail"]
    assert not ScimGroup.objects.filter(display_name="Sales").exists()


@pytest.mark.parametrize("mode", ["ignore", "reject"])
def test_another_tenants_user_is_never_added_by_patch_or_put(two, scim_config, mode):
    client_a, _client_b, user_a, user_b, group_a, _gb = two
    scim_config(UNKNOWN_MEMBERS=mode)
    foreign = [{"value": user_b["id"]}]
    answers = [
        patch(client_a, group_a["id"], {"op": "add", "path": "members", "value": foreign}),
        patch(client_a, group_a["id"], {"op": "replace", "path": "members", "value": foreign}),
        client_a.put(
            f"{GROUPS}/{group_a['id']}",
            group_body("Engineering", [user_a["id"], user_b["id"]]),
            format="json",
        ),
    ]
    for response in answers:
        if mode == "reject":
            assert_scim_error(response, 400, "invalidValue")
        else:
            assert response.status_code == 200, response.content
    # reject: nothing changed; ignore: the replace emptied the group, the PUT put user_a back.
    assert member_ids(group_a["id"]) == {user_a["id"]}
    assert not ScimMembership.objects.filter(
        group__scim_id=group_a["id"], user__scim_id=user_b["id"]
    ).exists()
    assert len(host_member_ids(group_a["id"])) == 1


def test_another_tenants_user_is_not_removed_through_my_group(two):
    client_a, _client_b, _ua, user_b, group_a, group_b = two
    response = patch(
        client_a, group_a["id"], {"op": "remove", "path": f'members[value eq "{user_b["id"]}"]'}
    )
    assert response.status_code == 200
    assert member_ids(group_b["id"]) == {user_b["id"]}


def test_another_tenants_group_is_404_on_every_method(two):
    client_a, client_b, user_a, _ub, _ga, group_b = two
    url = f"{GROUPS}/{group_b['id']}"
    assert_scim_error(client_a.get(url), 404)
    assert_scim_error(client_a.put(url, group_body("Hacked", [user_a["id"]]), format="json"), 404)
    assert_scim_error(
        patch(client_a, group_b["id"], {"op": "add", "path": "members", "value": [user_a]}), 404
    )
    assert_scim_error(client_a.delete(url), 404)
    assert client_b.get(url).json() == group_b
    assert host_group(group_b["id"]).name.endswith(": Engineering")


def test_another_tenants_groups_are_invisible_in_lists_filters_and_totals(two):
    client_a, _client_b, _ua, user_b, group_a, group_b = two
    create_group(_client_b, "Only in B")
    listing = client_a.get(GROUPS).json()
    assert listing["totalResults"] == 1
    assert [g["id"] for g in listing["Resources"]] == [group_a["id"]]
    for text in (
        'displayName eq "Only in B"',
        f'id eq "{group_b["id"]}"',
        f'members.value eq "{user_b["id"]}"',
    ):
        assert client_a.get(GROUPS, {"filter": text}).json()["totalResults"] == 0
    search = client_a.post(
        f"{GROUPS}/.search", {"filter": f'id eq "{group_b["id"]}"'}, format="json"
    ).json()
    assert search["totalResults"] == 0


def test_users_groups_attribute_stays_in_the_tenant(two):
    client_a, _client_b, user_a, _ub, group_a, _gb = two
    body = client_a.get(f"/scim/v2/Users/{user_a['id']}").json()
    assert [g["value"] for g in body["groups"]] == [group_a["id"]]


def test_untenanted_token_sees_no_tenant_group(two, users_client):
    assert users_client.get(GROUPS).json()["totalResults"] == 0
    # The untenanted name does not collide with the tenants' prefixed host groups.
    created = create_group(users_client, "Engineering")
    assert host_group(created["id"]).name == "Engineering"
    assert Group.objects.count() == 3
