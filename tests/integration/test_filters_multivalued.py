"""Filters on multi-valued attributes (RFC 7644 §3.4.2.2): a resource matches when any of
its values does; nothing is dropped; ``sortBy`` on them; ``attributes=`` names."""

from __future__ import annotations

import pytest

from scim_provider import registry
from scim_provider.models import ScimValue
from tests.conftest import assert_scim_error
from tests.factories import ENTERPRISE_URN, patch_body
from tests.integration.conftest import USERS
from tests.integration.group_helpers import GROUPS, create_group

pytestmark = pytest.mark.django_db

BADGES = "urn:ietf:params:scim:schemas:extension:acme:2.0:User:badges"


@pytest.fixture
def mv(create_user):
    """The issue's users: ``mv`` with two emails (primary work, home), ``bare`` with none."""
    mv = create_user(
        userName="mv",
        name={"givenName": "Multi", "familyName": "Employee"},
        emails=[
            {"value": "mv@primary.example", "type": "work", "primary": True},
            {"value": "mv@secondary.example", "type": "home"},
        ],
        phoneNumbers=[{"value": "+1 555 0100", "type": "Mobile"}],
        addresses=[{"locality": "Paris", "country": "FR", "type": "work"}],
        roles=[{"value": "Admin", "primary": True}, {"value": "auditor", "display": "Audit"}],
    )
    bare = create_user(userName="bare", emails=[], name={"familyName": "Employee"})
    return {"mv": mv, "bare": bare}


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totalResults"] == len(body["Resources"])  # no duplicate rows
    return {resource["id"] for resource in body["Resources"]}


def found(client, text: str) -> set[str]:
    return ids(client.get(USERS, {"filter": text}))


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ('emails.value eq "mv@secondary.example"', 1),
        ('emails.value co "secondary.example"', 1),
        ('emails co "secondary.example"', 1),
        ('emails[type eq "home" and value co "secondary"]', 1),
        (
            'name.familyName eq "Employee" and '
            '(emails.value co "secondary.example" or emails.value co "nowhere.example")',
            1,
        ),
        ('emails.type eq "nonsense"', 0),
        ('emails[type eq "nonsense"]', 0),
        ("emails.primary eq false", 0),
    ],
)
def test_the_issue_table(users_client, mv, text, count):
    assert len(found(users_client, text)) == count


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ('emails.value eq "MV@Primary.Example"', {"mv"}),
        ('emails[type eq "work"].value eq "mv@primary.example"', {"mv"}),  # Entra
        ('emails[type eq "work"].value eq "mv@secondary.example"', set()),  # not the same one
        ('emails[type eq "home" and value eq "mv@primary.example"]', set()),
        ('emails[type eq "home" or primary eq true]', {"mv"}),
        ('emails[not (type eq "work")]', {"mv"}),
        ("emails.primary eq true", {"mv"}),
        ("emails pr", {"mv"}),
        ("not (emails pr)", {"bare"}),
        ("emails.value eq null", {"bare"}),
        ("emails.display pr", set()),
        ('emails.value ne "mv@secondary.example"', {"bare"}),  # no value equals it
        ('emails[value ne "mv@secondary.example"]', {"mv"}),  # one value differs
        ('not (emails.value eq "mv@primary.example")', {"bare"}),
        ('emails.value sw "MV@"', {"mv"}),
        ('emails.value ew ".EXAMPLE"', {"mv"}),
        ('emails.value gt "mv@r"', {"mv"}),
        ('emails.value lt "mv@q"', {"mv"}),
        ('emails.value lt "a"', set()),
        ('phoneNumbers.value co "555"', {"mv"}),
        ('phoneNumbers[type eq "mobile"]', {"mv"}),
        ('addresses.locality eq "paris"', {"mv"}),
        ('addresses[type eq "work" and country eq "FR"]', {"mv"}),
        ("addresses pr", {"mv"}),
        ('roles.value eq "admin"', {"mv"}),
        ('roles[primary eq true and value eq "Admin"]', {"mv"}),
        ('roles[primary eq true and value eq "auditor"]', set()),
        ('roles.display eq "AUDIT"', {"mv"}),
        ("entitlements pr", set()),
        ("not (entitlements pr)", {"mv", "bare"}),
    ],
)
def test_any_value_matches(users_client, mv, text, who):
    assert found(users_client, text) == {mv[name]["id"] for name in who}


def test_emails_follow_every_write(users_client, mv):
    url = f"{USERS}/{mv['mv']['id']}"
    mv_id = mv["mv"]["id"]
    patched = users_client.patch(
        url,
        patch_body(
            {"op": "replace", "path": 'emails[type eq "home"].value', "value": "mv@third.example"}
        ),
        format="json",
    )
    assert patched.status_code == 200, patched.content
    assert found(users_client, 'emails.value eq "mv@secondary.example"') == set()
    assert found(users_client, 'emails.value eq "mv@third.example"') == {mv_id}
    body = {**patched.json(), "emails": [{"value": "only@example.com", "primary": True}]}
    assert users_client.put(url, body, format="json").status_code == 200
    assert found(users_client, 'emails.value co "example"') == {mv_id}
    assert found(users_client, 'emails.value eq "mv@primary.example"') == set()
    # A write that leaves the emails alone leaves their rows alone.
    before = list(ScimValue.objects.filter(user__scim_id=mv_id).values_list("pk", flat=True))
    users_client.patch(url, patch_body({"op": "replace", "path": "title", "value": "X"}))
    after = list(ScimValue.objects.filter(user__scim_id=mv_id).values_list("pk", flat=True))
    assert before == after


def test_deleted_and_revived_users(users_client, mv, scim_config):
    scim_config(RELINK_DELETED_USERS=True)
    mv_id = mv["mv"]["id"]
    assert users_client.delete(f"{USERS}/{mv_id}").status_code == 204
    assert found(users_client, 'emails.value eq "mv@secondary.example"') == set()
    revived = users_client.post(
        USERS,
        {"userName": "mv", "emails": [{"value": "back@example.com", "type": "work"}]},
        format="json",
    )
    assert revived.status_code == 201, revived.content
    assert revived.json()["id"] == mv_id
    assert found(users_client, 'emails.value eq "mv@secondary.example"') == set()
    assert found(users_client, 'emails[type eq "work"].value eq "back@example.com"') == {mv_id}


def test_case_folding_and_long_values(users_client, create_user):
    long_a = "a" * 300 + "@example.com"
    long_b = "a" * 300 + "@example.org"  # the same indexed prefix
    straße = create_user(userName="s", emails=[{"value": "Straße@example.com"}])
    # Not primary: a primary email is also the host's (254 characters at most).
    a = create_user(userName="la", emails=[{"value": "la@x", "primary": True}, {"value": long_a}])
    b = create_user(userName="lb", emails=[{"value": "lb@x", "primary": True}, {"value": long_b}])
    assert found(users_client, 'emails.value eq "STRASSE@EXAMPLE.COM"') == {straße["id"]}
    assert found(users_client, f'emails.value eq "{long_a.upper()}"') == {a["id"]}
    assert found(users_client, f'emails.value eq "{long_b}"') == {b["id"]}
    assert found(users_client, f'emails.value sw "{"A" * 290}"') == {a["id"], b["id"]}


def test_registered_multi_valued_extension_attribute(users_client, create_user):
    registry.register(BADGES, multi_valued=True)
    try:
        gold = create_user(userName="gold", **{BADGES.rsplit(":", 1)[0]: {"badges": ["Gold"]}})
        create_user(userName="none")
        assert found(users_client, f'{BADGES} eq "gold"') == {gold["id"]}
        assert found(users_client, f"{BADGES} pr") == {gold["id"]}
        assert_scim_error(
            users_client.get(USERS, {"filter": f'{BADGES}[value eq "gold"]'}), 400, "invalidFilter"
        )
    finally:
        registry.unregister(BADGES)


def test_users_groups_skip_deleted_groups(users_client, mv):
    mv_id = mv["mv"]["id"]
    live = create_group(users_client, "Live", [mv_id])
    gone = create_group(users_client, "Gone", [mv_id])
    assert users_client.delete(f"{GROUPS}/{gone['id']}").status_code == 204
    assert found(users_client, f'groups.value eq "{live["id"]}"') == {mv_id}
    assert found(users_client, f'groups.value eq "{gone["id"]}"') == set()
    assert found(users_client, 'groups.display eq "gone"') == set()
    assert found(users_client, 'groups[display eq "LIVE" and type eq "direct"]') == {mv_id}
    assert found(users_client, 'groups.type eq "indirect"') == set()
    assert found(users_client, "groups pr") == {mv_id}


def test_groups_members_skip_deleted_users(users_client, mv):
    mv_id, bare_id = mv["mv"]["id"], mv["bare"]["id"]
    group = create_group(users_client, "Team", [mv_id, bare_id])
    create_group(users_client, "Solo", [bare_id])
    assert users_client.delete(f"{USERS}/{mv_id}").status_code == 204

    def names(text):
        response = users_client.get(GROUPS, {"filter": text})
        assert response.status_code == 200, response.content
        return {g["displayName"] for g in response.json()["Resources"]}

    assert names(f'members.value eq "{mv_id}"') == set()
    assert names(f'members[value eq "{bare_id}" and type eq "User"]') == {"Team", "Solo"}
    assert names('members.type eq "Group"') == set()
    assert group["id"]
    assert_scim_error(
        users_client.get(GROUPS, {"filter": 'members.display eq "x"'}), 400, "invalidFilter"
    )


@pytest.mark.parametrize(
    "text",
    [
        'emails[type eq "work"].nosuch eq "x"',
        'emails[nosuch eq "x"]',
        'emails[value eq "x"].value.x eq "y"',
        'groups.$ref eq "x"',
        'emails.primary co "t"',  # a boolean has no substrings
        'name[givenName eq "x"] and emails[x.y eq "z"]',
        'addresses eq "x"',  # complex, without a value sub-attribute
    ],
)
def test_what_cannot_be_evaluated_is_400(users_client, mv, text):
    body = assert_scim_error(users_client.get(USERS, {"filter": text}), 400, "invalidFilter")
    assert body["detail"]


def test_sort_by_a_multi_valued_attribute(users_client, mv, create_user):
    """RFC 7644 §3.4.2.3: by the primary value, else the first; no value sorts last."""
    first = create_user(userName="first", emails=[{"value": "b@x.example"}, {"value": "z@x"}])
    other = create_user(
        userName="other",
        emails=[{"value": "a@x.example"}, {"value": "c@x.example", "primary": True}],
    )

    def order(**params):
        response = users_client.get(USERS, {"sortBy": "emails.value", **params})
        body = response.json()
        assert response.status_code == 200 and body["totalResults"] == 4
        return [user["userName"] for user in body["Resources"]]

    assert order() == ["first", "other", "mv", "bare"]
    assert order(sortOrder="descending") == ["bare", "mv", "other", "first"]
    assert order(count=2) == ["first", "other"]
    assert first["id"] and other["id"]
    group = create_group(users_client, "G", [mv["mv"]["id"]])
    response = users_client.get(GROUPS, {"sortBy": "members.value"})
    assert [g["id"] for g in response.json()["Resources"]] == [group["id"]]
    for unsortable in ("groups.$ref", "groups.type", "password"):
        response = users_client.get(USERS, {"sortBy": unsortable})
        assert_scim_error(response, 400, "invalidValue")
    by_type = users_client.get(USERS, {"sortBy": "emails.type", "sortOrder": "descending"})
    assert by_type.json()["Resources"][0]["userName"] == "bare"  # no value: first


@pytest.mark.parametrize(
    "value",
    ['emails[type eq "work"]', "name..givenName", "name.givenName.x", "user name", '"userName"'],
)
def test_malformed_attribute_names_are_400(users_client, mv, value):
    for parameter in ("attributes", "excludedAttributes"):
        response = users_client.get(USERS, {parameter: value})
        body = assert_scim_error(response, 400, "invalidValue")
        assert parameter in body["detail"]
        response = users_client.get(f"{USERS}/{mv['mv']['id']}", {parameter: value})
        assert_scim_error(response, 400, "invalidValue")


def test_unknown_attribute_names_are_ignored(users_client, mv):
    response = users_client.get(
        USERS, {"attributes": f"userName,noSuchThing,name.nope,{ENTERPRISE_URN}:nope"}
    )
    assert response.status_code == 200
    assert set(response.json()["Resources"][0]) == {"schemas", "id", "userName"}


def test_email_lookup_is_one_query(users_client, mv, django_assert_max_num_queries):
    text = 'emails.value eq "mv@secondary.example"'
    users_client.get(USERS, {"filter": text, "startIndex": 1, "count": 100})
    with django_assert_max_num_queries(2):  # token, page (and groups); no count: one page
        response = users_client.get(USERS, {"filter": text, "startIndex": 1, "count": 100})
    assert response.json()["totalResults"] == 1
