"""The differential test of filters: SQL against the protocol core's evaluator.

Each example provisions a small world over HTTP, in a tenant of its own: users with 0-3
emails of various types and primaries, phone numbers, addresses, roles, names, enterprise
attributes, activity; groups with members; sometimes a deleted user or group and a PATCH
of someone's emails. Then it draws filters over the whole grammar (``and``/``or``/``not``,
value paths, every operator, ``pr``, ``null``, names and values in any case, dates,
booleans, ids) from the values the world holds, and checks that ``GET /Users?filter=`` and
``GET /Groups?filter=`` answer exactly the resources that
``scim_provider.protocol.filters.matches`` selects among the listed ones, with an exact
``totalResults`` (RFC 7644 §3.4.2.2). The evaluator sees each resource as GET returns it,
``meta.created``/``meta.lastModified`` as the stored date-times.

Strings are drawn from ASCII and characters without case (``中``, ``→``): SQLite folds the
case of ASCII letters only, and ``userName``/``displayName`` keys are ``lower()``-ed where
the evaluator ``casefold()``-s (the same for these characters). Values compared with an
attribute have its type (a string for a string, ``true``/``false`` for a boolean): other
comparisons are 400 ``invalidFilter`` (tested elsewhere), where the evaluator says "no
match".

``DIFFERENTIAL_EXAMPLES`` (default 30) sets how many worlds; ``DIFFERENTIAL_RANDOM=1`` draws
new ones instead of the reproducible ones CI uses.
"""

from __future__ import annotations

import os
import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.models import ScimGroup, ScimUser
from scim_provider.protocol.errors import ScimError
from scim_provider.protocol.filters import (
    And,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    matches,
    parse_filter,
    to_string,
)
from scim_provider.protocol.paths import AttributePath
from scim_provider.registry import GROUP, USER, registry
from tests.conftest import SCIM
from tests.factories import ENTERPRISE_URN, USER_URN, OrganizationFactory, patch_body

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "30"))
FILTERS_PER_WORLD = 12
USERS = f"{SCIM}/Users"
GROUPS = f"{SCIM}/Groups"

ALPHABET = string.ascii_letters + string.digits + " .@-_%*?[]\\\"'中→"
TEXT = st.text(alphabet=ALPHABET, max_size=6)
OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le")
ORDERED = ("eq", "ne", "gt", "ge", "lt", "le")

# The attributes filtered, by kind: (path, kind); multi-valued ones with their
# sub-attributes (None: the value itself).
USER_SINGLE = [
    (AttributePath("userName"), "string"),
    (AttributePath("externalId"), "string"),
    (AttributePath("displayName"), "string"),
    (AttributePath("title"), "string"),
    (AttributePath("nickName"), "string"),
    (AttributePath("name", "givenName"), "string"),
    (AttributePath("name", "familyName"), "string"),
    (AttributePath("department", None, ENTERPRISE_URN), "string"),
    (AttributePath("employeeNumber", None, ENTERPRISE_URN), "string"),
    (AttributePath("manager", "value", ENTERPRISE_URN), "string"),
    (AttributePath("active"), "boolean"),
    (AttributePath("id"), "uuid"),
    (AttributePath("meta", "created"), "datetime"),
    (AttributePath("meta", "lastModified"), "datetime"),
]
USER_MULTI = {
    "emails": {
        None: "string",
        "value": "string",
        "type": "string",
        "display": "string",
        "primary": "boolean",
    },
    "phoneNumbers": {None: "string", "value": "string", "type": "string"},
    "addresses": {
        "locality": "string",
        "country": "string",
        "type": "string",
        "primary": "boolean",
    },
    "roles": {None: "string", "value": "string", "display": "string", "primary": "boolean"},
    "entitlements": {None: "string", "value": "string"},
    "groups": {None: "uuid", "value": "uuid", "display": "string", "type": "constant"},
}
GROUP_SINGLE = [
    (AttributePath("displayName"), "string"),
    (AttributePath("externalId"), "string"),
    (AttributePath("id"), "uuid"),
    (AttributePath("meta", "created"), "datetime"),
    (AttributePath("meta", "lastModified"), "datetime"),
]
GROUP_MULTI = {"members": {None: "uuid", "value": "uuid", "type": "constant"}}
CONSTANTS = ["direct", "Direct", "indirect", "User", "user", "Group"]


def hypothesis_settings():
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("DIFFERENTIAL_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# The world ---------------------------------------------------------------------------------


def optional(strategy):
    return st.none() | strategy


def element(**subs):
    """A complex value: each sub-attribute present or not."""
    return st.fixed_dictionaries({}, optional=dict(subs.items()))


TYPES = st.sampled_from(["work", "home", "other", "Work", "mobile"]) | TEXT
emails = st.lists(
    element(
        value=st.builds("{}@{}.example".format, TEXT, TEXT) | TEXT,
        type=TYPES,
        primary=st.booleans(),
        display=TEXT,
    ),
    max_size=3,
)
user_bodies = st.fixed_dictionaries(
    {"suffix": TEXT, "active": st.booleans(), "emails": emails},
    optional={
        "externalId": TEXT,
        "displayName": TEXT,
        "title": TEXT,
        "nickName": TEXT,
        "name": element(givenName=TEXT, familyName=TEXT),
        "phoneNumbers": st.lists(element(value=TEXT, type=TYPES), max_size=2),
        "addresses": st.lists(
            element(locality=TEXT, country=TEXT, type=TYPES, primary=st.booleans()), max_size=2
        ),
        "roles": st.lists(
            element(value=TEXT, display=TEXT, primary=st.booleans()), min_size=1, max_size=2
        ),
        "entitlements": st.lists(element(value=TEXT), max_size=1),
        "enterprise": element(department=TEXT, employeeNumber=TEXT, manager=TEXT),
    },
)
worlds = st.fixed_dictionaries(
    {
        "users": st.lists(user_bodies, min_size=2, max_size=5),
        "groups": st.lists(
            st.tuples(TEXT, optional(TEXT), st.lists(st.integers(0, 4), max_size=4)),
            min_size=1,
            max_size=3,
        ),
        "delete_user": st.booleans(),
        "delete_group": st.booleans(),
        "patch_emails": optional(emails),
    }
)


def tenant_client(scim_config) -> APIClient:
    """A client of a tenant of its own: each example's world starts empty (its userNames
    are not email addresses: no domain policy)."""
    scim_config(TENANT_MODEL="testapp.Organization", DOMAIN_POLICY="off")
    org = OrganizationFactory()
    _token, plaintext = services.create_token(f"differential {org.pk}", tenant=org)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    client.prefix = f"t{org.pk}."
    return client


def user_body(prefix: str, index: int, drawn: dict) -> dict:
    body = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "userName": f"{prefix}{index}{drawn['suffix']}",
        "active": drawn["active"],
        "emails": drawn["emails"],
    }
    for key in (
        "externalId",
        "displayName",
        "title",
        "nickName",
        "name",
        "phoneNumbers",
        "addresses",
        "roles",
        "entitlements",
    ):
        if key in drawn:
            body[key] = drawn[key]
    enterprise = dict(drawn.get("enterprise") or {})
    if "manager" in enterprise:
        enterprise["manager"] = {"value": enterprise["manager"]}
    if enterprise:
        body[ENTERPRISE_URN] = enterprise
    return body


def build(client, world: dict) -> None:
    """Provision ``world`` over HTTP; every write must succeed."""
    users = []
    for index, drawn in enumerate(world["users"]):
        response = client.post(USERS, user_body(client.prefix, index, drawn), format="json")
        assert response.status_code == 201, response.content
        users.append(response.json()["id"])
    groups = []
    for index, (name, external_id, members) in enumerate(world["groups"]):
        body = {
            "displayName": f"G{index} {name}",
            "members": [{"value": users[m]} for m in members if m < len(users)],
            **({"externalId": external_id} if external_id is not None else {}),
        }
        response = client.post(GROUPS, body, format="json")
        assert response.status_code == 201, response.content
        groups.append(response.json()["id"])
    if world["patch_emails"] is not None:
        operation = {"op": "replace", "path": "emails", "value": world["patch_emails"]}
        if not world["patch_emails"]:
            operation = {"op": "remove", "path": "emails"}
        response = client.patch(f"{USERS}/{users[-1]}", patch_body(operation), format="json")
        assert response.status_code == 200, response.content
    if world["delete_user"]:
        assert client.delete(f"{USERS}/{users[0]}").status_code == 204
    if world["delete_group"] and groups:
        assert client.delete(f"{GROUPS}/{groups[0]}").status_code == 204


def listed(client, url: str, model) -> list[dict]:
    """The live resources, as GET lists them, with their stored date-times in ``meta``."""
    response = client.get(url, {"count": 1000})
    assert response.status_code == 200, response.content
    resources = response.json()["Resources"]
    stamps = {
        str(scim_id): (created, modified)
        for scim_id, created, modified in model.objects.filter(
            scim_id__in=[r["id"] for r in resources]
        ).values_list("scim_id", "created_at", "updated_at")
    }
    for resource in resources:
        created, modified = stamps[resource["id"]]
        resource["meta"] = {"created": created, "lastModified": modified}
    return resources


# Filters -----------------------------------------------------------------------------------


def values_at(resources: list[dict], path: AttributePath) -> list:
    """Every value of ``path`` (a complex value by its ``value``) in ``resources``."""
    found = []
    for resource in resources:
        container = resource.get(path.urn, {}) if path.urn else resource
        value = container.get(path.attribute) if isinstance(container, dict) else None
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                item = item.get(path.sub_attribute or "value")
            elif path.sub_attribute is not None:
                item = None
            if item is not None:
                found.append(item)
    return found


def pieces(text: str):
    return st.tuples(st.integers(0, len(text)), st.integers(0, len(text))).map(
        lambda ends: text[min(ends) : max(ends)]
    )


def strings_like(actual: list) -> st.SearchStrategy:
    """Strings that hit the world's values (as they are, re-cased, cut) or miss them."""
    texts = sorted({v for v in actual if isinstance(v, str)})
    if not texts:
        return TEXT
    some = st.sampled_from(texts)
    return st.one_of(TEXT, some, some.map(str.upper), some.map(str.swapcase), some.flatmap(pieces))


def renamed(path: AttributePath) -> st.SearchStrategy:
    """``path`` with its names in any case (they are case-insensitive)."""

    def cased(name):
        return st.sampled_from([name, name.upper(), name.lower()]) if name else st.none()

    return st.builds(
        AttributePath, cased(path.attribute), cased(path.sub_attribute), st.just(path.urn)
    )


def leaf(path: AttributePath, kind: str, actual: list) -> st.SearchStrategy:
    """A comparison of ``path`` (of ``kind``) drawn from the values in ``actual``."""
    nulls = st.builds(Compare, renamed(path), st.sampled_from(["eq", "ne"]), st.none())
    present = st.builds(Present, renamed(path))
    if kind == "string":
        value = strings_like(actual)
        operators = st.sampled_from(OPERATORS)
    elif kind == "boolean":
        value, operators = st.booleans(), st.sampled_from(["eq", "ne"])
    elif kind == "constant":
        value, operators = st.sampled_from(CONSTANTS), st.sampled_from(["eq", "ne"])
    elif kind == "uuid":
        ids = sorted({str(v) for v in actual})
        value = st.sampled_from(ids) | st.uuids().map(str) if ids else st.uuids().map(str)
        operators = st.sampled_from(ORDERED)
    else:  # datetime
        stamps = sorted(set(actual))
        moments = (
            st.sampled_from(stamps)
            if stamps
            else st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            )
        )
        nudged = st.tuples(moments, st.sampled_from([-1, 0, 0, 1])).map(
            lambda pair: pair[0] + timedelta(microseconds=pair[1])
        )
        value = nudged.map(lambda moment: moment.isoformat())
        operators = st.sampled_from(ORDERED)
    compare = st.builds(Compare, renamed(path), operators, value)
    return st.one_of(compare, compare, compare, present, nulls)


def combined(leaves: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(And, inner, inner), st.builds(Or, inner, inner), st.builds(Not, inner)
        ),
        max_leaves=4,
    )


def filters(resources: list[dict], single: list, multi: dict) -> st.SearchStrategy:
    """Filters over the attributes of one resource type, drawn from ``resources``."""
    leaves = [leaf(path, kind, values_at(resources, path)) for path, kind in single]
    for name, subs in multi.items():
        attribute = AttributePath(name)
        leaves.append(st.builds(Present, renamed(attribute)))
        inner = []
        for sub, kind in subs.items():
            actual = values_at(resources, AttributePath(name, sub))
            leaves.append(leaf(AttributePath(name, sub), kind, actual))
            if sub is not None:
                inner.append(leaf(AttributePath(sub), kind, actual))
        leaves.append(st.builds(ValuePath, renamed(attribute), combined(st.one_of(inner))))
    return combined(st.one_of(leaves))


def case_exact(resource_type):
    def check(path: AttributePath) -> bool:
        try:
            _schema, attribute, sub = resource_type.resolve(path)
        except ScimError:
            return False
        return (sub or attribute).case_exact

    return check


def assert_agree(client, url: str, node, resources: list[dict], resource_type) -> None:
    text = to_string(node)
    assert parse_filter(text) == node
    response = client.get(url, {"filter": text, "count": 1000})
    assert response.status_code == 200, (text, response.content)
    body = response.json()
    got = [resource["id"] for resource in body["Resources"]]
    assert body["totalResults"] == len(got) == len(set(got)), text
    exact = case_exact(resource_type)
    wanted = {r["id"] for r in resources if matches(node, r, case_exact=exact)}
    assert set(got) == wanted, (text, resources)


@hypothesis_settings()
@given(data=st.data())
def test_sql_agrees_with_the_evaluator(data, scim_config):
    client = tenant_client(scim_config)
    build(client, data.draw(worlds, label="world"))
    users = listed(client, USERS, ScimUser)
    groups = listed(client, GROUPS, ScimGroup)
    user_filters = filters(users, USER_SINGLE, USER_MULTI)
    group_filters = filters(groups, GROUP_SINGLE, GROUP_MULTI)
    for _ in range(FILTERS_PER_WORLD):
        node = data.draw(user_filters, label="user filter")
        assert_agree(client, USERS, node, users, registry.resource_type(USER))
    for _ in range(FILTERS_PER_WORLD // 2):
        node = data.draw(group_filters, label="group filter")
        assert_agree(client, GROUPS, node, groups, registry.resource_type(GROUP))
