"""Attribute paths (RFC 7644 §3.10) and PATCH paths (RFC 7644 §3.5.2)."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scim_provider.protocol import filters, paths
from scim_provider.protocol.errors import InvalidPath
from scim_provider.protocol.filters import And, Not, Or, ValuePath
from scim_provider.protocol.paths import (
    AttributePath,
    PatchPath,
    parse_attribute_path,
    parse_patch_path,
)
from tests.unit.filter_cases import CORE_USER, ENTERPRISE, eq, p, pr

LAMBDATEST = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("userName", p("userName")),
        ("name.givenName", p("name", "givenName")),
        ("members.$ref", p("members", "$ref")),
        ("$ref", p("$ref")),
        ("x-custom_1.sub-2_b", p("x-custom_1", "sub-2_b")),
        ("  displayName ", p("displayName")),
        (f"{ENTERPRISE}:manager.value", p("manager", "value", ENTERPRISE)),
        (f"{ENTERPRISE}:employeeNumber", p("employeeNumber", None, ENTERPRISE)),
        (f"{CORE_USER}:userName", p("userName", None, CORE_USER)),
        (f"{CORE_USER}:name.familyName", p("name", "familyName", CORE_USER)),
        (f"{LAMBDATEST}:OrganizationRole", p("OrganizationRole", None, LAMBDATEST)),
        ("urn:a:b", p("b", None, "urn:a")),
    ],
)
def test_parse_attribute_path(text, expected):
    path = parse_attribute_path(text)
    assert path == expected
    assert parse_attribute_path(str(path)) == path
    assert str(path) == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        ".",
        "name.",
        ".name",
        "name.given.x",
        "1abc",
        "_abc",
        "user name",
        "urn:x:",
        f"{ENTERPRISE}:",
        "$refs",
        "ünicode",
        'emails[type eq "work"]',
        "userName eq 1",
    ],
)
def test_parse_attribute_path_rejects(text):
    with pytest.raises(InvalidPath) as info:
        parse_attribute_path(text)
    assert info.value.scim_type == "invalidPath"
    assert repr(text) in info.value.detail


WORK = eq("type", "work")

PATCH_PATHS = [
    # RFC 7644 §3.5.2.1-3
    ("members", PatchPath(p("members"))),
    ("name.familyName", PatchPath(p("name", "familyName"))),
    (
        'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
        PatchPath(p("members"), eq("value", "2819c223-7f76-453a-919d-413861904646")),
    ),
    (
        'emails[type eq "work" and value ew "example.com"]',
        PatchPath(p("emails"), And(WORK, eq("value", "example.com", op="ew"))),
    ),
    (
        'members[value eq "2819c223"].displayName',
        PatchPath(p("members"), eq("value", "2819c223"), "displayName"),
    ),
    ('addresses[type eq "work"].streetAddress', PatchPath(p("addresses"), WORK, "streetAddress")),
    ('emails[type eq "work"]', PatchPath(p("emails"), WORK)),
    # what Okta and Entra send
    ('emails[type eq "work"].value', PatchPath(p("emails"), WORK, "value")),
    ('members[value eq "00aa"]', PatchPath(p("members"), eq("value", "00aa"))),
    ("displayName", PatchPath(p("displayName"))),
    ("active", PatchPath(p("active"))),
    ("externalId", PatchPath(p("externalId"))),
    ("nickName", PatchPath(p("nickName"))),
    ("manager", PatchPath(p("manager"))),
    (f"{ENTERPRISE}:employeeNumber", PatchPath(p("employeeNumber", None, ENTERPRISE))),
    (f"{ENTERPRISE}:department", PatchPath(p("department", None, ENTERPRISE))),
    (f"{ENTERPRISE}:manager", PatchPath(p("manager", None, ENTERPRISE))),
    (f"{ENTERPRISE}:manager.value", PatchPath(p("manager", "value", ENTERPRISE))),
    (f"{LAMBDATEST}:OrganizationRole", PatchPath(p("OrganizationRole", None, LAMBDATEST))),
    (f"{CORE_USER}:name.givenName", PatchPath(p("name", "givenName", CORE_USER))),
    # grammar
    ('EMAILS[TYPE EQ "work"].VALUE', PatchPath(p("EMAILS"), eq("TYPE", "work"), "VALUE")),
    (' emails[type eq "work"] ', PatchPath(p("emails"), WORK)),
    ("members[$ref pr].$ref", PatchPath(p("members"), pr("$ref"), "$ref")),
    (
        'emails[not (type eq "work") or primary eq true]',
        PatchPath(p("emails"), Or(Not(WORK), eq("primary", True))),
    ),
    (
        f'{CORE_USER}:emails[type eq "work"].value',
        PatchPath(p("emails", None, CORE_USER), WORK, "value"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), PATCH_PATHS, ids=[t for t, _ in PATCH_PATHS])
def test_parse_patch_path(text, expected):
    assert parse_patch_path(text) == expected


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("", None),
        ("  ", None),
        ("[type eq 1]", 0),
        ('"members"', 0),
        ('emails[type eq "work"', 21),
        ('emails[type eq "work"].', 23),
        ('emails[type eq "work"].value.x', 23),
        ('emails[type eq "work"].urn:a:b', 23),
        ('emails[type eq "work"] value', 23),
        ('emails[type eq "work"][primary eq true]', 22),
        ('name.givenName[type eq "x"]', 14),
        ("emails[value[x eq 1]]", 12),
        ('emails.value eq "x"', 13),
        ("emails[]", 7),
        ("emails[type]", 11),
        ('emails[type eq "\\x"]', 16),
        ("name.", 4),
        ("name.given.x", 10),
        ("members value", 8),
        ("user name", 5),
        ("emails#", 6),
    ],
)
def test_parse_patch_path_rejects(text, position):
    with pytest.raises(InvalidPath) as info:
        parse_patch_path(text)
    assert info.value.scim_type == "invalidPath"
    assert info.value.status == 400
    found = re.search(r"at position (\d+)", info.value.detail)
    assert (int(found[1]) if found else None) == position, info.value.detail


@pytest.mark.parametrize("value", [None, 5, ["members"], {"path": "x"}])
def test_non_strings_are_invalid_paths(value):
    with pytest.raises(InvalidPath):
        parse_patch_path(value)
    with pytest.raises(InvalidPath):
        parse_attribute_path(value)


def test_parse_patch_path_limits():
    with pytest.raises(InvalidPath, match="longer than 4096"):
        parse_patch_path("members[" + "(" * 5000 + "]")
    with pytest.raises(InvalidPath, match="nested deeper than 50"):
        parse_patch_path("members[" + "(" * 1000 + "value pr" + ")" * 1000 + "]")


def test_patch_path_is_exported_from_both_modules():
    assert filters.PatchPath is paths.PatchPath
    text = 'members[value eq "x"]'
    assert filters.parse_patch_path(text) == paths.parse_patch_path(text)
    assert isinstance(paths.parse_patch_path(text).value_filter, filters.Compare)


def test_value_filter_is_a_filter_node():
    path = parse_patch_path('emails[type eq "work"].value')
    assert filters.to_string(ValuePath(path.attribute, path.value_filter)) == (
        'emails[type eq "work"]'
    )
    assert filters.matches(
        path.value_filter, {"type": "Work", "value": "a@b.c"}
    )  # the element of the multi-valued attribute


@given(st.text(max_size=60) | st.text(alphabet='[]()."$: abemrsvqlu1', max_size=40))
def test_arbitrary_text_raises_only_invalid_path(text):
    try:
        result = parse_patch_path(text)
    except InvalidPath:
        return
    assert isinstance(result, PatchPath)
    assert isinstance(result.attribute, AttributePath)


@given(st.text(max_size=60))
def test_attribute_path_raises_only_invalid_path(text):
    with contextlib.suppress(InvalidPath):
        parse_attribute_path(text)
