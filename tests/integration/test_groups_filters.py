"""Filtering groups (RFC 7644 §3.4.2.2): the identity providers' lookups and member filters."""

from __future__ import annotations

import pytest

from tests.conftest import assert_scim_error
from tests.integration.group_helpers import GROUPS, create_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users_client, create_user):
    """Three groups: ``Test SCIMv2`` {a, b}, ``Sales`` {b}, ``Empty`` {}, and a deleted one."""
    a, b, c = create_user(), create_user(), create_user()
    scim = create_group(users_client, "Test SCIMv2", [a["id"], b["id"]], externalId="ext-Okta")
    sales = create_group(users_client, "Sales", [b["id"]], externalId="ext-sales")
    empty = create_group(users_client, "Empty")
    gone = create_group(users_client, "Gone", [a["id"]], externalId="ext-gone")
    assert users_client.delete(f"{GROUPS}/{gone['id']}").status_code == 204
    return {"a": a, "b": b, "c": c, "scim": scim, "sales": sales, "empty": empty, "gone": gone}


def found(client, text: str, **params) -> list[str]:
    response = client.get(GROUPS, {"filter": text, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["itemsPerPage"] == len(body["Resources"])
    return [g["displayName"] for g in body["Resources"]]


def test_okta_exists_check_is_case_insensitive(users_client, world):
    # Exactly what Okta sends: %20-encoded filter, startIndex and count.
    response = users_client.get(
        f"{GROUPS}?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100"
    )
    assert response.status_code == 200
    assert [g["id"] for g in response.json()["Resources"]] == [world["scim"]["id"]]
    assert found(users_client, 'displayName eq "test scimv2"') == ["Test SCIMv2"]
    assert found(users_client, 'displayName eq "TEST SCIMV2"') == ["Test SCIMv2"]


def test_deleted_groups_never_match(users_client, world):
    assert found(users_client, 'displayName eq "Gone"') == []
    assert found(users_client, 'externalId eq "ext-gone"') == []
    assert found(users_client, f'id eq "{world["gone"]["id"]}"') == []


def test_external_id_is_case_exact(users_client, world):
    assert found(users_client, 'externalId eq "ext-Okta"') == ["Test SCIMv2"]
    assert found(users_client, 'externalId eq "ext-okta"') == []


def test_id(users_client, world):
    assert found(users_client, f'id eq "{world["sales"]["id"]}"') == ["Sales"]
    assert found(users_client, 'id eq "not-a-uuid"') == []


def test_members_value(users_client, world):
    assert found(users_client, f'members.value eq "{world["b"]["id"]}"') == ["Test SCIMv2", "Sales"]
    assert found(users_client, f'members.value eq "{world["a"]["id"]}"') == ["Test SCIMv2"]
    assert found(users_client, f'members[value eq "{world["b"]["id"]}"]') == [
        "Test SCIMv2",
        "Sales",
    ]
    assert found(users_client, f'members.value eq "{world["c"]["id"]}"') == []


def test_or_over_members_has_no_duplicate_rows(users_client, world):
    a, b = world["a"]["id"], world["b"]["id"]
    text = f'members.value eq "{a}" or members.value eq "{b}"'
    assert found(users_client, text) == ["Test SCIMv2", "Sales"]
    assert found(users_client, text, count=1) == ["Test SCIMv2"]
    assert users_client.get(GROUPS, {"filter": text, "count": 1}).json()["totalResults"] == 2


def test_not_over_members(users_client, world):
    b = world["b"]["id"]
    assert found(users_client, f'not (members.value eq "{b}")') == ["Empty"]
    a = world["a"]["id"]
    assert found(users_client, f'not (members.value eq "{a}")') == ["Sales", "Empty"]


def test_members_present(users_client, world):
    assert found(users_client, "members pr") == ["Test SCIMv2", "Sales"]
    assert found(users_client, "not (members pr)") == ["Empty"]


def test_and_of_name_and_member(users_client, world):
    b = world["b"]["id"]
    assert found(users_client, f'displayName sw "s" and members.value eq "{b}"') == ["Sales"]


def test_display_name_operators(users_client, world):
    assert found(users_client, 'displayName co "scim"') == ["Test SCIMv2"]
    assert found(users_client, 'displayName sw "EMP"') == ["Empty"]
    assert found(users_client, 'displayName ne "Sales"') == ["Test SCIMv2", "Empty"]


def test_sort_by_display_name(users_client, world):
    names = [
        g["displayName"]
        for g in users_client.get(GROUPS, {"sortBy": "displayName"}).json()["Resources"]
    ]
    assert names == ["Empty", "Sales", "Test SCIMv2"]


def test_filter_with_excluded_members(users_client, world):
    body = users_client.get(
        GROUPS, {"filter": 'displayName eq "sales"', "excludedAttributes": "members"}
    ).json()
    assert body["totalResults"] == 1 and "members" not in body["Resources"][0]


@pytest.mark.parametrize(
    "text", ["displayName eq", 'nosuch eq "x"', 'displayName xx "a"', "displayName eq true"]
)
def test_invalid_filters_are_400(users_client, world, text):
    assert_scim_error(users_client.get(GROUPS, {"filter": text}), 400, "invalidFilter")
