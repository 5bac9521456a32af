"""Fuzzing every SCIM endpoint over HTTP (hypothesis): no 5xx, SCIM errors, no damage.

Thousands of requests, malformed and random-but-plausible: random JSON and SCIM-shaped
bodies with wrong types, huge numbers, deep nesting, invalid UTF-8 and wrong content types;
random filters, paging and attribute parameters; random ids and unknown routes; random
``Authorization`` and ``If-Match`` headers. For every response:

* the status is below 500 (but for the designed 501 of ``/Me`` and root ``/.search``);
* an error is a SCIM Error document (``application/scim+json``, ``schemas``, ``status``,
  ``detail``);
* a refused request (4xx) changed nothing: host users, SCIM users, groups, memberships and
  host groups are compared row by row before and after it.

``FUZZ_EXAMPLES`` (default 5000) sets how many requests are sent; ``FUZZ_RANDOM=1`` draws
new inputs instead of the reproducible ones CI uses.
"""

from __future__ import annotations

import json
import os
import string
import uuid
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.models import ScimGroup, ScimMembership, ScimUser
from tests.conftest import SCIM
from tests.factories import UserBodyFactory

pytestmark = pytest.mark.django_db

TOTAL = int(os.environ.get("FUZZ_EXAMPLES", "5000"))
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def fuzz_settings(share: float):
    return settings(
        max_examples=max(1, round(TOTAL * share)),
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# Strategies -----------------------------------------------------------------------------

NAMES = [
    "userName",
    "name",
    "givenName",
    "familyName",
    "formatted",
    "emails",
    "value",
    "type",
    "primary",
    "active",
    "displayName",
    "externalId",
    "id",
    "meta",
    "schemas",
    "members",
    "groups",
    "password",
    "phoneNumbers",
    "addresses",
    "title",
    "manager",
    "department",
    "employeeNumber",
    "roles",
    "$ref",
    "display",
    "op",
    "path",
    "Operations",
    "filter",
    "startIndex",
    "count",
    "sortBy",
    "attributes",
    "excludedAttributes",
    "name.givenName",
    ENTERPRISE_URN,
    f"{ENTERPRISE_URN}:department",
    f"{USER_URN}:userName",
]
PATHS = [
    "userName",
    "active",
    "displayName",
    "name.givenName",
    "name",
    "emails",
    'emails[type eq "work"].value',
    "emails[primary eq true]",
    "members",
    'members[value eq "x"]',
    f"{ENTERPRISE_URN}:manager",
    f"{ENTERPRISE_URN}:department",
    "password",
    "externalId",
    "id",
    "meta.created",
    "groups",
    "title",
    "",
    "[",
    "a.b.c.d",
    "urn:bogus:x",
    'members[value eq "00000000-0000-0000-0000-000000000000"]',
]
FILTER_WORDS = [
    "userName",
    "eq",
    "ne",
    "co",
    "sw",
    "ew",
    "pr",
    "gt",
    "ge",
    "lt",
    "le",
    "and",
    "or",
    "not",
    "(",
    ")",
    "[",
    "]",
    '"a@b.c"',
    '"x"',
    "true",
    "false",
    "null",
    "1",
    "-1.5e3",
    "emails",
    "value",
    "type",
    "emails.value",
    "id",
    "externalId",
    "displayName",
    "members.value",
    "groups.value",
    "meta.lastModified",
    '"2020-01-01T00:00:00Z"',
    ".",
    f"{ENTERPRISE_URN}:department",
    "\\",
    '"',
    "'",
    "\t",
    "\x00",
    "é",
    "💥",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", "True", "False", "x@example.com", "00000000-0000-0000-0000-00"])
)
keys = st.sampled_from(NAMES) | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=12,
)


def with_schema(urn):
    return st.builds(lambda d: {"schemas": [urn], **d}, st.dictionaries(keys, json_values))


operations = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Add", "Replace", "Remove", "move", 1])},
    optional={
        "path": st.sampled_from(PATHS) | st.text(max_size=20) | json_values,
        "value": json_values,
    },
)
patch_bodies = st.builds(
    lambda ops, schemas: {"schemas": schemas, "Operations": ops},
    st.lists(operations, max_size=5) | json_values,
    st.sampled_from([[PATCH_URN], [], "x", [USER_URN]]),
)


def mutated_user(overrides):
    body = UserBodyFactory()
    body.update(overrides)
    return body


user_bodies = st.builds(mutated_user, st.dictionaries(keys, json_values, max_size=3))
group_bodies = st.builds(
    lambda members, extra: {
        "schemas": [GROUP_URN],
        "displayName": "Fuzzed",
        "members": members,
        **extra,
    },
    st.lists(st.fixed_dictionaries({"value": st.text(max_size=36) | json_values}), max_size=3)
    | json_values,
    st.dictionaries(keys, json_values, max_size=2),
)
search_bodies = st.builds(
    lambda d: {"schemas": [SEARCH_URN], **d},
    st.dictionaries(
        st.sampled_from(["filter", "startIndex", "count", "sortBy", "sortOrder", "attributes"]),
        json_values,
    ),
)
deep = st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)
raw_bodies = st.one_of(
    st.binary(max_size=60),
    deep.map(str.encode),
    st.sampled_from(
        [
            b"",
            b"{",
            b"null",
            b"[]",
            b"{}",
            b'"x"',
            b"1e999",
            b"NaN",
            b"-Infinity",
            b"9" * 5000,
            b'{"userName": "\xff"}',
            b"\xef\xbb\xbf{}",
            b'{"a": "\\ud800"}',
            b'{"userName": "a\\u0000"}',
            b'{"a": 1, "a": 2}',
        ]
    ),
)
json_bodies = st.one_of(
    user_bodies, group_bodies, patch_bodies, search_bodies, with_schema(USER_URN), json_values
).map(lambda value: json.dumps(value).encode())
bodies = st.one_of(json_bodies, json_bodies, raw_bodies)

content_types = st.sampled_from(
    ["application/scim+json", "application/json", "application/scim+json; charset=utf-8"]
) | st.sampled_from(["text/plain", "application/x-www-form-urlencoded", "", "multipart/form-data"])
filters = st.lists(st.sampled_from(FILTER_WORDS), max_size=12).map(" ".join) | st.text(max_size=40)
query_params = st.dictionaries(
    st.sampled_from(
        [
            "filter",
            "startIndex",
            "count",
            "sortBy",
            "sortOrder",
            "attributes",
            "excludedAttributes",
            "cursor",
        ]
    ),
    filters | st.integers(min_value=-(2**80), max_value=2**80).map(str),
    max_size=4,
)
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"])


# The harness ----------------------------------------------------------------------------


def snapshot():
    """Every row a SCIM request may write, in the columns a write changes."""
    user_model = get_user_model()
    host_fields = [f.attname for f in user_model._meta.concrete_fields]
    return (
        list(user_model._default_manager.order_by("pk").values_list(*host_fields)),
        list(
            ScimUser.objects.order_by("pk").values_list(
                "pk",
                "user_id",
                "tenant_id",
                "user_name",
                "external_id",
                "attributes",
                "version",
                "deleted_at",
            )
        ),
        list(
            ScimGroup.objects.order_by("pk").values_list(
                "pk",
                "tenant_id",
                "display_name",
                "external_id",
                "host_group_id",
                "attributes",
                "version",
                "deleted_at",
            )
        ),
        list(ScimMembership.objects.order_by("pk").values_list("group_id", "user_id")),
        list(Group.objects.order_by("pk").values_list("pk", "name")),
    )


class Harness:
    def __init__(self, plaintext: str, ids: dict[str, str]) -> None:
        self.plaintext = plaintext
        self.ids = ids
        self.sent = 0
        self.refused = 0

    def send(
        self, method, path, body=b"", content_type="application/scim+json", query=None, headers=None
    ):
        headers = dict(headers or {})
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.plaintext}")
        url = f"{SCIM}{path}" + (f"?{urlencode(query)}" if query else "")
        before = snapshot()
        if method == "GET":
            response = Client().get(url, **headers)
        else:
            response = Client().generic(method, url, body, content_type, **headers)
        self.sent += 1
        self.check(method, url, body, response, before)
        return response

    def check(self, method, url, body, response, before):
        where = f"{method} {url} {body[:300]!r} -> {response.status_code}"
        # 501 is the designed answer of what is not offered (/Me, a search at the root).
        not_offered = response.status_code == 501 and ("/Me" in url or "/.search" in url)
        assert response.status_code < 500 or not_offered, where + f" {response.content[:500]!r}"
        if response.status_code < 400:
            return
        self.refused += 1
        assert response["Content-Type"].startswith("application/scim+json"), where
        error = json.loads(response.content)
        assert error["schemas"] == [ERROR_URN], where
        assert error["status"] == str(response.status_code), where
        assert isinstance(error["detail"], str) and error["detail"], where
        assert snapshot() == before, where + " changed the database"


@pytest.fixture
def harness(settings):
    settings.SCIM_PROVIDER = {
        **(settings.SCIM_PROVIDER or {}),
        "RATE_LIMIT": None,
        "AUTH_FAILURE_RATE_LIMIT": None,
        "MAX_MEMBERS_PER_REQUEST": 5,
    }
    _token, plaintext = services.create_token("fuzz")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    users = [client.post(f"{SCIM}/Users", UserBodyFactory(), format="json").json() for _ in "ab"]
    group = client.post(
        f"{SCIM}/Groups",
        {"schemas": [GROUP_URN], "displayName": "Seed", "members": [{"value": users[0]["id"]}]},
        format="json",
    ).json()
    return Harness(plaintext, {"user": users[1]["id"], "group": group["id"]})


def endpoint_paths(ids):
    scim_ids = st.sampled_from([ids["user"], ids["group"], str(uuid.uuid4()), "x", "%00"])
    random_segment = st.text(string.printable, max_size=20).map(lambda t: quote(t, safe=""))
    return st.one_of(
        st.sampled_from(
            [
                "/Users",
                "/Groups",
                "/Users/.search",
                "/Groups/.search",
                "/.search",
                "/Me",
                "/ServiceProviderConfig",
                "/ResourceTypes",
                "/ResourceTypes/User",
                "/Schemas",
                f"/Schemas/{USER_URN}",
                "/Bulk",
                "/",
            ]
        ),
        st.builds(lambda kind, i: f"/{kind}/{i}", st.sampled_from(["Users", "Groups"]), scim_ids),
        st.builds(
            lambda kind, i: f"/{kind}/{i}",
            st.sampled_from(["Users", "Groups", "Schemas", "ResourceTypes", "Nope"]),
            random_segment,
        ),
    )


def test_fuzz_every_endpoint(harness):
    ids = harness.ids
    paths = endpoint_paths(ids)
    writes = st.sampled_from(
        [
            ("POST", "/Users"),
            ("POST", "/Groups"),
            ("POST", "/Users/.search"),
            ("POST", "/Groups/.search"),
            ("PUT", f"/Users/{ids['user']}"),
            ("PATCH", f"/Users/{ids['user']}"),
            ("PUT", f"/Groups/{ids['group']}"),
            ("PATCH", f"/Groups/{ids['group']}"),
        ]
    )

    @fuzz_settings(0.5)
    @given(target=writes, body=bodies, content_type=content_types)
    def bodies_at_write_endpoints(target, body, content_type):
        method, path = target
        harness.send(method, path, body, content_type)

    @fuzz_settings(0.2)
    @given(path=st.sampled_from(["/Users", "/Groups"]), query=query_params, search=st.booleans())
    def queries(path, query, search):
        if search:
            body = json.dumps({"schemas": [SEARCH_URN], **query}).encode()
            harness.send("POST", f"{path}/.search", body)
        else:
            harness.send("GET", path, query=query)

    authorization = st.one_of(
        st.just(None),
        st.text(max_size=60),
        st.sampled_from(["Bearer", "Bearer ", "Basic", "Basic !!!", "Basic YXBpa2V5Og=="]),
        st.builds(lambda t: f"Bearer {t}", st.text(string.ascii_letters, max_size=60)),
        st.builds(
            lambda t: f"Bearer scim_{t}", st.text(string.ascii_letters, min_size=50, max_size=50)
        ),
    )
    if_match = st.one_of(
        st.just(None), st.just("*"), st.text(max_size=20), st.just('W/"1"'), st.just('W/"999"')
    )

    @fuzz_settings(0.3)
    @given(
        method=methods,
        path=paths,
        body=bodies,
        auth=authorization,
        etag=if_match,
        valid_token=st.booleans(),
    )
    def routes_and_headers(method, path, body, auth, etag, valid_token):
        headers = {}
        if not valid_token:
            headers["HTTP_AUTHORIZATION"] = auth or ""
        if etag is not None:
            headers["HTTP_IF_MATCH" if method != "GET" else "HTTP_IF_NONE_MATCH"] = etag
        harness.send(method, path, body, headers=headers)

    bodies_at_write_endpoints()
    queries()
    routes_and_headers()
    print(
        f"fuzz: {harness.sent} requests, {harness.refused} refused, 0 with 5xx, "
        f"{ScimUser.objects.count()} users and {ScimGroup.objects.count()} groups at the end"
    )
    assert harness.sent >= TOTAL
    assert harness.refused > harness.sent // 4
