"""Request bodies -> normalized resources, with the quirks Okta and Entra really send."""

from __future__ import annotations

import copy
from dataclasses import fields, replace

import pytest

from scim_provider.protocol.errors import InvalidSyntax, InvalidValue, Mutability
from scim_provider.protocol.schemas import (
    ENTERPRISE_USER_SCHEMA,
    ENTERPRISE_USER_URN,
    GROUP_SCHEMA,
    GROUP_URN,
    USER_SCHEMA,
    USER_URN,
    Attribute,
    Schema,
    extend_schema,
    group_resource_type,
    user_resource_type,
)
from scim_provider.protocol.validate import (
    POLICIES,
    Leniency,
    Policy,
    coerce_value,
    validate_resource,
)

STRICT, LENIENT = Leniency.STRICT, Leniency.LENIENT
ADSCIM_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
LAMBDATEST_URN = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
LAMBDATEST_SCHEMA = Schema(
    id=LAMBDATEST_URN,
    name="LambdaTestUser",
    attributes=(Attribute("OrganizationRole", canonical_values=("Admin", "User", "Guest")),),
)
BADGE_URN = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
BADGE_SCHEMA = Schema(
    id=BADGE_URN,
    name="AcmeUser",
    attributes=(
        Attribute("badge", mutability="immutable"),
        Attribute("serial", mutability="immutable", case_exact=True),
        Attribute("card", "complex", sub_attributes=(
            Attribute("number", mutability="immutable"), Attribute("color"))),
        Attribute("level", "integer"),
    ),
)  # fmt: skip
USERS = user_resource_type()
GROUPS = group_resource_type()

# Okta create.
OKTA_CREATE = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}

# Okta PUT, with the 2018 capture's password and non-ISO meta.created.
OKTA_PUT = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
    "userName": "test.user@okta.local",
    "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work",
                "display": "test.user@okta.local"}],
    "active": True,
    "password": "TkdFNVdIVkxhM2c9",
    "groups": [],
    "meta": {"resourceType": "User", "created": "04-12-2018 00:00:00",
             "lastModified": "04-12-2018 00:00:00", "version": "v1.0"},
}  # fmt: skip

# Entra create.
ENTRA_CREATE = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": True,
    "emails": [{"primary": True, "type": "work",
                "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName",
             "givenName": "givenName"},
    "roles": [],
}  # fmt: skip

# the older Entra tutorial body, nulls and a malformed enterprise URN.
ENTRA_CREATE_OLD = {
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0User",
    ],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": True,
    "addresses": None,
    "displayName": "Joy Young",
    "emails": [{"primary": True, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"familyName": "Young", "givenName": "Joy"},
    "phoneNumbers": None,
    "preferredLanguage": None,
    "roles": [],
    "title": None,
}

# Entra group create, with the ADSCIM marker schema.
ENTRA_GROUP = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", ADSCIM_URN],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}

# Okta group push and AIW PUT.
OKTA_GROUP_PUSH = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Test SCIMv2",
    "members": [{"value": "u1", "display": "steve@ad.oktatest.com"}],
}
OKTA_GROUP_PUT = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "id": "g1",
    "displayName": "Test SCIMv2",
    "members": [{"value": "u1", "display": "steve@ad.oktatest.com"}, {"value": "u2"}],
}

# Okta custom attributes in both namespaces.
OKTA_CUSTOM = {
    **OKTA_CREATE,
    "profile": {"location": "Paris"},
    LAMBDATEST_URN: {"OrganizationRole": "Admin"},
    ENTERPRISE_USER_URN: {"employeeNumber": "42", "department": "R&D"},
}
PROFILE = Attribute("profile", "complex", sub_attributes=(Attribute("location"),))
OKTA_USERS = user_resource_type([LAMBDATEST_SCHEMA], schema=extend_schema(USER_SCHEMA, PROFILE))


def validate(body, resource_type=USERS, **kwargs):
    """``validate_resource`` that also checks it never mutates the body."""
    before = copy.deepcopy(body)
    result = validate_resource(body, resource_type, **kwargs)
    assert body == before
    return result


def user(**attributes):
    return {"schemas": [USER_URN], "userName": "bjensen", **attributes}


# The IdP bodies.


@pytest.mark.parametrize(
    ("body", "resource_type", "expected", "dropped"),
    [
        (
            OKTA_CREATE,
            USERS,
            {"userName": "test.user@okta.local",
             "name": {"givenName": "Test", "familyName": "User"},
             "displayName": "Test User", "locale": "en-US", "active": True,
             "password": "1mz050nq",
             "emails": [{"value": "test.user@okta.local", "type": "work", "primary": True}],
             "externalId": "00ujl29u0le5T6Aj10h7"},
            ["groups"],
        ),
        (
            OKTA_PUT,
            USERS,
            {"userName": "test.user@okta.local",
             "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
             "active": True, "password": "TkdFNVdIVkxhM2c9",
             "emails": [{"value": "test.user@okta.local", "type": "work", "primary": True,
                         "display": "test.user@okta.local"}]},
            ["groups"],
        ),
        (
            ENTRA_CREATE,
            USERS,
            {"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
             "name": {"formatted": "givenName familyName", "familyName": "familyName",
                      "givenName": "givenName"},
             "active": True,
             "emails": [{"value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
                         "type": "work", "primary": True}],
             "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"},
            [],
        ),
        (
            ENTRA_CREATE_OLD,
            USERS,
            {"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
             "name": {"familyName": "Young", "givenName": "Joy"}, "displayName": "Joy Young",
             "active": True,
             "emails": [{"value": "Test_User_fd0ea19b@testuser.com", "type": "work",
                         "primary": True}],
             "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"},
            [],
        ),
        (
            ENTRA_GROUP,
            GROUPS,
            {"displayName": "displayName", "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"},
            [],
        ),
        (
            OKTA_GROUP_PUSH,
            GROUPS,
            {"displayName": "Test SCIMv2", "members": [{"value": "u1"}]},
            ["members.display"],
        ),
        (
            OKTA_GROUP_PUT,
            GROUPS,
            {"displayName": "Test SCIMv2", "members": [{"value": "u1"}, {"value": "u2"}]},
            ["members.display"],
        ),
        (
            OKTA_CUSTOM,
            OKTA_USERS,
            {**validate_resource(OKTA_CREATE, USERS), "profile": {"location": "Paris"},
             LAMBDATEST_URN: {"OrganizationRole": "Admin"},
             ENTERPRISE_USER_URN: {"employeeNumber": "42", "department": "R&D"}},
            ["groups"],
        ),
    ],
    ids=["okta-create", "okta-put", "entra-create", "entra-create-old", "entra-group",
         "okta-group-push", "okta-group-put", "okta-custom-attributes"],
)  # fmt: skip
def test_idp_bodies_are_accepted_in_lenient_mode(body, resource_type, expected, dropped):
    recorded: list[str] = []
    assert validate(body, resource_type, dropped=recorded) == expected
    assert recorded == dropped


def test_okta_put_keeps_names_in_schema_order_and_drops_caller_owned_keys():
    result = validate(OKTA_PUT)
    assert not {"id", "meta", "schemas", "groups"} & set(result)


@pytest.mark.parametrize(
    ("body", "resource_type", "error", "detail"),
    [
        (OKTA_CREATE, USERS, None, None),  # groups is readOnly: ignored even in STRICT
        (OKTA_PUT, USERS, None, None),  # id and meta are the caller's: dropped even in STRICT
        (ENTRA_CREATE, USERS, None, None),  # [] and meta are fine in STRICT
        (ENTRA_CREATE_OLD, USERS, InvalidValue, "enterprise:2.0User"),
        (ENTRA_GROUP, GROUPS, InvalidValue, ADSCIM_URN),
        (OKTA_GROUP_PUSH, GROUPS, None, None),
        (OKTA_CUSTOM, OKTA_USERS, InvalidValue, "not listed in 'schemas'"),
    ],
    ids=["okta-create", "okta-put", "entra-create", "entra-create-old", "entra-group",
         "okta-group-push", "okta-custom-attributes"],
)  # fmt: skip
def test_idp_bodies_in_strict_mode(body, resource_type, error, detail):
    if error is None:
        assert validate(body, resource_type, leniency=STRICT) == validate(body, resource_type)
        return
    with pytest.raises(error) as raised:
        validate(body, resource_type, leniency=STRICT)
    assert detail in raised.value.detail


# Body shape and `schemas`.


@pytest.mark.parametrize("body", [None, [], "userName", 42, [OKTA_CREATE]])
@pytest.mark.parametrize("leniency", [STRICT, LENIENT])
def test_body_must_be_a_json_object(body, leniency):
    with pytest.raises(InvalidSyntax, match="JSON object"):
        validate_resource(body, USERS, leniency=leniency)


@pytest.mark.parametrize(
    ("schemas", "leniency", "error"),
    [
        ("absent", LENIENT, None),
        ("absent", STRICT, InvalidSyntax),
        ([], LENIENT, None),
        ([], STRICT, InvalidValue),
        ([GROUP_URN], STRICT, InvalidValue),
        ([USER_URN.upper()], STRICT, None),
        ([USER_URN, ENTERPRISE_USER_URN], STRICT, None),
        ([USER_URN, ADSCIM_URN], STRICT, InvalidValue),
        ([USER_URN, ADSCIM_URN], LENIENT, None),
        (USER_URN, LENIENT, InvalidSyntax),
        ([USER_URN, 7], LENIENT, InvalidSyntax),
    ],
)
def test_schemas_attribute(schemas, leniency, error):
    body = {"userName": "bjensen"} if schemas == "absent" else {"schemas": schemas,
                                                                 "userName": "bjensen"}
    if error is None:
        assert validate(body, leniency=leniency) == {"userName": "bjensen"}
    else:
        with pytest.raises(error):
            validate(body, leniency=leniency)


# Types (RFC 7643 §2.3).

ACTIVE = USER_SCHEMA.attribute("active")
TITLE = USER_SCHEMA.attribute("title")
PROFILE_URL = USER_SCHEMA.attribute("profileUrl")
CERTIFICATES = USER_SCHEMA.attribute("x509Certificates")
LEVEL = Attribute("level", "integer")
RATIO = Attribute("ratio", "decimal")
HIRED = Attribute("hired", "dateTime")
BLOB = Attribute("blob", "binary")
TAGS = Attribute("tags", multi_valued=True)


@pytest.mark.parametrize(
    ("attribute", "value", "leniency", "expected"),
    [
        (TITLE, "Boss", STRICT, "Boss"),
        (TITLE, "", STRICT, ""),
        (TITLE, 42, LENIENT, "42"),
        (TITLE, 4.5, LENIENT, "4.5"),
        (TITLE, 42, STRICT, InvalidValue),
        (TITLE, True, LENIENT, InvalidValue),
        (TITLE, {"x": 1}, LENIENT, InvalidValue),
        (ACTIVE, True, STRICT, True),
        (ACTIVE, False, STRICT, False),
        (ACTIVE, "True", LENIENT, True),
        (ACTIVE, "False", LENIENT, False),
        (ACTIVE, "true", LENIENT, True),
        (ACTIVE, "false", LENIENT, False),
        (ACTIVE, "False", STRICT, InvalidValue),
        (ACTIVE, "yes", LENIENT, InvalidValue),
        (ACTIVE, 1, LENIENT, InvalidValue),
        (ACTIVE, 0, LENIENT, InvalidValue),
        (LEVEL, 3, STRICT, 3),
        (LEVEL, -3, STRICT, -3),
        (LEVEL, 3.0, LENIENT, 3),
        (LEVEL, "3", LENIENT, 3),
        (LEVEL, "3", STRICT, InvalidValue),
        (LEVEL, 3.0, STRICT, InvalidValue),
        (LEVEL, 3.5, LENIENT, InvalidValue),
        (LEVEL, True, LENIENT, InvalidValue),
        (LEVEL, "three", LENIENT, InvalidValue),
        (RATIO, 1.5, STRICT, 1.5),
        (RATIO, 2, STRICT, 2.0),
        (RATIO, "1.5", LENIENT, 1.5),
        (RATIO, "1.5", STRICT, InvalidValue),
        (RATIO, "nan", LENIENT, InvalidValue),
        (RATIO, False, LENIENT, InvalidValue),
        (RATIO, 10**400, LENIENT, InvalidValue),
        (RATIO, float("inf"), LENIENT, InvalidValue),
        (HIRED, "2024-01-01T12:00:00Z", STRICT, "2024-01-01T12:00:00Z"),
        (HIRED, "2008-01-23T04:56:22.123+01:00", STRICT, "2008-01-23T04:56:22.123+01:00"),
        (HIRED, "2024-01-01T12:00:00", STRICT, "2024-01-01T12:00:00"),
        (HIRED, "04-12-2018 00:00:00", LENIENT, InvalidValue),  # Okta's 2018 meta.created
        (HIRED, "2024-01-01", LENIENT, InvalidValue),
        (HIRED, "2024-13-01T12:00:00Z", LENIENT, InvalidValue),
        (HIRED, 1700000000, LENIENT, InvalidValue),
        (PROFILE_URL, "https://example.com/bjensen", STRICT, "https://example.com/bjensen"),
        (PROFILE_URL, 7, LENIENT, InvalidValue),
        (BLOB, "aGVsbG8=", STRICT, "aGVsbG8="),
        (BLOB, "aGVs\nbG8=", STRICT, "aGVs\nbG8="),
        (BLOB, "not base64!", LENIENT, InvalidValue),
        (TAGS, ["a", "b"], STRICT, ["a", "b"]),
        (TAGS, "a", LENIENT, ["a"]),
        (TAGS, "a", STRICT, InvalidValue),
        (TAGS, ["a", None], STRICT, ["a"]),
        (TAGS, [], STRICT, []),
        (TITLE, ["Boss"], LENIENT, "Boss"),
        (TITLE, [], LENIENT, None),
        (TITLE, ["Boss"], STRICT, InvalidValue),
        (TITLE, ["Boss", "Chief"], LENIENT, InvalidValue),
        (TITLE, None, STRICT, None),
        (
            CERTIFICATES,
            [{"value": "aGVsbG8="}],
            STRICT,
            [{"value": "aGVsbG8="}],
        ),
    ],
)
def test_coerce_value_types(attribute, value, leniency, expected):
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected) as raised:
            coerce_value(attribute, value, leniency=leniency)
        assert repr(attribute.name) in raised.value.detail
    else:
        result = coerce_value(attribute, value, leniency=leniency)
        assert result == expected
        assert type(result) is type(expected)


EMAILS = USER_SCHEMA.attribute("emails")
NAME = USER_SCHEMA.attribute("name")
MANAGER = ENTERPRISE_USER_SCHEMA.attribute("manager")
MEMBERS = GROUP_SCHEMA.attribute("members")


@pytest.mark.parametrize(
    ("attribute", "value", "leniency", "expected"),
    [
        (NAME, {"GIVENNAME": "Barbara", "familyName": None}, STRICT, {"givenName": "Barbara"}),
        (NAME, {"givenName": "Barbara", "nickname": "Babs"}, LENIENT, {"givenName": "Barbara"}),
        (NAME, {}, STRICT, {}),
        (NAME, "Barbara", LENIENT, InvalidValue),  # no `value` sub-attribute to wrap into
        (NAME, {"givenName": "Barbara", "nickname": "Babs"}, STRICT, InvalidValue),
        (EMAILS, {"value": "a@b.c"}, LENIENT, [{"value": "a@b.c"}]),
        (EMAILS, {"value": "a@b.c"}, STRICT, InvalidValue),
        (EMAILS, [{"value": "a@b.c", "type": "Work"}], STRICT,
         [{"value": "a@b.c", "type": "Work"}]),
        (EMAILS, [{"value": "a@b.c", "type": "office"}], STRICT,
         [{"value": "a@b.c", "type": "office"}]),  # RFC canonical values are suggestions
        (EMAILS, [{"value": "a@b.c", "primary": "true"}], LENIENT,
         [{"value": "a@b.c", "primary": True}]),
        (EMAILS, [{"value": "a", "primary": True}, {"value": "b", "primary": True}], LENIENT,
         [{"value": "a", "primary": True}, {"value": "b", "primary": False}]),
        (EMAILS, [{"value": "a", "primary": True}, {"value": "b", "primary": True}], STRICT,
         InvalidValue),
        (EMAILS, [{"value": "a", "primary": False}, {"value": "b", "primary": True}], STRICT,
         [{"value": "a", "primary": False}, {"value": "b", "primary": True}]),
        (EMAILS, [None, {}, {"type": None}], STRICT, []),
        (EMAILS, ["a@b.c"], LENIENT, [{"value": "a@b.c"}]),
        (EMAILS, ["a@b.c"], STRICT, InvalidValue),
        # Entra's three ways to set the enterprise manager.
        (MANAGER, "m1", LENIENT, {"value": "m1"}),
        (MANAGER, [{"$ref": "https://x/Users/m1", "value": "m1"}], LENIENT,
         {"$ref": "https://x/Users/m1", "value": "m1"}),
        (MANAGER, "", LENIENT, None),
        (MANAGER, "m1", STRICT, InvalidValue),
        (MANAGER, {"value": "m1", "displayName": "Boss"}, STRICT, {"value": "m1"}),
        # members with "$ref": null; display is readOnly.
        (MEMBERS, [{"$ref": None, "value": "u1"}, {"value": "u2", "display": "x"}], STRICT,
         [{"value": "u1"}, {"value": "u2"}]),
        (MEMBERS, [{"value": "u1", "type": "Robot"}], STRICT, [{"value": "u1", "type": "Robot"}]),
        (MEMBERS, [], STRICT, []),
    ],
)  # fmt: skip
def test_coerce_value_complex_and_multi_valued(attribute, value, leniency, expected):
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            coerce_value(attribute, value, leniency=leniency)
    else:
        assert coerce_value(attribute, value, leniency=leniency) == expected


def test_coerce_value_names_the_given_path():
    path = f"{ENTERPRISE_USER_URN}:manager"
    with pytest.raises(InvalidValue) as raised:
        coerce_value(MANAGER, {"value": 7}, leniency=STRICT, path=path)
    assert raised.value.detail == f"Attribute '{path}.value' must be a string, not 7."
    with pytest.raises(InvalidValue, match=r"'emails\.primary' must be a boolean"):
        coerce_value(EMAILS, [{"primary": "maybe"}])


# Names, nulls, qualified keys.


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"USERNAME": "bjensen"}, {"userName": "bjensen"}),
        ({"userName": "bjensen", "Name": {"GivenName": "Barbara"}},
         {"userName": "bjensen", "name": {"givenName": "Barbara"}}),
        ({"userName": "bjensen", "EXTERNALID": "x1"}, {"userName": "bjensen", "externalId": "x1"}),
        ({"userName": "bjensen", "title": None, "addresses": None, "roles": [], "name": {}},
         {"userName": "bjensen"}),
        ({"userName": "bjensen", "name": {"givenName": None}}, {"userName": "bjensen"}),
        ({"userName": "bjensen", ENTERPRISE_USER_URN: None}, {"userName": "bjensen"}),
        ({"userName": "bjensen", ENTERPRISE_USER_URN: {"manager": None}}, {"userName": "bjensen"}),
        ({"userName": "bjensen", ENTERPRISE_USER_URN.lower(): {"EMPLOYEENUMBER": "7"}},
         {"userName": "bjensen", ENTERPRISE_USER_URN: {"employeeNumber": "7"}}),
        # Entra-style URN-qualified and dotted keys land in the same place as nested objects.
        ({"userName": "bjensen", f"{ENTERPRISE_USER_URN}:employeeNumber": "7"},
         {"userName": "bjensen", ENTERPRISE_USER_URN: {"employeeNumber": "7"}}),
        ({"userName": "bjensen", f"{ENTERPRISE_USER_URN}:manager.value": "m1",
          ENTERPRISE_USER_URN: {"department": "R&D"}},
         {"userName": "bjensen",
          ENTERPRISE_USER_URN: {"department": "R&D", "manager": {"value": "m1"}}}),
        ({"userName": "bjensen", "name.givenName": "Barbara", "name": {"familyName": "Jensen"}},
         {"userName": "bjensen", "name": {"givenName": "Barbara", "familyName": "Jensen"}}),
        ({f"{USER_URN}:userName": "bjensen", f"{USER_URN}:name.familyName": "Jensen"},
         {"userName": "bjensen", "name": {"familyName": "Jensen"}}),
        ({"userName": "bjensen", "id": "x", "Meta": {"created": "bogus"}, "SCHEMAS": [USER_URN]},
         {"userName": "bjensen"}),
    ],
)  # fmt: skip
def test_normalization(body, expected):
    assert validate(body) == expected


def test_output_attribute_order_follows_the_schema():
    body = {"externalId": "x", "active": True, "userName": "bjensen", "name": {"givenName": "B"}}
    assert list(validate(body)) == ["userName", "name", "active", "externalId"]


ENTERPRISE_NOPE = f"{ENTERPRISE_USER_URN}:nope"


@pytest.mark.parametrize(
    ("body", "dropped"),
    [
        ({"userName": "bjensen", "foo": 1}, ["foo"]),
        ({"userName": "bjensen", "name": {"givenName": "B", "foo": 1}}, ["name.foo"]),
        ({"userName": "bjensen", "emails": [{"value": "a", "label": "x"}]}, ["emails.label"]),
        ({"userName": "bjensen", "urn:acme:other:2.0:User": {"x": 1}}, ["urn:acme:other:2.0:User"]),
        ({"userName": "bjensen", ENTERPRISE_USER_URN: {"nope": 1}}, [ENTERPRISE_NOPE]),
        ({"userName": "bjensen", ENTERPRISE_NOPE: 1}, [ENTERPRISE_NOPE]),
        ({"userName": "bjensen", "title.x": "y"}, ["title.x"]),
        ({"userName": "bjensen", "groups": [{"value": "g1", "display": "G"}]}, ["groups"]),
        ({"userName": "bjensen",
          ENTERPRISE_USER_URN: {"manager": {"value": "m", "displayName": "M"}}},
         [f"{ENTERPRISE_USER_URN}:manager.displayName"]),
    ],
)  # fmt: skip
def test_tolerated_noise_is_dropped_and_recorded(body, dropped):
    recorded: list[str] = []
    result = validate(body, dropped=recorded)
    assert result["userName"] == "bjensen"
    assert recorded == dropped


@pytest.mark.parametrize(
    "body",
    [
        {"foo": 1},
        {"name": {"givenName": "B", "foo": 1}},
        {"emails": [{"value": "a", "label": "x"}]},
        {"urn:acme:other:2.0:User": {"x": 1}},
        {ENTERPRISE_USER_URN: {"nope": 1}},
        {f"{ENTERPRISE_USER_URN}:employeeNumber": "7"},
        {"name.givenName": "Barbara"},
        {f"{USER_URN}:displayName": "Babs"},
        {"http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group": {}},
    ],
)
def test_strict_rejects_unknown_and_qualified_keys(body):
    with pytest.raises(InvalidValue):
        validate(user(**body), leniency=STRICT)


@pytest.mark.parametrize(
    ("body", "error", "detail"),
    [
        ({"userName": "bjensen", ENTERPRISE_USER_URN: "R&D"}, InvalidValue, "JSON object"),
        ({"userName": "bjensen", "emails.value": "a@b.c"}, InvalidValue, "multi-valued"),
        ({"userName": "bjensen", "active": "maybe"}, InvalidValue, "'active'"),
        ({"userName": "bjensen", ENTERPRISE_USER_URN: {"employeeNumber": {}}}, InvalidValue,
         f"'{ENTERPRISE_USER_URN}:employeeNumber'"),
    ],
)  # fmt: skip
def test_malformed_values_are_rejected_even_when_lenient(body, error, detail):
    with pytest.raises(error) as raised:
        validate(body)
    assert detail in raised.value.detail


# Required attributes (RFC 7643 §2.2).

TAG = Attribute("tag", "complex", sub_attributes=(Attribute("value", required=True),
                                                   Attribute("kind")))  # fmt: skip
TAGGED_USERS = user_resource_type(schema=extend_schema(USER_SCHEMA, TAG))
ACME_REQUIRED_USERS = user_resource_type(
    [Schema(BADGE_URN, "Acme", attributes=(Attribute("level", "integer"),
                                           Attribute("badge", required=True)))]
)  # fmt: skip


@pytest.mark.parametrize(
    ("body", "resource_type", "missing"),
    [
        ({"schemas": [USER_URN]}, USERS, "userName"),
        ({"userName": None}, USERS, "userName"),
        ({"userName": ""}, USERS, "userName"),
        ({"userName": []}, USERS, "userName"),
        ({"displayName": "Joy"}, USERS, "userName"),
        ({"members": []}, GROUPS, "displayName"),
        ({"userName": "bjensen"}, user_resource_type([(LAMBDATEST_SCHEMA, True)]), LAMBDATEST_URN),
        ({"userName": "bjensen", "tag": {"kind": "x"}}, TAGGED_USERS, "tag.value"),
        ({"userName": "bjensen", BADGE_URN: {"level": 1}}, ACME_REQUIRED_USERS,
         f"{BADGE_URN}:badge"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("existing", [None, {"userName": "bjensen", "displayName": "G"}])
def test_required_attributes(body, resource_type, missing, existing):
    with pytest.raises(InvalidValue) as raised:
        validate(body, resource_type, existing=existing)
    assert raised.value.detail == f"Missing required attribute(s): {missing}."


def test_required_readonly_attributes_are_not_required():
    schema = extend_schema(USER_SCHEMA, Attribute("serverId", required=True, mutability="readOnly"))
    result = validate({"userName": "bjensen", "serverId": "x"}, user_resource_type(schema=schema))
    assert result == {"userName": "bjensen"}


# canonicalValues (RFC 7643 §2.2, §7).

LAMBDATEST_USERS = user_resource_type([LAMBDATEST_SCHEMA])


@pytest.mark.parametrize(
    ("role", "leniency", "expected"),
    [
        ("Admin", STRICT, "Admin"),
        ("Guest", STRICT, "Guest"),
        ("admin", STRICT, "Admin"),
        ("USER", LENIENT, "User"),
        ("Boss", LENIENT, InvalidValue),
        ("", LENIENT, InvalidValue),
        (None, STRICT, None),
    ],
)
def test_extension_canonical_values_are_enforced(role, leniency, expected):
    body = {"schemas": [USER_URN, LAMBDATEST_URN], "userName": "bjensen",
            LAMBDATEST_URN: {"OrganizationRole": role}}  # fmt: skip
    if expected is InvalidValue:
        with pytest.raises(InvalidValue) as raised:
            validate(body, LAMBDATEST_USERS, leniency=leniency)
        assert "OrganizationRole" in raised.value.detail
        assert "Admin, User, Guest" in raised.value.detail
    else:
        result = validate(body, LAMBDATEST_USERS, leniency=leniency)
        assert result.get(LAMBDATEST_URN, {}).get("OrganizationRole") == expected


def test_core_type_canonical_values_are_suggestions():
    body = user(phoneNumbers=[{"value": "+1", "type": "satellite"}],
                addresses=[{"locality": "Paris", "type": "Holiday"}])  # fmt: skip
    result = validate(body, leniency=STRICT)
    assert result["phoneNumbers"] == [{"value": "+1", "type": "satellite"}]
    assert result["addresses"] == [{"locality": "Paris", "type": "Holiday"}]


# Mutability (RFC 7643 §2.2, RFC 7644 §3.5.1).

BADGE_USERS = user_resource_type([BADGE_SCHEMA])
EXISTING = {
    "userName": "bjensen",
    BADGE_URN: {"badge": "B-1", "serial": "Ab1", "card": {"number": "C1", "color": "red"}},
}


# What a PUT that omits them keeps: the immutable values only (card.color is readWrite).
KEPT = {"badge": "B-1", "serial": "Ab1", "card": {"number": "C1"}}


def badge_body(**badge):
    return {"schemas": [USER_URN, BADGE_URN], "userName": "bjensen", BADGE_URN: badge}


@pytest.mark.parametrize(
    ("badge", "existing", "expected"),
    [
        # Create: immutable values may be set.
        ({"badge": "B-1"}, None, {"badge": "B-1"}),
        # Replace with the same value (case-insensitively unless caseExact).
        ({"badge": "B-1", "serial": "Ab1"}, EXISTING, KEPT),
        ({"badge": "b-1"}, EXISTING, {**KEPT, "badge": "b-1"}),
        ({"card": {"number": "C1", "color": "red"}}, EXISTING, EXISTING[BADGE_URN]),
        # Omitted: carried over, not cleared.
        ({"level": 2}, EXISTING, {**KEPT, "level": 2}),
        ({}, EXISTING, KEPT),
        ({"card": {"color": "blue"}}, EXISTING,
         {**KEPT, "card": {"color": "blue", "number": "C1"}}),
        # Not set yet: may be set on replace.
        ({"badge": "B-2"}, {"userName": "bjensen"}, {"badge": "B-2"}),
        ({"badge": "B-2"}, {"userName": "bjensen", BADGE_URN: {"badge": None}}, {"badge": "B-2"}),
    ],
)  # fmt: skip
def test_immutable_attributes_allowed(badge, existing, expected):
    result = validate(badge_body(**badge), BADGE_USERS, existing=existing)
    assert result[BADGE_URN] == expected


@pytest.mark.parametrize(
    ("badge", "path"),
    [
        ({"badge": "B-2"}, f"{BADGE_URN}:badge"),
        ({"serial": "AB1"}, f"{BADGE_URN}:serial"),
        ({"card": {"number": "C2"}}, f"{BADGE_URN}:card.number"),
    ],
)
def test_immutable_attribute_changed_on_replace_is_a_mutability_error(badge, path):
    with pytest.raises(Mutability) as raised:
        validate(badge_body(**badge), BADGE_USERS, existing=EXISTING)
    assert raised.value.scim_type == "mutability"
    assert repr(path) in raised.value.detail


def test_existing_is_not_mutated():
    existing = copy.deepcopy(EXISTING)
    result = validate(badge_body(), BADGE_USERS, existing=existing)
    assert existing == EXISTING
    result[BADGE_URN]["card"]["color"] = "green"
    assert existing == EXISTING


def test_group_members_immutable_per_value_so_a_put_may_replace_them():
    existing = {"displayName": "G", "members": [{"value": "u1"}]}
    result = validate(OKTA_GROUP_PUT, GROUPS, existing=existing, leniency=STRICT)
    assert result["members"] == [{"value": "u1"}, {"value": "u2"}]


@pytest.mark.parametrize("leniency", [STRICT, LENIENT])
def test_readonly_ignored_and_writeonly_accepted(leniency):
    recorded: list[str] = []
    body = user(groups=[{"value": "g1"}], password="s3cret")
    assert validate(body, leniency=leniency, dropped=recorded) == {
        "userName": "bjensen", "password": "s3cret"}  # fmt: skip
    assert recorded == ["groups"]


# The policy table.


def test_policy_table_is_all_or_nothing():
    names = [field.name for field in fields(Policy)]
    assert all(getattr(POLICIES[LENIENT], name) for name in names)
    assert not any(getattr(POLICIES[STRICT], name) for name in names)


def test_a_custom_policy_relaxes_one_rule():
    policy = replace(POLICIES[STRICT], unknown_schema_urns=True)
    assert validate(ENTRA_GROUP, GROUPS, leniency=policy)["displayName"] == "displayName"
    with pytest.raises(InvalidValue):
        validate({**ENTRA_GROUP, "foo": 1}, GROUPS, leniency=policy)
