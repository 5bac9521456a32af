"""/Groups end to end: create, read, list, replace, delete (RFC 7644 §3.3-§3.6)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from scim_provider.models import ScimGroup, ScimMembership
from tests.conftest import SCIM_JSON, assert_scim_error
from tests.integration.group_helpers import (
    ADSCIM_URN,
    GROUP_URN,
    GROUPS,
    create_group,
    group_body,
    host_group,
    host_member_ids,
    member_ids,
    user_pks,
)

pytestmark = pytest.mark.django_db

ENTRA_CREATE = {
    "schemas": [GROUP_URN, ADSCIM_URN],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}


@pytest.fixture
def two_users(create_user):
    return create_user(), create_user()


def test_okta_push_without_members(users_client):
    response = users_client.post(GROUPS, group_body("Test SCIMv2"), format="json")
    assert response.status_code == 201, response.content
    assert response["Content-Type"].startswith(SCIM_JSON)
    body = response.json()
    assert response["Location"] == f"http://testserver{GROUPS}/{body['id']}"
    assert response["Location"] == body["meta"]["location"]
    assert response["ETag"] == body["meta"]["version"]
    assert body["schemas"] == [GROUP_URN]
    assert body["displayName"] == "Test SCIMv2"
    assert body["meta"]["resourceType"] == "Group"
    assert "members" not in body
    link = ScimGroup.objects.get(scim_id=body["id"])
    assert link.display_name_key == "test scimv2" and link.deleted_at is None
    assert host_group(body["id"]).name == "Test SCIMv2"


def test_okta_push_with_members(users_client, two_users):
    members = [{"value": u["id"], "display": u["userName"]} for u in two_users]
    body = create_group(users_client, "Engineering", members)
    assert sorted(m["value"] for m in body["members"]) == sorted(u["id"] for u in two_users)
    for member in body["members"]:
        assert member["type"] == "User"
        assert member["$ref"] == f"http://testserver/scim/v2/Users/{member['value']}"
        assert "display" not in member
    assert member_ids(body["id"]) == {u["id"] for u in two_users}
    assert host_member_ids(body["id"]) == user_pks(u["id"] for u in two_users)


@pytest.mark.parametrize(
    "bad", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"], ids=["junk", "unknown"]
)
def test_post_with_an_unknown_member_is_400_naming_it_and_writes_nothing(
    users_client, two_users, bad
):
    members = [two_users[0]["id"], bad]
    response = users_client.post(GROUPS, group_body("Eng", members), format="json")
    body = assert_scim_error(response, 400, "invalidValue")
    assert bad in body["detail"] and two_users[0]["id"] not in body["detail"]
    assert not ScimGroup.objects.exists()
    assert not ScimMembership.objects.exists()
    assert not Group.objects.exists()


def test_post_with_a_deleted_user_as_member_is_400(users_client, two_users):
    gone = two_users[1]["id"]
    assert users_client.delete(f"/scim/v2/Users/{gone}").status_code == 204
    body = assert_scim_error(
        users_client.post(GROUPS, group_body("Eng", [gone]), format="json"), 400, "invalidValue"
    )
    assert gone in body["detail"]


def test_entra_create_with_the_adscim_schema_and_meta(users_client):
    response = users_client.post(GROUPS, ENTRA_CREATE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["schemas"] == [GROUP_URN]
    assert body["externalId"] == ENTRA_CREATE["externalId"]
    assert body["displayName"] == "displayName"
    assert ScimGroup.objects.get(scim_id=body["id"]).external_id == ENTRA_CREATE["externalId"]


def test_post_ignores_a_client_chosen_id(users_client):
    body = create_group(users_client, "Eng", id="11111111-1111-1111-1111-111111111111")
    assert body["id"] != "11111111-1111-1111-1111-111111111111"


def test_post_without_display_name_is_400(users_client):
    response = users_client.post(GROUPS, {"schemas": [GROUP_URN], "members": []}, format="json")
    assert_scim_error(response, 400, "invalidValue")
    assert not ScimGroup.objects.exists()


@pytest.mark.parametrize("second", ["Engineering", "ENGINEERING", "engineering"])
def test_display_name_is_unique_case_insensitively(users_client, second):
    create_group(users_client, "Engineering")
    response = users_client.post(GROUPS, group_body(second), format="json")
    assert_scim_error(response, 409, "uniqueness")
    assert ScimGroup.objects.count() == 1 and Group.objects.count() == 1


def test_get_returns_the_group_with_etag(users_client, two_users):
    created = create_group(users_client, "Eng", [two_users[0]["id"]])
    response = users_client.get(f"{GROUPS}/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
    assert response["ETag"] == created["meta"]["version"]
    not_modified = users_client.get(
        f"{GROUPS}/{created['id']}", HTTP_IF_NONE_MATCH=response["ETag"]
    )
    assert not_modified.status_code == 304


def test_get_with_excluded_members_and_with_attributes(users_client, two_users):
    created = create_group(users_client, "Eng", [u["id"] for u in two_users])
    url = f"{GROUPS}/{created['id']}"
    body = users_client.get(url, {"excludedAttributes": "members"}).json()
    assert "members" not in body and body["displayName"] == "Eng" and body["id"]
    body = users_client.get(url, {"attributes": "displayName"}).json()
    assert "members" not in body and body["displayName"] == "Eng"
    body = users_client.get(url, {"attributes": "members"}).json()
    assert len(body["members"]) == 2 and "displayName" not in body


@pytest.mark.parametrize("gid", ["00000000-0000-0000-0000-000000000000", "nope"])
def test_unknown_group_is_404_on_every_method(users_client, gid):
    url = f"{GROUPS}/{gid}"
    assert_scim_error(users_client.get(url), 404)
    assert_scim_error(users_client.put(url, group_body("X"), format="json"), 404)
    assert_scim_error(
        users_client.patch(url, {"Operations": [{"op": "add", "value": {}}]}, format="json"), 404
    )
    assert_scim_error(users_client.delete(url), 404)


def test_list_pages_in_creation_order(users_client):
    created = [create_group(users_client, f"Group {n}") for n in range(5)]
    page = users_client.get(GROUPS, {"startIndex": 2, "count": 2}).json()
    assert page["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [g["id"] for g in page["Resources"]] == [created[1]["id"], created[2]["id"]]
    everything = users_client.get(GROUPS, {"startIndex": 1, "count": 100}).json()
    assert [g["id"] for g in everything["Resources"]] == [g["id"] for g in created]


def test_list_with_members_and_without(users_client, two_users):
    create_group(users_client, "With", [u["id"] for u in two_users])
    create_group(users_client, "Empty")
    listed = users_client.get(GROUPS).json()["Resources"]
    assert [len(g.get("members", [])) for g in listed] == [2, 0]
    listed = users_client.get(GROUPS, {"excludedAttributes": "members"}).json()["Resources"]
    assert all("members" not in g for g in listed)
    assert [g["displayName"] for g in listed] == ["With", "Empty"]


def test_search_endpoint(users_client):
    create_group(users_client, "Alpha")
    beta = create_group(users_client, "Beta")
    response = users_client.post(
        f"{GROUPS}/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'displayName eq "beta"',
            "excludedAttributes": ["members"],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totalResults"] == 1 and body["Resources"][0]["id"] == beta["id"]


def test_put_replaces_name_and_members(users_client, create_user):
    a, b, c = create_user(), create_user(), create_user()
    created = create_group(users_client, "Old", [a["id"], b["id"]])
    url = f"{GROUPS}/{created['id']}"
    response = users_client.put(
        url,
        {
            "schemas": [GROUP_URN],
            "id": "22222222-2222-2222-2222-222222222222",
            "displayName": "New",
            "members": [{"value": b["id"], "display": b["userName"]}, {"value": c["id"]}],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == created["id"] and body["displayName"] == "New"
    assert {m["value"] for m in body["members"]} == {b["id"], c["id"]}
    assert body["meta"]["version"] != created["meta"]["version"]
    assert member_ids(created["id"]) == {b["id"], c["id"]}
    assert host_group(created["id"]).name == "New"
    assert host_member_ids(created["id"]) == user_pks([b["id"], c["id"]])


def test_put_without_members_empties_the_group(users_client, two_users):
    created = create_group(users_client, "Eng", [u["id"] for u in two_users])
    response = users_client.put(
        f"{GROUPS}/{created['id']}", {"schemas": [GROUP_URN], "displayName": "Eng"}, format="json"
    )
    assert response.status_code == 200
    assert "members" not in response.json()
    assert member_ids(created["id"]) == set()
    assert host_member_ids(created["id"]) == set()


def test_put_to_a_taken_name_is_409_and_changes_nothing(users_client, two_users):
    create_group(users_client, "Taken")
    mine = create_group(users_client, "Mine", [two_users[0]["id"]])
    response = users_client.put(
        f"{GROUPS}/{mine['id']}",
        group_body("TAKEN", [two_users[1]["id"]]),
        format="json",
    )
    assert_scim_error(response, 409, "uniqueness")
    assert users_client.get(f"{GROUPS}/{mine['id']}").json() == mine
    assert host_group(mine["id"]).name == "Mine"
    assert host_member_ids(mine["id"]) == user_pks([two_users[0]["id"]])


def test_put_with_if_match(users_client):
    created = create_group(users_client, "Eng")
    url = f"{GROUPS}/{created['id']}"
    stale = users_client.put(url, group_body("X"), format="json", HTTP_IF_MATCH='W/"999"')
    assert_scim_error(stale, 412)
    fresh = users_client.put(
        url, group_body("X"), format="json", HTTP_IF_MATCH=created["meta"]["version"]
    )
    assert fresh.status_code == 200 and fresh.json()["displayName"] == "X"


def test_okta_delete_with_content_type_and_no_body(users_client):
    created = create_group(users_client, "Eng")
    response = users_client.delete(
        f"{GROUPS}/{created['id']}", content_type="application/scim+json"
    )
    assert response.status_code == 204 and response.content == b""
    assert_scim_error(users_client.get(f"{GROUPS}/{created['id']}"), 404)
    assert_scim_error(users_client.delete(f"{GROUPS}/{created['id']}"), 404)
