"""GET /Users?filter=...: every filter family the identity providers send."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote, quote_plus

import pytest
from django.utils import timezone

from scim_provider.models import ScimUser
from tests.conftest import assert_scim_error
from tests.factories import ENTERPRISE_URN, patch_body
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(create_user):
    """Three users: Jane (work email, Engineering), John (inactive), Ann (no work email)."""
    jane = create_user(
        userName="jane.doe@example.com",
        externalId="Ext-Jane",
        title="Engineer",
        emails=[{"value": "Jane.Doe@Example.com", "type": "work", "primary": True}],
        **{ENTERPRISE_URN: {"department": "Engineering", "employeeNumber": "701984"}},
    )
    john = create_user(
        userName="john.smith@example.com",
        externalId="ext-john",
        title="Manager",
        active=False,
        emails=[{"value": "john.smith@example.com", "type": "work", "primary": True}],
        **{ENTERPRISE_URN: {"department": "Sales"}},
    )
    ann = create_user(
        userName="ann@corp.example.org",
        externalId="ext-ann",
        emails=[{"value": "ann@home.example.org", "type": "home"}],
    )
    return {"jane": jane, "john": john, "ann": ann}


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totalResults"] == len(body["Resources"])
    return {resource["id"] for resource in body["Resources"]}


def search(client, text: str):
    return client.get(USERS, {"filter": text})


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ('userName eq "jane.doe@example.com"', {"jane"}),
        ('userName eq "JANE.DOE@EXAMPLE.COM"', {"jane"}),  # Okta SPEC: capitals
        ('USERNAME EQ "Jane.Doe@example.com"', {"jane"}),
        ('externalId eq "Ext-Jane"', {"jane"}),
        ('externalId eq "ext-jane"', set()),  # caseExact
        ('emails eq "jane.doe@example.com"', {"jane"}),
        ('emails.value eq "JANE.DOE@example.com"', {"jane"}),
        ('emails[type eq "work"].value eq "john.smith@example.com"', {"john"}),
        ('emails[type eq "work" and value eq "jane.doe@example.com"]', {"jane"}),
        ('userName eq "jane.doe@example.com" and active eq true', {"jane"}),
        ('userName eq "jane.doe@example.com" or externalId eq "ext-ann"', {"jane", "ann"}),
        ('not (userName eq "jane.doe@example.com")', {"john", "ann"}),
        ('userName co "SMITH"', {"john"}),
        ('userName sw "ann@"', {"ann"}),
        ('userName ew "@example.com"', {"jane", "john"}),
        ("active eq false", {"john"}),
        ('active eq "false"', {"john"}),
        ("active eq true", {"jane", "ann"}),
        ('title eq "engineer"', {"jane"}),
        ('title co "nag"', {"john"}),
        ("title pr", {"jane", "john"}),
        (f'{ENTERPRISE_URN}:department eq "Engineering"', {"jane"}),
        (f'{ENTERPRISE_URN}:employeeNumber eq "701984"', {"jane"}),
        ('userName eq "nobody@example.com"', set()),
        ('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', set()),  # Entra probe
        ('id eq "00919288221112222"', set()),
    ],
)
def test_filter(users_client, people, text, who):
    assert ids(search(users_client, text)) == {people[name]["id"] for name in who}


def test_filter_by_id(users_client, people):
    jane = people["jane"]["id"]
    assert ids(search(users_client, f'id eq "{jane}"')) == {jane}
    assert ids(search(users_client, f'id eq "{jane.upper()}"')) == {jane}


def test_entra_manager_pre_check(users_client, people):
    jane, john = people["jane"]["id"], people["john"]["id"]
    response = users_client.patch(
        f"{USERS}/{jane}",
        patch_body({"op": "Add", "path": f"{ENTERPRISE_URN}:manager", "value": john}),
        format="json",
    )
    assert response.status_code == 200, response.content
    text = f'id eq "{jane}" and {ENTERPRISE_URN}:manager.value eq "{john}"'
    assert ids(search(users_client, text)) == {jane}


@pytest.mark.parametrize("encode", [quote, quote_plus])
def test_okta_query_string_encodings(users_client, people, encode):
    text = encode('userName eq "JANE.DOE@example.com"', safe="")
    response = users_client.get(f"{USERS}?filter={text}&startIndex=1&count=100")
    assert ids(response) == {people["jane"]["id"]}


def test_empty_result_is_a_full_list_response(users_client, people):
    response = search(users_client, 'userName eq "Test_User_00aa00aa-bb11-cc22"')
    assert response.status_code == 200
    assert response.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_deactivated_users_stay_visible_to_filters(users_client, people):
    john = people["john"]
    found = search(users_client, 'userName eq "john.smith@example.com"').json()["Resources"]
    assert [user["id"] for user in found] == [john["id"]]
    assert found[0]["active"] is False


def test_meta_last_modified(users_client, people):
    past = (timezone.now() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    ScimUser.objects.filter(scim_id=people["ann"]["id"]).update(
        updated_at=timezone.now() - timedelta(days=2)
    )
    assert ids(search(users_client, f'meta.lastModified gt "{past}"')) == {
        people["jane"]["id"],
        people["john"]["id"],
    }
    assert ids(search(users_client, f'meta.created lt "{past}"')) == set()


@pytest.mark.parametrize(
    "text",
    [
        'name eq "x"',  # complex: compare a sub-attribute
        'noSuchAttribute eq "x"',
        'urn:ietf:params:scim:schemas:extension:acme:2.0:User:role eq "x"',
        'password eq "secret"',
        'groups.$ref eq "x"',  # a URL built per request: not stored
        'emails[display eq "x"].primary eq "x"',  # a string for a boolean
        'userName eq "x" and name.honorificPrefix.value eq "x"',
    ],
)
def test_unfilterable_attribute_is_400_invalid_filter(users_client, people, text):
    assert_scim_error(search(users_client, text), 400, "invalidFilter")


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "unterminated',
        "userName eq",
        'userName zz "x"',
        'userName eq "x" and',
        '(userName eq "x"',
        'emails[type eq "work"',
        'active eq "maybe"',
        'meta.lastModified gt "yesterday"',
        "",
    ],
)
def test_syntax_error_is_400_invalid_filter(users_client, people, text):
    assert_scim_error(search(users_client, text), 400, "invalidFilter")


def test_sort_by_and_order(users_client, people):
    ascending = users_client.get(USERS, {"sortBy": "userName"}).json()["Resources"]
    assert [u["userName"] for u in ascending] == sorted(u["userName"] for u in ascending)
    descending = users_client.get(USERS, {"sortBy": "userName", "sortOrder": "descending"}).json()[
        "Resources"
    ]
    assert [u["id"] for u in descending] == [u["id"] for u in reversed(ascending)]
    by_title = users_client.get(USERS, {"sortBy": "title"})
    assert by_title.status_code == 200
    assert_scim_error(users_client.get(USERS, {"sortBy": "noSuchThing"}), 400, "invalidValue")


def test_attributes_and_excluded_attributes(users_client, people):
    response = users_client.get(USERS, {"attributes": "userName,emails", "count": 1})
    resource = response.json()["Resources"][0]
    assert set(resource) == {"schemas", "id", "userName", "emails"}
    response = users_client.get(USERS, {"excludedAttributes": "emails,name,meta", "count": 1})
    resource = response.json()["Resources"][0]
    assert "emails" not in resource and "name" not in resource and "meta" not in resource
    assert resource["userName"] and resource["id"]
    detail = users_client.get(
        f"{USERS}/{people['jane']['id']}",
        {"attributes": f"{ENTERPRISE_URN}:department,name.givenName"},
    ).json()
    assert detail[ENTERPRISE_URN] == {"department": "Engineering"}
    assert detail["name"] == {"givenName": "Test"}
