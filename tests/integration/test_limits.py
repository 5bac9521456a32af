"""Size and complexity limits: body size, JSON shape, filters, page size, PATCH ops, members."""

from __future__ import annotations

import io
import json

import pytest

from scim_provider.models import ScimGroup, ScimMembership, ScimUser
from scim_provider.parsers import MAX_JSON_DEPTH, ScimJSONParser
from scim_provider.protocol import errors
from tests.conftest import SCIM, assert_scim_error
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db

GROUPS = f"{SCIM}/Groups"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


# Body size ------------------------------------------------------------------------------


def test_declared_body_too_large_is_413_before_parsing(users_client, scim_config):
    scim_config(MAX_BODY_SIZE=1000)
    body = UserBodyFactory(displayName="x" * 2000)
    response = users_client.post(USERS, body, format="json")
    error = assert_scim_error(response, 413)
    assert "1000" in error["detail"]
    assert not ScimUser.objects.exists()


def test_body_at_the_limit_is_accepted(users_client, scim_config):
    body = json.dumps(UserBodyFactory())
    scim_config(MAX_BODY_SIZE=len(body.encode()))
    response = users_client.post(USERS, body, content_type="application/scim+json")
    assert response.status_code == 201


def test_actual_read_is_bounded_whatever_content_length_says(scim_config):
    """A body longer than its declared length (chunked, a lying proxy): the parser stops."""
    scim_config(MAX_BODY_SIZE=100)
    stream = io.BytesIO(b'{"a": "' + b"x" * 10_000 + b'"}')
    with pytest.raises(errors.PayloadTooLarge):
        ScimJSONParser().parse(stream, "application/scim+json", {})
    assert stream.tell() == 101  # read no further than needed to know


def test_advertised_in_service_provider_config(users_client, scim_config):
    scim_config(MAX_PAGE_SIZE=50)
    config = users_client.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["filter"]["maxResults"] == 50


# JSON shape -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "scim_type"),
    [
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), 400, "invalidSyntax"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalidSyntax"),
        (b'{"userName": "a\\u0000b"}', 400, "invalidValue"),
        (b'{"userName": "a\\ud800b"}', 400, "invalidValue"),
        (b'{"a": {"\\udfff": 1}}', 400, "invalidValue"),
        (b'{"userName": 1e999}', 400, "invalidSyntax"),
        (b'{"userName": NaN}', 400, "invalidSyntax"),
        (b'{"userName": ' + b"9" * 5000 + b"}", 400, "invalidSyntax"),
        (b'{"userName": "\xff\xfe"}', 400, "invalidSyntax"),
        (b"\xef\xbb\xbf{}", 400, "invalidValue"),  # BOM skipped; an empty user is invalid
    ],
    ids=[
        "deep",
        "very-deep",
        "nul",
        "lone-surrogate",
        "surrogate-key",
        "inf",
        "nan",
        "huge-int",
        "not-utf8",
        "bom",
    ],
)
def test_hostile_json(users_client, raw, status, scim_type):
    response = users_client.post(USERS, raw, content_type="application/scim+json")
    assert_scim_error(response, status, scim_type)
    assert not ScimUser.objects.exists()


def test_nesting_at_the_limit_parses():
    raw = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert ScimJSONParser().parse(io.BytesIO(raw.encode()), None, {}) == json.loads(raw)


# Filters, paging, PATCH -----------------------------------------------------------------


def test_filter_too_long(users_client, scim_config):
    scim_config(FILTER_MAX_LENGTH=30)
    ok = 'userName eq "a@example.com"'
    assert users_client.get(USERS, {"filter": ok}).status_code == 200
    response = users_client.get(USERS, {"filter": ok + " or userName pr"})
    assert "30" in assert_scim_error(response, 400, "invalidFilter")["detail"]
    search = users_client.post(
        f"{USERS}/.search", {"filter": ok + " or userName pr"}, format="json"
    )
    assert_scim_error(search, 400, "invalidFilter")


def test_filter_too_deep(users_client, scim_config):
    scim_config(FILTER_MAX_DEPTH=5)
    shallow = "(" * 2 + "userName pr" + ")" * 2
    assert users_client.get(USERS, {"filter": shallow}).status_code == 200
    deep = "(" * 10 + "userName pr" + ")" * 10
    assert_scim_error(users_client.get(USERS, {"filter": deep}), 400, "invalidFilter")
    chain = " or ".join(["userName pr"] * 20)
    assert_scim_error(users_client.get(USERS, {"filter": chain}), 400, "invalidFilter")


def test_default_filter_limits_hold_against_huge_input(users_client):
    huge = "(" * 100_000 + "userName pr" + ")" * 100_000
    assert_scim_error(users_client.get(USERS, {"filter": huge[:4096]}), 400, "invalidFilter")
    assert_scim_error(users_client.get(USERS, {"filter": huge}), 400, "invalidFilter")


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "a\x00b"',
        'userName eq "a\\u0000b"',
        'externalId eq "\\u0000"',
        'meta.lastModified gt "2020-13-45T00:00:00Z"',
    ],
    ids=["nul", "escaped-nul", "escaped-nul-exact", "impossible-date"],
)
def test_values_no_database_can_compare(users_client, text):
    """Found by fuzzing on PostgreSQL: these were 500s."""
    assert_scim_error(users_client.get(USERS, {"filter": text}), 400, "invalidFilter")


def test_count_is_clamped(users_client, create_user, scim_config):
    scim_config(MAX_PAGE_SIZE=2, DEFAULT_PAGE_SIZE=2)
    for _ in range(3):
        create_user()
    for count in ("3", "100000", str(10**30)):
        page = users_client.get(USERS, {"count": count}).json()
        assert (page["itemsPerPage"], page["totalResults"]) == (2, 3)


def test_too_many_patch_operations(users_client, create_user, scim_config):
    scim_config(MAX_PATCH_OPERATIONS=3)
    user = create_user()
    op = {"op": "replace", "path": "displayName", "value": "X"}
    assert users_client.patch(f"{USERS}/{user['id']}", patch_body(*[op] * 3), format="json")
    response = users_client.patch(f"{USERS}/{user['id']}", patch_body(*[op] * 4), format="json")
    assert_scim_error(response, 400, "invalidValue")
    assert "3" in response.json()["detail"]


# Members per request --------------------------------------------------------------------


@pytest.fixture
def members(create_user):
    return [{"value": create_user()["id"]} for _ in range(4)]


def group_body(name: str, members: list) -> dict:
    return {"schemas": [GROUP_URN], "displayName": name, "members": members}


def test_members_in_post_and_put(users_client, scim_config, members):
    scim_config(MAX_MEMBERS_PER_REQUEST=3)
    response = users_client.post(GROUPS, group_body("Big", members), format="json")
    error = assert_scim_error(response, 400, "invalidValue")
    assert "4 members" in error["detail"] and "MAX_MEMBERS_PER_REQUEST" in error["detail"]
    assert not ScimGroup.objects.exists()

    group = users_client.post(GROUPS, group_body("Small", members[:3]), format="json").json()
    response = users_client.put(
        f"{GROUPS}/{group['id']}", group_body("Small", members), format="json"
    )
    assert_scim_error(response, 400, "invalidValue")
    assert ScimMembership.objects.count() == 3


def test_members_summed_over_patch_operations(users_client, scim_config, members):
    scim_config(MAX_MEMBERS_PER_REQUEST=3)
    group = users_client.post(GROUPS, group_body("G", []), format="json").json()
    url = f"{GROUPS}/{group['id']}"
    too_many = [
        patch_body(
            {"op": "add", "path": "members", "value": members[:2]},
            {"op": "Add", "path": "members", "value": members[2:]},
        ),
        patch_body({"op": "replace", "value": {"members": members}}),
        patch_body(
            {"op": "add", "path": "members", "value": members[0]},
            {"op": "remove", "path": f'members[value eq "{members[0]["value"]}"]'},
            {"op": "add", "path": "members", "value": members[1:]},
        ),
    ]
    for body in too_many:
        assert_scim_error(users_client.patch(url, body, format="json"), 400, "invalidValue")
    assert not ScimMembership.objects.exists()
    ok = patch_body({"op": "add", "path": "members", "value": members[:3]})
    assert users_client.patch(url, ok, format="json").status_code in (200, 204)
    assert ScimMembership.objects.count() == 3


def test_members_limit_does_not_touch_users(users_client, scim_config):
    scim_config(MAX_MEMBERS_PER_REQUEST=1)
    body = UserBodyFactory(members=[{"value": "a"}, {"value": "b"}])
    assert users_client.post(USERS, body, format="json").status_code == 201


@pytest.mark.parametrize("path", ["/Nope/%0A", "/%0A", "/Users/x/%0Ay", "/Schemas/a%0Ab/c"])
def test_newline_in_an_unknown_path_is_a_scim_404(users_client, path):
    """Found by the fuzzer: ``.`` in the catch-all route did not match a newline."""
    assert_scim_error(users_client.get(f"{SCIM}{path}"), 404)


def test_escaped_surrogate_pairs_are_fine(users_client):
    raw = b'{"userName": "smile\\ud83d\\ude00@example.com"}'
    response = users_client.post(USERS, raw, content_type="application/scim+json")
    assert response.status_code == 201
    assert response.json()["userName"] == "smile\U0001f600@example.com"
