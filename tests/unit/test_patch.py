"""PATCH engine (RFC 7644 §3.5.2) and the PATCH quirks of Okta and Entra."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scim_provider.protocol.errors import Mutability, ScimError
from scim_provider.protocol.patch import MultiValueDelta, PatchResult, apply_patch
from scim_provider.protocol.schemas import (
    ENTERPRISE_USER_URN,
    PATCH_OP_URN,
    Attribute,
    Schema,
    group_resource_type,
    user_resource_type,
)

USER = user_resource_type()
GROUP = group_resource_type()
E = ENTERPRISE_USER_URN
ABSENT = object()
MEMBERS = frozenset({"members"})

# The RFC 7643 §8.2 "bjensen" user, normalized.
BJENSEN: dict[str, Any] = {
    "userName": "bjensen",
    "externalId": "bjensen",
    "name": {
        "formatted": "Ms. Barbara J Jensen III",
        "familyName": "Jensen",
        "givenName": "Barbara",
    },
    "displayName": "Babs Jensen",
    "active": True,
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "addresses": [
        {
            "type": "work",
            "streetAddress": "100 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "USA",
            "primary": True,
        }
    ],
    "x509Certificates": [{"value": "TXlPbGRDZXJ0aWZpY2F0ZQ=="}],
    E: {
        "employeeNumber": "701984",
        "department": "Tour Operations",
        "manager": {"value": "26118915", "$ref": "../Users/26118915"},
    },
}
# A user without work email, as Entra's validation creates them.
HOME_ONLY: dict[str, Any] = {
    "userName": "test_user",
    "emails": [{"value": "home@example.com", "type": "home", "primary": True}],
}
TOUR_GUIDES: dict[str, Any] = {
    "displayName": "Tour Guides",
    "members": [{"value": "2819c223"}, {"value": "902c246b"}],
}


def body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


def run(resource: dict[str, Any], operations: list, resource_type=USER, **options) -> PatchResult:
    """apply_patch, checking that the input resource is left untouched."""
    before = copy.deepcopy(resource)
    result = apply_patch(resource, body(*operations), resource_type, **options)
    assert resource == before
    return result


def value_at(resource: dict[str, Any], key: str) -> Any:
    """``resource[key]``; ``URN:attr`` keys look inside the extension object."""
    if key in resource:
        return resource[key]
    if key.startswith(E + ":"):
        return resource.get(E, {}).get(key[len(E) + 1 :], ABSENT)
    return ABSENT


def work(value: str) -> dict[str, Any]:
    return {"value": value, "type": "work"}


# (id, resource, resource type, operations, {key: expected value or ABSENT}, changed paths)
CASES = [
    # RFC 7644 §3.5.2.1 add.
    (
        "rfc-add-member",
        TOUR_GUIDES,
        GROUP,
        [{"op": "add", "path": "members", "value": [
            {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/aa", "value": "aa"}
        ]}],
        # display is readOnly for a loaded members attribute: dropped as in PUT.
        {"members": [*TOUR_GUIDES["members"], {"value": "aa", "$ref": "https://example.com/v2/Users/aa"}]},
        {"members"},
    ),
    (
        "rfc-add-without-path",
        BJENSEN,
        USER,
        [{"op": "add", "value": {
            "emails": [{"value": "babs@example.org", "type": "other"}], "nickName": "Babs"
        }}],
        {"emails": [*BJENSEN["emails"], {"value": "babs@example.org", "type": "other"}],
         "nickName": "Babs"},
        {"emails", "nickName"},
    ),
    (
        "add-existing-email-is-no-duplicate",
        BJENSEN,
        USER,
        [{"op": "add", "path": "emails", "value": [{"value": "BABS@jensen.org", "type": "home"}]}],
        {"emails": [BJENSEN["emails"][0], {"value": "BABS@jensen.org", "type": "home"}]},
        {"emails"},
    ),
    (
        "add-identical-email-changes-nothing",
        BJENSEN,
        USER,
        [{"op": "add", "path": "emails", "value": [{"value": "babs@jensen.org", "type": "home"}]}],
        {"emails": BJENSEN["emails"]},
        set(),
    ),
    (
        "add-single-valued-replaces",
        BJENSEN,
        USER,
        [{"op": "add", "path": "displayName", "value": "Babs"}],
        {"displayName": "Babs"},
        {"displayName"},
    ),
    (
        "add-complex-merges",
        BJENSEN,
        USER,
        [{"op": "add", "path": "name", "value": {"middleName": "Jane", "givenName": "Barb"}}],
        {"name": {**BJENSEN["name"], "middleName": "Jane", "givenName": "Barb"}},
        {"name.middleName", "name.givenName"},
    ),
    (
        "add-primary-email-clears-other-primary",
        BJENSEN,
        USER,
        [{"op": "add", "path": "emails", "value": {"value": "new@example.com", "primary": True}}],
        {"emails": [{**BJENSEN["emails"][0], "primary": False}, BJENSEN["emails"][1],
                    {"value": "new@example.com", "primary": True}]},
        {"emails"},
    ),
    # RFC 7644 §3.5.2.2 remove.
    (
        "rfc-remove-member-by-filter",
        TOUR_GUIDES,
        GROUP,
        [{"op": "remove", "path": 'members[value eq "2819c223"]'}],
        {"members": [{"value": "902c246b"}]},
        {"members"},
    ),
    (
        "rfc-remove-all-members",
        TOUR_GUIDES,
        GROUP,
        [{"op": "remove", "path": "members"}],
        {"members": ABSENT},
        {"members"},
    ),
    (
        "rfc-remove-all-then-add",
        TOUR_GUIDES,
        GROUP,
        [{"op": "remove", "path": "members"},
         {"op": "add", "path": "members", "value": [{"value": "ff"}, {"value": "ee"}]}],
        {"members": [{"value": "ff"}, {"value": "ee"}]},
        {"members"},
    ),
    (
        "rfc-remove-and-add-certificate",
        BJENSEN,
        USER,
        [{"op": "remove", "path": 'x509Certificates[value eq "TXlPbGRDZXJ0aWZpY2F0ZQ=="]'},
         {"op": "add", "path": "x509Certificates", "value": [{"value": "TXlOZXdDZXJ0"}]}],
        {"x509Certificates": [{"value": "TXlOZXdDZXJ0"}]},
        {"x509Certificates"},
    ),
    (
        "rfc-remove-emails-by-complex-filter",
        BJENSEN,
        USER,
        [{"op": "remove", "path": 'emails[type eq "work" and value ew "example.com"]'}],
        {"emails": [BJENSEN["emails"][1]]},
        {"emails"},
    ),
    (
        "remove-filter-matching-nothing-is-a-no-op",
        BJENSEN,
        USER,
        [{"op": "remove", "path": 'emails[type eq "pager"]'}],
        {"emails": BJENSEN["emails"]},
        set(),
    ),
    (
        "remove-sub-attribute",
        BJENSEN,
        USER,
        [{"op": "remove", "path": "name.givenName"}],
        {"name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen"}},
        {"name.givenName"},
    ),
    (
        "remove-sub-attribute-of-filtered-elements",
        BJENSEN,
        USER,
        [{"op": "remove", "path": 'addresses[type eq "work"].streetAddress'}],
        {"addresses": [{k: v for k, v in BJENSEN["addresses"][0].items() if k != "streetAddress"}]},
        {"addresses"},
    ),
    (
        "remove-single-valued",
        BJENSEN,
        USER,
        [{"op": "remove", "path": "displayName"}],
        {"displayName": ABSENT},
        {"displayName"},
    ),
    (
        "remove-last-extension-attribute-drops-extension",
        {"userName": "u", E: {"department": "Sales"}},
        USER,
        [{"op": "remove", "path": f"{E}:department"}],
        {E: ABSENT},
        {f"{E}:department"},
    ),
    (
        "remove-whole-extension-by-urn",
        BJENSEN,
        USER,
        [{"op": "remove", "path": E}],
        {E: ABSENT},
        {f"{E}:employeeNumber", f"{E}:department", f"{E}:manager.value", f"{E}:manager.$ref"},
    ),
    # RFC 7644 §3.5.2.3 replace.
    (
        "rfc-replace-members",
        TOUR_GUIDES,
        GROUP,
        [{"op": "replace", "path": "members", "value": [
            {"display": "Babs Jensen", "value": "2819c223"},
            {"display": "James Smith", "value": "08e1d05d"},
        ]}],
        {"members": [{"value": "2819c223"}, {"value": "08e1d05d"}]},
        {"members"},
    ),
    (
        "rfc-replace-work-address",
        BJENSEN,
        USER,
        [{"op": "replace", "path": 'addresses[type eq "work"]', "value": {
            "type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
            "region": "CA", "postalCode": "91608", "country": "US", "primary": True,
        }}],
        {"addresses": [{
            "type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
            "region": "CA", "postalCode": "91608", "country": "US", "primary": True,
        }]},
        {"addresses"},
    ),
    (
        "replace-filtered-element-keeps-filter-equalities",
        BJENSEN,
        USER,
        [{"op": "replace", "path": 'emails[type eq "work"]', "value": {"value": "b@example.net"}}],
        {"emails": [{"type": "work", "value": "b@example.net"}, BJENSEN["emails"][1]]},
        {"emails"},
    ),
    (
        "rfc-replace-work-street-address",
        BJENSEN,
        USER,
        [{"op": "replace", "path": 'addresses[type eq "work"].streetAddress',
          "value": "1010 Broadway Ave"}],
        {"addresses": [{**BJENSEN["addresses"][0], "streetAddress": "1010 Broadway Ave"}]},
        {"addresses"},
    ),
    (
        "rfc-replace-work-email-value",
        BJENSEN,
        USER,
        [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "b@example.net"}],
        {"emails": [{**BJENSEN["emails"][0], "value": "b@example.net"}, BJENSEN["emails"][1]]},
        {"emails"},
    ),
    (
        "rfc-replace-without-path",
        BJENSEN,
        USER,
        [{"op": "replace", "value": {
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True},
                       {"value": "babs@jensen.org", "type": "home"}],
            "nickName": "Babs",
        }}],
        {"emails": BJENSEN["emails"], "nickName": "Babs"},
        {"nickName"},
    ),
    (
        "replace-whole-list",
        BJENSEN,
        USER,
        [{"op": "replace", "path": "emails", "value": [work("only@example.com")]}],
        {"emails": [work("only@example.com")]},
        {"emails"},
    ),
    (
        "replace-with-same-value-changes-nothing",
        BJENSEN,
        USER,
        [{"op": "replace", "path": "displayName", "value": "Babs Jensen"},
         {"op": "replace", "path": "name.givenName", "value": "Barbara"},
         {"op": "replace", "path": "active", "value": True}],
        {"displayName": "Babs Jensen"},
        set(),
    ),
    (
        "replace-primary-element-clears-other-primary",
        BJENSEN,
        USER,
        [{"op": "replace", "path": 'emails[type eq "home"].primary', "value": True}],
        {"emails": [{**BJENSEN["emails"][0], "primary": False},
                    {**BJENSEN["emails"][1], "primary": True}]},
        {"emails"},
    ),
    (
        "core-urn-qualified-path",
        BJENSEN,
        USER,
        [{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName",
          "value": "Smith"}],
        {"name": {**BJENSEN["name"], "familyName": "Smith"}},
        {"name.familyName"},
    ),
    (
        "attribute-names-are-case-insensitive",
        BJENSEN,
        USER,
        [{"op": "replace", "path": "NAME.GIVENNAME", "value": "B"},
         {"op": "replace", "path": 'EMAILS[TYPE eq "work"].VALUE', "value": "x@example.com"}],
        {"name": {**BJENSEN["name"], "givenName": "B"},
         "emails": [{**BJENSEN["emails"][0], "value": "x@example.com"}, BJENSEN["emails"][1]]},
        {"name.givenName", "emails"},
    ),
    (
        "add-to-extension-by-urn-path",
        {"userName": "u"},
        USER,
        [{"op": "add", "path": E, "value": {"department": "Sales", "costCenter": "4130"}}],
        {E: {"department": "Sales", "costCenter": "4130"}},
        {f"{E}:department", f"{E}:costCenter"},
    ),
    (
        "no-path-extension-object",
        BJENSEN,
        USER,
        [{"op": "replace", "value": {E: {"employeeNumber": "1", "division": "North"}}}],
        {E: {**BJENSEN[E], "employeeNumber": "1", "division": "North"}},
        {f"{E}:employeeNumber", f"{E}:division"},
    ),
    (
        "no-path-ignores-id-meta-schemas-and-unknown-keys",
        BJENSEN,
        USER,
        [{"op": "replace", "value": {
            "id": "other", "meta": {"resourceType": "User"}, "schemas": ["x"],
            "favouriteColour": "blue", "urn:acme:2.0:User:tag": "x", "title": "Tour Guide",
        }}],
        {"title": "Tour Guide", "id": ABSENT, "meta": ABSENT},
        {"title"},
    ),
    # Entra ID.
    (
        "entra-default-job-update",
        HOME_ONLY,
        USER,
        [
            {"op": "Replace", "path": "displayName", "value": "Pvlo"},
            {"op": "Replace", "path": 'emails[type eq "work"].value',
             "value": "TestBcwqnm@test.microsoft.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
            {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
            {"op": "Replace", "path": "externalId", "value": "Eqpj"},
            {"op": "Replace", "path": f"{E}:employeeNumber", "value": "Eqpj"},
        ],
        {"displayName": "Pvlo",
         "emails": [*HOME_ONLY["emails"], work("TestBcwqnm@test.microsoft.com")],
         "name": {"givenName": "Gtfd", "familyName": "Pkqf"},
         "externalId": "Eqpj",
         E: {"employeeNumber": "Eqpj"}},
        {"displayName", "emails", "name.givenName", "name.familyName", "externalId",
         f"{E}:employeeNumber"},
    ),
    (
        "entra-flagged-no-path-dotted-and-urn-keys",
        HOME_ONLY,
        USER,
        [
            {"op": "replace", "path": 'emails[type eq "work"].value',
             "value": "TestMhvaes@test.microsoft.com"},
            {"op": "replace", "value": {
                "displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua",
                f"{E}:employeeNumber": "Aklq",
            }},
        ],
        {"displayName": "Bjfe",
         "emails": [*HOME_ONLY["emails"], work("TestMhvaes@test.microsoft.com")],
         "name": {"givenName": "Kkom", "familyName": "Unua"},
         E: {"employeeNumber": "Aklq"}},
        {"displayName", "emails", "name.givenName", "name.familyName", f"{E}:employeeNumber"},
    ),
    (
        "entra-add-with-dotted-keys",
        HOME_ONLY,
        USER,
        [{"op": "Add", "value": {"name.givenName": "Kkom", f"{E}:department": "Sales"}}],
        {"name": {"givenName": "Kkom"}, E: {"department": "Sales"}},
        {"name.givenName", f"{E}:department"},
    ),
    (
        "entra-add-nickname",
        HOME_ONLY,
        USER,
        [{"op": "Add", "path": "nickName", "value": "Babs"}],
        {"nickName": "Babs"},
        {"nickName"},
    ),
    (
        "entra-replace-username",
        HOME_ONLY,
        USER,
        [{"op": "Replace", "path": "userName", "value": "renamed@example.com"}],
        {"userName": "renamed@example.com"},
        {"userName"},
    ),
    (
        "entra-deactivate-with-string-false",
        BJENSEN,
        USER,
        [{"op": "Replace", "path": "active", "value": "False"}],
        {"active": False},
        {"active"},
    ),
    (
        "entra-reactivate-with-string-true",
        {**HOME_ONLY, "active": False},
        USER,
        [{"op": "Replace", "path": "active", "value": "True"}],
        {"active": True},
        {"active"},
    ),
    (
        "entra-flagged-deactivate-with-boolean",
        BJENSEN,
        USER,
        [{"op": "replace", "path": "active", "value": False}],
        {"active": False},
        {"active"},
    ),
    (
        "entra-manager-string-by-urn-path",
        HOME_ONLY,
        USER,
        [{"op": "Add", "path": f"{E}:manager", "value": "m-1"}],
        {E: {"manager": {"value": "m-1"}}},
        {f"{E}:manager.value"},
    ),
    (
        "entra-manager-replaced-by-another-id",
        BJENSEN,
        USER,
        [{"op": "Replace", "path": f"{E}:manager", "value": "m-2"}],
        {E: {**BJENSEN[E], "manager": {"value": "m-2"}}},
        {f"{E}:manager.value", f"{E}:manager.$ref"},
    ),
    (
        "entra-manager-list-unqualified",
        HOME_ONLY,
        USER,
        [{"op": "Add", "path": "manager",
          "value": [{"$ref": "http://example.com/scim/Users/m-3", "value": "m-3"}]}],
        {E: {"manager": {"$ref": "http://example.com/scim/Users/m-3", "value": "m-3"}}},
        {f"{E}:manager.value", f"{E}:manager.$ref"},
    ),
    (
        "entra-manager-value-sub-attribute",
        BJENSEN,
        USER,
        [{"op": "replace", "path": f"{E}:manager.value", "value": "m-4"}],
        {E: {**BJENSEN[E], "manager": {"value": "m-4", "$ref": "../Users/26118915"}}},
        {f"{E}:manager.value"},
    ),
    (
        "entra-manager-cleared-with-empty-string",
        BJENSEN,
        USER,
        [{"op": "Replace", "path": f"{E}:manager", "value": ""}],
        {E: {"employeeNumber": "701984", "department": "Tour Operations"}},
        {f"{E}:manager.value", f"{E}:manager.$ref"},
    ),
    (
        "manager-cleared-with-null",
        BJENSEN,
        USER,
        [{"op": "replace", "path": "manager", "value": None}],
        {E: {"employeeNumber": "701984", "department": "Tour Operations"}},
        {f"{E}:manager.value", f"{E}:manager.$ref"},
    ),
    (
        "entra-null-update-clears",
        BJENSEN,
        USER,
        [{"op": "Replace", "path": "displayName", "value": ""},
         {"op": "Replace", "path": "name.givenName", "value": None},
         {"op": "Replace", "path": f"{E}:department", "value": ""},
         {"op": "Replace", "path": "addresses", "value": None},
         {"op": "replace", "value": {"externalId": None, "emails": ""}}],
        {"displayName": ABSENT,
         "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen"},
         "addresses": ABSENT, "externalId": ABSENT, "emails": ABSENT,
         E: {"employeeNumber": "701984", "manager": BJENSEN[E]["manager"]}},
        {"displayName", "name.givenName", f"{E}:department", "addresses", "externalId",
         "emails"},
    ),
    (
        "entra-work-email-updated-when-present",
        BJENSEN,
        USER,
        [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"}],
        {"emails": [{**BJENSEN["emails"][0], "value": "new@example.com"}, BJENSEN["emails"][1]]},
        {"emails"},
    ),
    (
        "entra-add-members-with-null-ref",
        TOUR_GUIDES,
        GROUP,
        [{"op": "Add", "path": "members",
          "value": [{"$ref": None, "value": "u-1"}, {"$ref": None, "value": "u-2"}]}],
        {"members": [*TOUR_GUIDES["members"], {"value": "u-1"}, {"value": "u-2"}]},
        {"members"},
    ),
    (
        "entra-remove-members-with-value-list",
        TOUR_GUIDES,
        GROUP,
        [{"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "2819c223"}]}],
        {"members": [{"value": "902c246b"}]},
        {"members"},
    ),
    (
        "entra-rename-group",
        TOUR_GUIDES,
        GROUP,
        [{"op": "Replace", "path": "displayName", "value": "Guides"}],
        {"displayName": "Guides", "members": TOUR_GUIDES["members"]},
        {"displayName"},
    ),
    # Okta.
    (
        "okta-deactivate",
        BJENSEN,
        USER,
        [{"op": "replace", "value": {"active": False}}],
        {"active": False},
        {"active"},
    ),
    (
        "okta-rename-group-with-id-in-value",
        TOUR_GUIDES,
        GROUP,
        [{"op": "replace", "value": {"id": "abf4dd94", "displayName": "New name"}}],
        {"displayName": "New name", "id": ABSENT},
        {"displayName"},
    ),
    (
        "okta-membership-update",
        TOUR_GUIDES,
        GROUP,
        [{"op": "remove", "path": 'members[value eq "2819c223"]'},
         {"op": "remove", "path": 'members[value eq "902c246b"]'},
         {"op": "add", "path": "members", "value": [{"value": "u-3", "display": "steve@x.com"}]}],
        {"members": [{"value": "u-3"}]},
        {"members"},
    ),
    (
        "okta-full-push",
        TOUR_GUIDES,
        GROUP,
        [{"op": "replace", "path": "members",
          "value": [{"value": "902c246b", "display": "a"}, {"value": "u-4", "display": "b"}]}],
        {"members": [{"value": "902c246b"}, {"value": "u-4"}]},
        {"members"},
    ),
]


@pytest.mark.parametrize(
    ("resource", "resource_type", "operations", "expected", "changed"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_patch(resource, resource_type, operations, expected, changed):
    result = run(resource, operations, resource_type)
    for key, value in expected.items():
        assert value_at(result.resource, key) == value, key
    assert result.changed == changed
    assert result.deltas == {}


def test_schemas_may_be_missing():
    operation = {"op": "replace", "path": "title", "value": "x"}
    result = apply_patch(BJENSEN, {"Operations": [operation]}, USER)
    assert result.resource["title"] == "x"


def test_lowercase_operations_key_is_accepted():
    result = apply_patch(BJENSEN, {"schemas": [PATCH_OP_URN], "operations": [
        {"OP": "REPLACE", "PATH": "title", "VALUE": "x"}
    ]}, USER)
    assert result.resource["title"] == "x"


def test_result_does_not_share_values_with_input():
    result = run(BJENSEN, [{"op": "replace", "path": "title", "value": "x"}])
    result.resource["emails"][0]["value"] = "changed"
    result.resource[E]["department"] = "changed"
    assert BJENSEN["emails"][0]["value"] == "bjensen@example.com"
    assert BJENSEN[E]["department"] == "Tour Operations"


def test_operations_apply_in_order():
    result = run(BJENSEN, [
        {"op": "replace", "path": "title", "value": "first"},
        {"op": "remove", "path": "title"},
        {"op": "add", "path": "title", "value": "last"},
    ])
    assert result.resource["title"] == "last"
    assert result.changed == {"title"}


def test_work_email_created_then_updated_not_duplicated():
    result = run(HOME_ONLY, [
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "a@example.com"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "b@example.com"},
    ])
    assert result.resource["emails"] == [*HOME_ONLY["emails"], work("b@example.com")]


def test_created_element_from_and_filter():
    path = 'phoneNumbers[type eq "work" and primary eq true]'
    result = run(HOME_ONLY, [{"op": "add", "path": path, "value": {"value": "+1 555"}}])
    assert result.resource["phoneNumbers"] == [{"type": "work", "primary": True, "value": "+1 555"}]


def test_clearing_a_missing_filtered_value_creates_nothing():
    operation = {"op": "Replace", "path": 'emails[type eq "work"].value', "value": ""}
    result = run(HOME_ONLY, [operation])
    assert result.resource["emails"] == HOME_ONLY["emails"]
    assert result.changed == set()


ACME = Schema(
    id="urn:ietf:params:scim:schemas:extension:acme:2.0:User",
    name="AcmeUser",
    attributes=(Attribute("badge", mutability="immutable"),),
)
ACME_USER = user_resource_type([ACME])


@pytest.mark.parametrize(
    ("resource", "operation", "expected"),
    [
        pytest.param({"userName": "u"}, {"op": "add", "path": "badge", "value": "7"}, "7",
                     id="set-when-absent"),
        pytest.param({"userName": "u", ACME.id: {"badge": "7"}},
                     {"op": "replace", "value": {f"{ACME.id}:badge": "7"}}, "7",
                     id="same-value"),
        pytest.param({"userName": "u", ACME.id: {"badge": "7"}},
                     {"op": "replace", "path": "badge", "value": "8"}, Mutability,
                     id="changed"),
        pytest.param({"userName": "u", ACME.id: {"badge": "7"}},
                     {"op": "remove", "path": f"{ACME.id}:badge"}, Mutability,
                     id="removed"),
    ],
)
def test_immutable_attribute(resource, operation, expected):
    if expected is Mutability:
        with pytest.raises(Mutability):
            run(resource, [operation], ACME_USER)
        return
    result = run(resource, [operation], ACME_USER)
    assert result.resource[ACME.id] == {"badge": expected}


# Errors: (id, resource, resource type, body, scimType).
ERRORS = [
    ("body-not-an-object", BJENSEN, USER, ["op"], "invalidSyntax"),
    ("wrong-schema", BJENSEN, USER,
     {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "Operations": [
         {"op": "replace", "path": "title", "value": "x"}]}, "invalidSyntax"),
    ("schemas-not-a-list", BJENSEN, USER,
     {"schemas": PATCH_OP_URN, "Operations": [{"op": "remove", "path": "title"}]}, "invalidSyntax"),
    ("operations-missing", BJENSEN, USER, {"schemas": [PATCH_OP_URN]}, "invalidSyntax"),
    ("operations-not-a-list", BJENSEN, USER,
     {"schemas": [PATCH_OP_URN], "Operations": {"op": "add"}}, "invalidSyntax"),
    ("operations-empty", BJENSEN, USER, body(), "invalidValue"),
    ("operation-not-an-object", BJENSEN, USER, body("add"), "invalidSyntax"),
    ("op-missing", BJENSEN, USER, body({"path": "title", "value": "x"}), "invalidSyntax"),
    ("op-unknown", BJENSEN, USER, body({"op": "move", "path": "title", "value": "x"}),
     "invalidSyntax"),
    ("op-not-a-string", BJENSEN, USER, body({"op": 1, "path": "title"}), "invalidSyntax"),
    ("path-not-a-string", BJENSEN, USER, body({"op": "add", "path": 3, "value": "x"}),
     "invalidSyntax"),
    ("remove-without-path", BJENSEN, USER, body({"op": "remove"}), "noTarget"),
    ("remove-with-empty-path", BJENSEN, USER, body({"op": "Remove", "path": " "}), "noTarget"),
    ("add-without-value", BJENSEN, USER, body({"op": "add", "path": "title"}), "invalidValue"),
    ("replace-without-path-or-value", BJENSEN, USER, body({"op": "replace"}), "invalidValue"),
    ("no-path-value-not-an-object", BJENSEN, USER, body({"op": "replace", "value": "x"}),
     "invalidValue"),
    ("unknown-attribute", BJENSEN, USER,
     body({"op": "replace", "path": "favouriteColour", "value": "x"}), "invalidPath"),
    ("unknown-sub-attribute", BJENSEN, USER,
     body({"op": "replace", "path": "name.nickname", "value": "x"}), "invalidPath"),
    ("unknown-extension", BJENSEN, USER,
     body({"op": "replace", "path": "urn:acme:2.0:User:tag", "value": "x"}), "invalidPath"),
    ("malformed-path", BJENSEN, USER,
     body({"op": "replace", "path": 'emails[type eq "work"', "value": "x"}), "invalidPath"),
    ("sub-attribute-of-multi-valued-without-filter", BJENSEN, USER,
     body({"op": "replace", "path": "emails.value", "value": "x"}), "invalidPath"),
    ("filter-on-single-valued", BJENSEN, USER,
     body({"op": "replace", "path": 'name[givenName eq "x"]', "value": {}}), "invalidPath"),
    ("filter-unknown-sub-attribute", BJENSEN, USER,
     body({"op": "remove", "path": 'emails[colour eq "red"]'}), "invalidFilter"),
    ("filtered-unknown-sub-attribute", BJENSEN, USER,
     body({"op": "replace", "path": 'emails[type eq "work"].colour', "value": "x"}),
     "invalidPath"),
    ("replace-filter-no-match-not-creatable", BJENSEN, USER,
     body({"op": "replace", "path": 'emails[value co "nowhere"].value', "value": "x"}),
     "noTarget"),
    ("id-is-read-only", BJENSEN, USER, body({"op": "replace", "path": "id", "value": "x"}),
     "mutability"),
    ("meta-is-read-only", BJENSEN, USER,
     body({"op": "replace", "path": "meta.lastModified", "value": "2024-01-01T00:00:00Z"}),
     "mutability"),
    ("groups-is-read-only", BJENSEN, USER,
     body({"op": "add", "path": "groups", "value": [{"value": "g"}]}), "mutability"),
    ("groups-is-read-only-without-path", BJENSEN, USER,
     body({"op": "add", "value": {"groups": []}}), "mutability"),
    ("manager-display-name-is-read-only", BJENSEN, USER,
     body({"op": "replace", "path": "manager.displayName", "value": "x"}), "mutability"),
    ("required-attribute-removed", BJENSEN, USER,
     body({"op": "remove", "path": "userName"}), "mutability"),
    ("required-attribute-cleared", BJENSEN, USER,
     body({"op": "Replace", "path": "userName", "value": ""}), "mutability"),
    ("required-group-name-cleared", TOUR_GUIDES, GROUP,
     body({"op": "replace", "value": {"displayName": None}}), "mutability"),
    ("immutable-member-value-changed", TOUR_GUIDES, GROUP,
     body({"op": "replace", "path": 'members[value eq "2819c223"].value', "value": "x"}),
     "mutability"),
    ("boolean-garbage", BJENSEN, USER,
     body({"op": "Replace", "path": "active", "value": "maybe"}), "invalidValue"),
    ("string-given-an-object", BJENSEN, USER,
     body({"op": "replace", "path": "title", "value": {"a": 1}}), "invalidValue"),
    ("complex-given-a-number", BJENSEN, USER,
     body({"op": "replace", "path": "name", "value": True}), "invalidValue"),
    ("manager-list-of-two", BJENSEN, USER,
     body({"op": "add", "path": "manager", "value": [{"value": "a"}, {"value": "b"}]}),
     "invalidValue"),
    ("extension-value-not-an-object", BJENSEN, USER,
     body({"op": "add", "path": E, "value": "x"}), "invalidValue"),
    ("remove-core-schema", BJENSEN, USER,
     body({"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:User"}), "invalidPath"),
]


@pytest.mark.parametrize(
    ("resource", "resource_type", "patch_body", "scim_type"),
    [pytest.param(*case[1:], id=case[0]) for case in ERRORS],
)
def test_patch_errors(resource, resource_type, patch_body, scim_type):
    before = copy.deepcopy(resource)
    with pytest.raises(ScimError) as caught:
        apply_patch(resource, patch_body, resource_type)
    assert caught.value.scim_type == scim_type
    assert caught.value.status == 400
    assert caught.value.detail
    assert resource == before


def test_error_detail_names_the_operation():
    with pytest.raises(ScimError) as caught:
        run(BJENSEN, [{"op": "replace", "path": "title", "value": "x"},
                      {"op": "replace", "path": "nope", "value": "x"}])
    assert caught.value.detail.startswith("Operations[1]: ")
    assert caught.value.as_dict()["detail"] == caught.value.detail


@pytest.mark.parametrize(("count", "allowed"), [(3, 3), (4, 3)])
def test_max_operations(count, allowed):
    operations = [{"op": "add", "path": "title", "value": str(i)} for i in range(count)]
    if count <= allowed:
        assert run(BJENSEN, operations, max_operations=allowed).resource["title"] == str(count - 1)
        return
    with pytest.raises(ScimError) as caught:
        run(BJENSEN, operations, max_operations=allowed)
    assert caught.value.scim_type == "invalidValue"
    assert "at most 3" in caught.value.detail


# Delta attributes: (id, operations, expected delta).
DELTAS = [
    (
        "add-deduplicated-by-value",
        [{"op": "add", "path": "members", "value": [
            {"value": "u1", "display": "one"},
            {"value": "u2"},
            {"value": "u1", "display": "uno"},
        ]}],
        MultiValueDelta(added=[{"value": "u1", "display": "uno"}, {"value": "u2"}]),
    ),
    (
        "add-several-ops-and-integer-ids",
        [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": 42}]},
         {"op": "Add", "path": "members", "value": {"value": "u2", "type": "User"}}],
        MultiValueDelta(added=[{"value": "42"}, {"value": "u2", "type": "User"}]),
    ),
    (
        "remove-by-filter",
        [{"op": "remove", "path": 'members[value eq "u1"]'}],
        MultiValueDelta(removed={"u1"}),
    ),
    (
        "remove-by-or-filter",
        [{"op": "remove", "path": 'members[value eq "u1" or value eq "u2" or value eq 3]'}],
        MultiValueDelta(removed={"u1", "u2", "3"}),
    ),
    (
        "entra-remove-with-value-list",
        [{"op": "Remove", "path": "members",
          "value": [{"$ref": None, "value": "u1"}, {"$ref": None, "value": "u2"}]}],
        MultiValueDelta(removed={"u1", "u2"}),
    ),
    (
        "remove-all",
        [{"op": "remove", "path": "members"}],
        MultiValueDelta(cleared=True),
    ),
    (
        "replace-deduplicated",
        [{"op": "replace", "path": "members", "value": [{"value": "u1"}, {"value": "u1"}]}],
        MultiValueDelta(replaced=[{"value": "u1"}]),
    ),
    (
        "replace-with-empty-list",
        [{"op": "replace", "path": "members", "value": []}],
        MultiValueDelta(replaced=[]),
    ),
    (
        "no-path-replace",
        [{"op": "replace", "value": {"displayName": "G", "members": [{"value": "u1"}]}}],
        MultiValueDelta(replaced=[{"value": "u1"}]),
    ),
    (
        "no-path-add",
        [{"op": "add", "value": {"members": [{"value": "u1"}]}}],
        MultiValueDelta(added=[{"value": "u1"}]),
    ),
    (
        "add-then-remove-same-value",
        [{"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
         {"op": "remove", "path": 'members[value eq "u1"]'}],
        MultiValueDelta(added=[{"value": "u2"}], removed={"u1"}),
    ),
    (
        "remove-then-add-same-value",
        [{"op": "remove", "path": 'members[value eq "u1"]'},
         {"op": "add", "path": "members", "value": [{"value": "u1"}]}],
        MultiValueDelta(added=[{"value": "u1"}]),
    ),
    (
        "okta-membership-update",
        [{"op": "remove", "path": 'members[value eq "u1"]'},
         {"op": "remove", "path": 'members[value eq "u2"]'},
         {"op": "add", "path": "members", "value": [{"value": "u3", "display": "steve@x.com"}]}],
        MultiValueDelta(added=[{"value": "u3", "display": "steve@x.com"}], removed={"u1", "u2"}),
    ),
    (
        "clear-then-add",
        [{"op": "remove", "path": "members"},
         {"op": "add", "path": "members", "value": [{"value": "u1"}]},
         {"op": "remove", "path": 'members[value eq "u9"]'}],
        MultiValueDelta(added=[{"value": "u1"}], cleared=True),
    ),
    (
        "replace-then-add-and-remove",
        [{"op": "replace", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
         {"op": "add", "path": "members", "value": [{"value": "u3"}]},
         {"op": "remove", "path": 'members[value eq "u1"]'}],
        MultiValueDelta(replaced=[{"value": "u2"}, {"value": "u3"}]),
    ),
]


class Untouchable(list):
    """A members list that fails the test if the engine reads it."""

    def _fail(self, *args: Any) -> Any:
        raise AssertionError("the engine read a delta attribute")

    __iter__ = __len__ = __getitem__ = __deepcopy__ = __copy__ = __eq__ = _fail


@pytest.mark.parametrize(
    ("operations", "expected"), [pytest.param(*case[1:], id=case[0]) for case in DELTAS]
)
def test_delta_attribute(operations, expected):
    group = {"displayName": "Tour Guides"}
    result = run(group, operations, GROUP, delta_attributes=MEMBERS)
    assert result.deltas == {"members": expected}
    assert "members" in result.changed
    assert "members" not in result.resource


def test_delta_attribute_is_never_read_or_written():
    members = Untouchable()
    group = {"displayName": "Tour Guides", "members": members}
    result = apply_patch(group, body(
        {"op": "add", "path": "members", "value": [{"value": "u1"}]},
        {"op": "remove", "path": 'members[value eq "u2"]'},
        {"op": "replace", "value": {"id": "g", "displayName": "Guides"}},
    ), GROUP, delta_attributes=MEMBERS)
    assert result.resource["members"] is members
    assert result.changed == {"members", "displayName"}
    assert result.deltas["members"] == MultiValueDelta(added=[{"value": "u1"}], removed={"u2"})


def test_no_delta_recorded_without_member_operations():
    result = run(TOUR_GUIDES, [{"op": "replace", "path": "displayName", "value": "G"}], GROUP,
                 delta_attributes=MEMBERS)
    assert result.deltas == {}
    assert result.changed == {"displayName"}


DELTA_ERRORS = [
    ("filter-not-on-value", {"op": "remove", "path": 'members[display eq "x"]'}, "invalidFilter"),
    ("filter-not-eq", {"op": "remove", "path": 'members[value sw "x"]'}, "invalidFilter"),
    ("filter-and", {"op": "remove", "path": 'members[value eq "x" and type eq "User"]'},
     "invalidFilter"),
    ("sub-attribute", {"op": "replace", "path": 'members[value eq "x"].type', "value": "User"},
     "invalidPath"),
    ("add-with-filter", {"op": "add", "path": 'members[value eq "x"]', "value": {"value": "x"}},
     "invalidPath"),
    ("element-without-value", {"op": "add", "path": "members", "value": [{"display": "x"}]},
     "invalidValue"),
    ("element-with-null-value", {"op": "add", "path": "members", "value": [{"value": None}]},
     "invalidValue"),
    ("element-not-an-object", {"op": "add", "path": "members", "value": [True]}, "invalidValue"),
]


@pytest.mark.parametrize(
    ("operation", "scim_type"), [pytest.param(*case[1:], id=case[0]) for case in DELTA_ERRORS]
)
def test_delta_attribute_errors(operation, scim_type):
    with pytest.raises(ScimError) as caught:
        run({"displayName": "G"}, [operation], GROUP, delta_attributes=MEMBERS)
    assert caught.value.scim_type == scim_type


def test_delta_filter_error_says_only_value_filters_are_supported():
    with pytest.raises(ScimError) as caught:
        run({"displayName": "G"}, [{"op": "remove", "path": 'members[display eq "x"]'}], GROUP,
            delta_attributes=MEMBERS)
    assert 'members[value eq "<id>"]' in caught.value.detail


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (MultiValueDelta(added=[{"value": "c"}, {"value": "a"}], removed={"b"}),
         ["a", "c"]),
        (MultiValueDelta(added=[{"value": "c"}], cleared=True), ["c"]),
        (MultiValueDelta(replaced=[{"value": "z"}]), ["z"]),
    ],
)
def test_delta_apply_reference_semantics(delta, expected):
    assert [e["value"] for e in delta.apply([{"value": "a"}, {"value": "b"}])] == expected


@pytest.mark.parametrize(
    "operations",
    [case[1] for case in DELTAS],
    ids=[case[0] for case in DELTAS],
)
def test_delta_matches_loaded_attribute(operations):
    """Applying the delta to loaded members gives the same values as patching them in place."""
    current = [{"value": "u1"}, {"value": "u2"}, {"value": "u5"}]
    with_delta = run({"displayName": "G"}, operations, GROUP, delta_attributes=MEMBERS)
    loaded = run({"displayName": "G", "members": current}, operations, GROUP)
    via_delta = [e["value"] for e in with_delta.deltas["members"].apply(current)]
    in_place = [e["value"] for e in loaded.resource.get("members", [])]
    assert sorted(via_delta) == sorted(in_place)


# Whatever the input, only ScimError.

PATHS = [
    "displayName", "name.givenName", "name", "emails", 'emails[type eq "work"].value',
    'emails[type eq "work"]', "active", "members", 'members[value eq "u1"]',
    'members[value eq "u1"].display', f"{E}:manager", "manager.value", f"{E}:employeeNumber", E,
    "addresses", 'addresses[type eq "work"].streetAddress', "id", "meta", "groups", "userName",
    "x509Certificates", "phoneNumbers[primary eq true]", "emails[", "", "urn:x:y", "a.b.c",
]
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["value", "type", "primary", "display", "givenName",
                                       "displayName", "members", "emails", "active", "id",
                                       "name.givenName", E, f"{E}:department", "$ref"])
                      | st.text(max_size=5), inner, max_size=4),
    max_leaves=8,
)
operations = st.lists(
    st.dictionaries(
        st.sampled_from(["op", "path", "value", "Op", "extra"]),
        st.sampled_from(["add", "Replace", "remove", "move"]) | st.sampled_from(PATHS)
        | json_values,
        max_size=3,
    )
    | st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "Replace", "remove", "ADD"])},
        optional={"path": st.sampled_from(PATHS) | st.text(max_size=12), "value": json_values},
    )
    | json_scalars,
    max_size=4,
)
bodies = (
    st.fixed_dictionaries(
        {"Operations": operations},
        optional={"schemas": st.just([PATCH_OP_URN]) | json_values},
    )
    | json_values
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    patch_body=bodies,
    resource_type=st.sampled_from([USER, GROUP]),
    deltas=st.sampled_from([frozenset(), MEMBERS]),
)
def test_only_scim_errors(patch_body, resource_type, deltas):
    resource = BJENSEN if resource_type is USER else TOUR_GUIDES
    before = copy.deepcopy(resource)
    try:
        result = apply_patch(resource, patch_body, resource_type, delta_attributes=deltas,
                             max_operations=10)
    except ScimError as error:
        assert error.status == 400
        assert error.detail
    else:
        assert isinstance(result.resource, dict)
        assert all(isinstance(path, str) for path in result.changed)
    assert resource == before
