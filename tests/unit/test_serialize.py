"""Resources and lists on the wire (RFC 7644 §3.4.2, §3.4.2.5)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from scim_provider.protocol.schemas import (
    ENTERPRISE_USER_URN,
    GROUP_URN,
    USER_URN,
    Attribute,
    Schema,
    group_resource_type,
    user_resource_type,
)
from scim_provider.protocol.serialize import (
    etag,
    format_datetime,
    list_response,
    select_attributes,
    serialize,
)

ACME_URN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
ACME_SCHEMA = Schema(
    ACME_URN,
    "AcmeUser",
    attributes=(Attribute("badge"), Attribute("secretQuestion", returned="request"),
                Attribute("pin", returned="never"), Attribute("tenant", returned="always")),
)  # fmt: skip
USERS = user_resource_type([ACME_SCHEMA])
GROUPS = group_resource_type()
CREATED = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
MODIFIED = datetime(2024, 1, 2, 8, 30, 15, tzinfo=UTC)
LOCATION = "https://example.com/scim/v2/Users/2819c223"

USER = {
    "userName": "bjensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "displayName": "Babs",
    "active": False,
    "password": "s3cret",
    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
    "externalId": "00ujl29u0le5T6Aj10h7",
    ENTERPRISE_USER_URN: {"employeeNumber": "701984", "manager": {"value": "m1"}},
    ACME_URN: {"badge": "B-1", "secretQuestion": "pet?", "pin": "1234", "tenant": "t1"},
}
GROUP = {
    "displayName": "Tour Guides",
    "members": [{"value": "2819c223", "display": "bjensen", "type": "User"}],
}


def user_document(**kwargs):
    return serialize(USER, USERS, id="2819c223", location=LOCATION, created=CREATED,
                     last_modified=MODIFIED, **kwargs)  # fmt: skip


def test_serialize_full_user():
    document = user_document(version="3")
    assert json.loads(json.dumps(document)) == document
    assert document == {
        "schemas": [USER_URN, ENTERPRISE_USER_URN, ACME_URN],
        "id": "2819c223",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "userName": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs",
        "active": False,
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}],
        ENTERPRISE_USER_URN: {"employeeNumber": "701984", "manager": {"value": "m1"}},
        ACME_URN: {"badge": "B-1", "tenant": "t1"},
        "meta": {
            "resourceType": "User",
            "created": "2024-01-01T12:00:00Z",
            "lastModified": "2024-01-02T08:30:15Z",
            "location": LOCATION,
            "version": 'W/"3"',
        },
    }
    assert list(document)[:3] == ["schemas", "id", "externalId"]
    assert list(document)[-1] == "meta"


def test_serialize_minimal_user_lists_only_the_core_schema():
    document = serialize({"userName": "bjensen", ENTERPRISE_USER_URN: {}}, USERS, id="1",
                         location=LOCATION, created=CREATED, last_modified=CREATED)  # fmt: skip
    assert document == {
        "schemas": [USER_URN],
        "id": "1",
        "userName": "bjensen",
        "meta": {"resourceType": "User", "created": "2024-01-01T12:00:00Z",
                 "lastModified": "2024-01-01T12:00:00Z", "location": LOCATION},
    }  # fmt: skip


def test_serialize_does_not_share_or_mutate_the_resource():
    before = copy.deepcopy(USER)
    document = user_document()
    document["emails"][0]["value"] = "changed"
    document["name"]["givenName"] = "changed"
    assert before == USER


def test_serialize_ignores_unknown_and_caller_owned_keys():
    resource = {"userName": "bjensen", "id": "wrong", "meta": {"x": 1}, "schemas": ["x"],
                "nope": 1, "urn:other:2.0:User": {"a": 1}}  # fmt: skip
    document = serialize(resource, USERS, id="1", location=LOCATION, created=CREATED,
                         last_modified=CREATED)  # fmt: skip
    assert list(document) == ["schemas", "id", "userName", "meta"]
    assert document["id"] == "1"
    assert document["schemas"] == [USER_URN]


@pytest.mark.parametrize(
    ("attributes", "excluded", "expected"),
    [
        # RFC 7644 §3.9's example: attributes=userName.
        (["userName"], None, {"userName": "bjensen"}),
        (["USERNAME", "Name.GivenName"], None,
         {"userName": "bjensen", "name": {"givenName": "Barbara"}}),
        (["userName,displayName"], None, {"userName": "bjensen", "displayName": "Babs"}),
        (["emails.value"], None, {"emails": [{"value": "bjensen@example.com"}]}),
        ([f"{USER_URN}:userName"], None, {"userName": "bjensen"}),
        ([f"{ENTERPRISE_USER_URN}:manager.value"], None,
         {ENTERPRISE_USER_URN: {"manager": {"value": "m1"}}}),
        ([f"{ENTERPRISE_USER_URN.lower()}:EMPLOYEENUMBER"], None,
         {ENTERPRISE_USER_URN: {"employeeNumber": "701984"}}),
        ([ENTERPRISE_USER_URN], None,
         {ENTERPRISE_USER_URN: {"employeeNumber": "701984", "manager": {"value": "m1"}}}),
        (["meta.lastModified"], None, {"meta": {"lastModified": "2024-01-02T08:30:15Z"}}),
        (["externalId", "id"], None, {"externalId": "00ujl29u0le5T6Aj10h7"}),
        # returned: request only when asked; never not even then.
        ([f"{ACME_URN}:secretQuestion"], None, {ACME_URN: {"secretQuestion": "pet?"}}),
        ([ACME_URN], None, {ACME_URN: {"badge": "B-1", "secretQuestion": "pet?"}}),
        (["password", f"{ACME_URN}:pin"], None, {}),
        # Unknown names are ignored.
        (["nope", "name.nope", "urn:other:2.0:User:x", "!!"], None, {}),
        # attributes wins over excludedAttributes.
        (["userName"], ["userName"], {"userName": "bjensen"}),
    ],
)  # fmt: skip
def test_attributes_parameter(attributes, excluded, expected):
    document = user_document(attributes=attributes, excluded_attributes=excluded)
    assert document == with_returned_always(expected)


def with_returned_always(selected):
    """``selected`` plus what is returned always: schemas, id and the acme ``tenant``."""
    body = {"id": "2819c223", **selected, ACME_URN: {**selected.get(ACME_URN, {}), "tenant": "t1"}}
    schemas = [USER_URN, *(urn for urn in (ENTERPRISE_USER_URN, ACME_URN) if urn in body)]
    return {"schemas": schemas, **body}


@pytest.mark.parametrize(
    ("excluded", "missing", "kept"),
    [
        (["emails"], {"emails"}, {"userName", "name", ENTERPRISE_USER_URN}),
        (["EMAILS", "name.givenName"], {"emails"}, {"name"}),
        (["meta"], {"meta"}, {"userName"}),
        (["id", "schemas"], set(), {"id", "schemas"}),  # returned: always
        ([ENTERPRISE_USER_URN], {ENTERPRISE_USER_URN}, {"userName"}),
        ([f"{ENTERPRISE_USER_URN}:manager"], set(), {ENTERPRISE_USER_URN}),
        ([f"{ACME_URN}:tenant", f"{ACME_URN}:badge"], set(), {ACME_URN}),
        (["nope"], set(), {"userName", "emails"}),
    ],
)
def test_excluded_attributes_parameter(excluded, missing, kept):
    document = user_document(excluded_attributes=excluded)
    assert not missing & set(document)
    assert kept <= set(document)
    assert "password" not in document
    assert document[ACME_URN].get("tenant") == "t1"


def test_excluded_sub_attributes():
    document = user_document(
        excluded_attributes=[
            "name.givenName", f"{ENTERPRISE_USER_URN}:manager", f"{ACME_URN}:badge"
        ]
    )
    assert document["name"] == {"familyName": "Jensen"}
    assert document[ENTERPRISE_USER_URN] == {"employeeNumber": "701984"}
    assert document[ACME_URN] == {"tenant": "t1"}
    assert document["schemas"] == [USER_URN, ENTERPRISE_USER_URN, ACME_URN]


def test_schemas_follow_the_selected_extensions():
    document = user_document(attributes=["userName"])
    assert document["schemas"] == [USER_URN, ACME_URN]  # tenant is returned always
    document = user_document(excluded_attributes=[ENTERPRISE_USER_URN])
    assert document["schemas"] == [USER_URN, ACME_URN]


def test_entra_group_lookup_excludes_members():
    document = serialize(GROUP, GROUPS, id="e9e30dba", location="https://x/Groups/e9e30dba",
                         created=CREATED, last_modified=MODIFIED,
                         excluded_attributes=["members"])  # fmt: skip
    assert document == {
        "schemas": [GROUP_URN],
        "id": "e9e30dba",
        "displayName": "Tour Guides",
        "meta": {"resourceType": "Group", "created": "2024-01-01T12:00:00Z",
                 "lastModified": "2024-01-02T08:30:15Z", "location": "https://x/Groups/e9e30dba"},
    }  # fmt: skip


def test_group_with_members():
    document = serialize(GROUP, GROUPS, id="g", location="L", created=CREATED,
                         last_modified=CREATED)  # fmt: skip
    assert document["members"] == GROUP["members"]


@pytest.mark.parametrize(
    ("attributes", "excluded", "expected"),
    [
        (None, None, {"userName": "bjensen", "name": {"givenName": "B"}}),
        (["name.givenName"], None, {"name": {"givenName": "B"}}),
        (None, ["name"], {"userName": "bjensen"}),
    ],
)
def test_select_attributes_on_a_normalized_resource(attributes, excluded, expected):
    resource = {"userName": "bjensen", "name": {"givenName": "B"}, "password": "x"}
    assert select_attributes(resource, USERS, attributes, excluded) == expected


@pytest.mark.parametrize(
    ("resources", "kwargs", "expected"),
    [
        (
            [],
            {"total_results": 0, "start_index": 1},
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
             "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []},
        ),
        (
            [{"id": "1"}, {"id": "2"}],
            {"total_results": 7, "start_index": 3},
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
             "totalResults": 7, "startIndex": 3, "itemsPerPage": 2,
             "Resources": [{"id": "1"}, {"id": "2"}]},
        ),
        (
            [{"id": "1"}],
            {"total_results": 7, "start_index": 1, "items_per_page": 5,
             "extra": {"nextCursor": "abc"}},
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
             "totalResults": 7, "startIndex": 1, "itemsPerPage": 5,
             "Resources": [{"id": "1"}], "nextCursor": "abc"},
        ),
    ],
)  # fmt: skip
def test_list_response(resources, kwargs, expected):
    response = list_response(resources, **kwargs)
    assert response == expected
    assert all(type(response[key]) is int for key in ("totalResults", "startIndex", "itemsPerPage"))


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("3", 'W/"3"'),
        ("a1b2c3", 'W/"a1b2c3"'),
        ("2024-01-01T00:00:00Z", 'W/"2024-01-01T00:00:00Z"'),
    ],
)
def test_etag(version, expected):
    assert etag(version) == expected


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (datetime(2024, 1, 1, 12, 0, tzinfo=UTC), "2024-01-01T12:00:00Z"),
        (datetime(2024, 1, 1, 12, 0), "2024-01-01T12:00:00Z"),  # naive = UTC
        (datetime(2024, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), "2024-01-01T12:00:00Z"),
        (datetime(2023, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-1))),
         "2024-01-01T00:30:00Z"),
        (datetime(2024, 1, 1, 12, 0, 0, 123456, tzinfo=UTC), "2024-01-01T12:00:00.123456Z"),
    ],
)  # fmt: skip
def test_format_datetime(dt, expected):
    assert format_datetime(dt) == expected


def test_unreturned_keys_name_where_filtering_is_needed():
    assert USERS.unreturned_keys == {"password", ACME_URN}
    assert GROUPS.unreturned_keys == frozenset()


def test_documents_without_hidden_attributes_skip_no_filtering():
    """The fast path (no selection, nothing never/request present) gives what the full
    attribute selection gives."""
    plain = {k: v for k, v in USER.items() if k not in ("password", ACME_URN)}
    document = serialize(plain, USERS, id="2819c223", location=LOCATION, created=CREATED,
                         last_modified=MODIFIED, version="1")  # fmt: skip
    assert document == select_attributes(document, USERS)
    assert "password" not in document and ACME_URN not in document
