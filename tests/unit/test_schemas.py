"""Schemas and resource types (RFC 7643 §4, §6, §7)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from scim_provider.protocol.errors import InvalidPath
from scim_provider.protocol.paths import AttributePath, parse_attribute_path
from scim_provider.protocol.schemas import (
    ENTERPRISE_USER_SCHEMA,
    ENTERPRISE_USER_URN,
    GROUP_SCHEMA,
    GROUP_URN,
    USER_SCHEMA,
    USER_URN,
    Attribute,
    Schema,
    canonical_values_enforced,
    extend_schema,
    group_resource_type,
    user_resource_type,
)

LAMBDATEST_URN = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
LAMBDATEST_SCHEMA = Schema(
    id=LAMBDATEST_URN,
    name="LambdaTestUser",
    attributes=(Attribute("OrganizationRole", canonical_values=("Admin", "User", "Guest")),),
)
PROFILE = Attribute("profile", "complex", sub_attributes=(Attribute("location"),))


def attribute_at(schema: Schema, dotted: str) -> Attribute:
    name, _, sub = dotted.partition(".")
    attribute = schema.attribute(name)
    assert attribute is not None, dotted
    if sub:
        attribute = attribute.sub_attribute(sub)
        assert attribute is not None, dotted
    return attribute


def test_user_schema_lists_every_rfc_7643_attribute_but_id_and_meta():
    names = [attribute.name for attribute in USER_SCHEMA.attributes]
    assert names == [
        "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
        "preferredLanguage", "locale", "timezone", "active", "password", "emails",
        "phoneNumbers", "ims", "photos", "addresses", "groups", "entitlements", "roles",
        "x509Certificates", "externalId",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("schema", "path", "expected"),
    [
        (USER_SCHEMA, "userName", {"required": True, "uniqueness": "server", "case_exact": False}),
        (USER_SCHEMA, "externalId", {"case_exact": True, "mutability": "readWrite"}),
        (USER_SCHEMA, "password", {"mutability": "writeOnly", "returned": "never"}),
        (USER_SCHEMA, "active", {"type": "boolean"}),
        (USER_SCHEMA, "profileUrl", {"type": "reference", "reference_types": ("external",)}),
        (USER_SCHEMA, "name.givenName", {"type": "string", "multi_valued": False}),
        (USER_SCHEMA, "emails", {"type": "complex", "multi_valued": True}),
        (USER_SCHEMA, "emails.type", {"canonical_values": ("work", "home", "other")}),
        (USER_SCHEMA, "emails.primary", {"type": "boolean"}),
        (USER_SCHEMA, "phoneNumbers.type", {"canonical_values": (
            "work", "home", "mobile", "fax", "pager", "other")}),
        (USER_SCHEMA, "photos.value", {"type": "reference"}),
        (USER_SCHEMA, "addresses.postalCode", {"type": "string"}),
        (USER_SCHEMA, "groups", {"mutability": "readOnly", "multi_valued": True}),
        (USER_SCHEMA, "groups.$ref", {"reference_types": ("User", "Group")}),
        (USER_SCHEMA, "x509Certificates.value", {"type": "binary"}),
        (USER_SCHEMA, "roles.value", {"type": "string"}),
        (USER_SCHEMA, "entitlements.display", {"type": "string"}),
        (GROUP_SCHEMA, "displayName", {"required": True}),
        (GROUP_SCHEMA, "members.value", {"mutability": "immutable"}),
        (GROUP_SCHEMA, "members.display", {"mutability": "readOnly"}),
        (GROUP_SCHEMA, "members.type", {"canonical_values": ("User", "Group")}),
        (ENTERPRISE_USER_SCHEMA, "employeeNumber", {"type": "string"}),
        (ENTERPRISE_USER_SCHEMA, "manager.value", {"type": "string"}),
        (ENTERPRISE_USER_SCHEMA, "manager.$ref", {"reference_types": ("User",)}),
        (ENTERPRISE_USER_SCHEMA, "manager.displayName", {"mutability": "readOnly"}),
    ],
)  # fmt: skip
def test_attribute_characteristics(schema, path, expected):
    attribute = attribute_at(schema, path)
    assert {field: getattr(attribute, field) for field in expected} == expected


def test_schema_urns():
    assert (USER_SCHEMA.id, GROUP_SCHEMA.id, ENTERPRISE_USER_SCHEMA.id) == (
        USER_URN, GROUP_URN, ENTERPRISE_USER_URN)  # fmt: skip
    assert ENTERPRISE_USER_URN == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        (lambda: USER_SCHEMA.attribute("USERNAME"), "userName"),
        (lambda: USER_SCHEMA.attribute("phonenumbers"), "phoneNumbers"),
        (lambda: USER_SCHEMA.attribute("name").sub_attribute("GIVENNAME"), "givenName"),
        (lambda: GROUP_SCHEMA.attribute("Members").sub_attribute("$REF"), "$ref"),
        (lambda: user_resource_type().schema_for(ENTERPRISE_USER_URN.upper()).id,
         ENTERPRISE_USER_URN),
    ],
)  # fmt: skip
def test_lookups_are_case_insensitive(lookup, expected):
    found = lookup()
    assert getattr(found, "name", found) == expected


@pytest.mark.parametrize("name", ["id", "meta", "nope"])
def test_common_attributes_are_not_schema_attributes(name):
    assert USER_SCHEMA.attribute(name) is None
    assert GROUP_SCHEMA.attribute(name) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("userName", (USER_URN, "userName", None)),
        ("USERNAME", (USER_URN, "userName", None)),
        ("name.givenName", (USER_URN, "name", "givenName")),
        ("emails.VALUE", (USER_URN, "emails", "value")),
        ("id", (USER_URN, "id", None)),
        ("externalId", (USER_URN, "externalId", None)),
        ("meta.created", (USER_URN, "meta", "created")),
        ("meta.lastModified", (USER_URN, "meta", "lastModified")),
        (f"{USER_URN}:userName", (USER_URN, "userName", None)),
        (f"{USER_URN}:meta.lastModified", (USER_URN, "meta", "lastModified")),
        (f"{ENTERPRISE_USER_URN}:employeeNumber", (ENTERPRISE_USER_URN, "employeeNumber", None)),
        (f"{ENTERPRISE_USER_URN}:manager.value", (ENTERPRISE_USER_URN, "manager", "value")),
        (f"{ENTERPRISE_USER_URN.lower()}:MANAGER", (ENTERPRISE_USER_URN, "manager", None)),
        # Entra filters and PATCHes the enterprise manager unqualified.
        ("manager", (ENTERPRISE_USER_URN, "manager", None)),
        ("department", (ENTERPRISE_USER_URN, "department", None)),
    ],
)
def test_resolve_user_paths(path, expected):
    schema, attribute, sub = user_resource_type().resolve(parse_attribute_path(path))
    assert (schema.id, attribute.name, sub.name if sub else None) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("displayName", (GROUP_URN, "displayName", None)),
        ("members.value", (GROUP_URN, "members", "value")),
        ("members.$ref", (GROUP_URN, "members", "$ref")),
        ("meta.version", (GROUP_URN, "meta", "version")),
    ],
)
def test_resolve_group_paths(path, expected):
    schema, attribute, sub = group_resource_type().resolve(parse_attribute_path(path))
    assert (schema.id, attribute.name, sub.name if sub else None) == expected


@pytest.mark.parametrize(
    ("resource_type", "path", "named"),
    [
        (user_resource_type(), AttributePath("nope"), "'nope'"),
        (user_resource_type(), AttributePath("name", "nope"), "'nope'"),
        (user_resource_type(), AttributePath("userName", "value"), "'value'"),
        (user_resource_type(), AttributePath("meta", "nope"), "'nope'"),
        (user_resource_type(), AttributePath("x", urn="urn:acme:other:2.0:User"), "urn:acme:other"),
        (user_resource_type(), AttributePath("nope", urn=ENTERPRISE_USER_URN), "'nope'"),
        # A URN-qualified path names only that schema: no fallback to the core or extensions.
        (user_resource_type(), AttributePath("userName", urn=ENTERPRISE_USER_URN), "'userName'"),
        (user_resource_type(), AttributePath("manager", urn=USER_URN), "'manager'"),
        (user_resource_type(enterprise=False), AttributePath("manager"), "'manager'"),
        (group_resource_type(), AttributePath("manager"), "'manager'"),
        (group_resource_type(), AttributePath("x", urn=USER_URN), USER_URN),
    ],
)  # fmt: skip
def test_resolve_unknown_raises_invalid_path(resource_type, path, named):
    with pytest.raises(InvalidPath) as raised:
        resource_type.resolve(path)
    assert named in raised.value.detail
    assert raised.value.scim_type == "invalidPath"


def test_unqualified_name_defined_by_two_extensions_is_ambiguous():
    other = Schema("urn:acme:hr:2.0:User", "HR", attributes=(Attribute("department"),))
    resource_type = user_resource_type([other])
    with pytest.raises(InvalidPath):
        resource_type.resolve(AttributePath("department"))
    schema, attribute, _ = resource_type.resolve(AttributePath("department", urn=other.id))
    assert (schema.id, attribute.name) == (other.id, "department")


def test_runtime_extension_schema_with_canonical_values():
    resource_type = user_resource_type([LAMBDATEST_SCHEMA])
    assert resource_type.schema_for(LAMBDATEST_URN.lower()) is LAMBDATEST_SCHEMA
    schema, attribute, _ = resource_type.resolve(
        parse_attribute_path(f"{LAMBDATEST_URN}:organizationrole")
    )
    assert (schema.id, attribute.name) == (LAMBDATEST_URN, "OrganizationRole")
    assert [s.id for s in resource_type.all_schemas()] == [
        USER_URN, ENTERPRISE_USER_URN, LAMBDATEST_URN]  # fmt: skip


@pytest.mark.parametrize(
    ("attribute", "enforced"),
    [
        (LAMBDATEST_SCHEMA.attribute("OrganizationRole"), True),
        (Attribute("tier", canonical_values=("gold",)), True),
        (Attribute("tier"), False),
        (attribute_at(USER_SCHEMA, "emails.type"), False),
        (attribute_at(USER_SCHEMA, "addresses.type"), False),
        (attribute_at(USER_SCHEMA, "groups.type"), False),
        (attribute_at(GROUP_SCHEMA, "members.type"), False),
    ],
)
def test_canonical_values_enforced_only_for_host_declared_ones(attribute, enforced):
    assert canonical_values_enforced(attribute) is enforced


@pytest.mark.parametrize(
    ("extensions", "kwargs", "expected"),
    [
        ((), {}, [(ENTERPRISE_USER_URN, False)]),
        ((), {"enterprise": False}, []),
        ([(ENTERPRISE_USER_SCHEMA, True)], {}, [(ENTERPRISE_USER_URN, True)]),
        ([LAMBDATEST_SCHEMA], {}, [(ENTERPRISE_USER_URN, False), (LAMBDATEST_URN, False)]),
        ([(LAMBDATEST_SCHEMA, True)], {"enterprise": False}, [(LAMBDATEST_URN, True)]),
    ],
)
def test_user_resource_type_extensions(extensions, kwargs, expected):
    resource_type = user_resource_type(extensions, **kwargs)
    assert [(schema.id, required) for schema, required in resource_type.extensions] == expected
    assert (resource_type.id, resource_type.endpoint, resource_type.schema) == (
        "User", "/Users", USER_SCHEMA)  # fmt: skip


def test_group_resource_type():
    resource_type = group_resource_type()
    assert (resource_type.id, resource_type.name, resource_type.endpoint) == (
        "Group", "Group", "/Groups")  # fmt: skip
    assert resource_type.schema is GROUP_SCHEMA
    assert resource_type.extensions == ()


def test_extend_schema_adds_okta_profile_location():
    extended = extend_schema(USER_SCHEMA, PROFILE)
    assert extended.id == USER_URN
    assert extended.attributes[: len(USER_SCHEMA.attributes)] == USER_SCHEMA.attributes
    assert USER_SCHEMA.attribute("profile") is None  # the original is untouched
    resource_type = user_resource_type(schema=extended)
    schema, attribute, sub = resource_type.resolve(parse_attribute_path("profile.location"))
    assert (schema.id, attribute.name, sub.name) == (USER_URN, "profile", "location")


def test_extend_schema_merges_complex_attributes_and_replaces_others():
    more = Attribute("Profile", "complex", sub_attributes=(Attribute("costCenter"),
                     Attribute("location", "integer")))  # fmt: skip
    title = Attribute("title", canonical_values=("Boss",))
    extended = extend_schema(extend_schema(USER_SCHEMA, PROFILE), more, title)
    profile = extended.attribute("profile")
    assert [(s.name, s.type) for s in profile.sub_attributes] == [
        ("costCenter", "string"), ("location", "integer")]  # fmt: skip
    assert extended.attribute("title") == title
    assert len(extended.attributes) == len(USER_SCHEMA.attributes) + 1


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        (
            attribute_at(USER_SCHEMA, "userName"),
            {"name": "userName", "type": "string", "multiValued": False,
             "description": attribute_at(USER_SCHEMA, "userName").description, "required": True,
             "caseExact": False, "mutability": "readWrite", "returned": "default",
             "uniqueness": "server"},
        ),
        (
            Attribute("photo", "reference", reference_types=("external",)),
            {"name": "photo", "type": "reference", "multiValued": False, "description": "",
             "required": False, "caseExact": False, "mutability": "readWrite",
             "returned": "default", "uniqueness": "none", "referenceTypes": ["external"]},
        ),
        (
            Attribute("role", canonical_values=("Admin", "User"), returned="request"),
            {"name": "role", "type": "string", "multiValued": False, "description": "",
             "required": False, "caseExact": False, "mutability": "readWrite",
             "returned": "request", "uniqueness": "none", "canonicalValues": ["Admin", "User"]},
        ),
        (
            PROFILE,
            {"name": "profile", "type": "complex", "multiValued": False, "description": "",
             "required": False, "caseExact": False, "mutability": "readWrite",
             "returned": "default", "uniqueness": "none",
             "subAttributes": [Attribute("location").to_dict()]},
        ),
    ],
)  # fmt: skip
def test_attribute_to_dict(attribute, expected):
    assert attribute.to_dict() == expected


def test_emails_to_dict_has_sub_attributes_with_canonical_values():
    emails = USER_SCHEMA.attribute("emails").to_dict()
    assert emails["multiValued"] is True
    subs = {sub["name"]: sub for sub in emails["subAttributes"]}
    assert list(subs) == ["value", "display", "type", "primary"]
    assert subs["type"]["canonicalValues"] == ["work", "home", "other"]
    assert "canonicalValues" not in subs["value"]


@pytest.mark.parametrize("schema", [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA])
def test_schema_to_dict(schema):
    location = f"https://example.com/scim/v2/Schemas/{schema.id}"
    data = json.loads(json.dumps(schema.to_dict(location)))
    assert data["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:Schema"]
    assert (data["id"], data["name"], data["description"]) == (
        schema.id, schema.name, schema.description)  # fmt: skip
    assert data["meta"] == {"resourceType": "Schema", "location": location}
    names = [attribute["name"] for attribute in data["attributes"]]
    assert names == [attribute.name for attribute in schema.attributes]
    assert "id" not in names and "meta" not in names


def test_schema_to_dict_without_location():
    assert LAMBDATEST_SCHEMA.to_dict()["meta"] == {"resourceType": "Schema"}


def test_resource_type_to_dict():
    location = "https://example.com/scim/v2/ResourceTypes/User"
    assert user_resource_type([(LAMBDATEST_SCHEMA, True)]).to_dict(location) == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_URN,
        "schemaExtensions": [
            {"schema": ENTERPRISE_USER_URN, "required": False},
            {"schema": LAMBDATEST_URN, "required": True},
        ],
        "meta": {"resourceType": "ResourceType", "location": location},
    }
    group = group_resource_type().to_dict()
    assert "schemaExtensions" not in group
    assert (group["schema"], group["meta"]) == (GROUP_URN, {"resourceType": "ResourceType"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"type": "text"},
        {"mutability": "readwrite"},
        {"returned": "sometimes"},
        {"uniqueness": "local"},
        {"sub_attributes": (Attribute("x"),)},
    ],
)
def test_invalid_attribute_definitions_are_rejected(kwargs):
    with pytest.raises(ValueError, match="'x'"):
        Attribute("x", **kwargs)


def test_definitions_are_frozen_and_hashable():
    with pytest.raises(AttributeError):
        USER_SCHEMA.name = "Other"  # type: ignore[misc]
    assert hash(replace(PROFILE)) == hash(PROFILE)
