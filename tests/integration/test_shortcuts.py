"""Shortcuts that cannot lie: the compiled-query memo answers what the plain ORM answers,
host adapters included, and every cache use fails open.

The memo (``scim_provider.compiled``) is proven here by running the same requests with it
(``COMPILED_QUERIES``) and without it, under a host adapter whose ``get_queryset()``
branches on the tenant; the cache by pointing ``RATE_LIMIT_CACHE`` at a cache that raises on
every call.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model

from scim_provider import compiled
from scim_provider.models import ScimUser
from tests.conftest import SCIM
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS
from tests.testapp import hosts

pytestmark = pytest.mark.django_db
GROUPS = f"{SCIM}/Groups"


@pytest.fixture
def hiding(tenant_clients, scim_config):
    """Tenant A hides its staff users; tenant B does not. Each has one staff user and one
    other user: ``(clients, {tenant: (staff id, other id)})``."""
    client_a, client_b = tenant_clients
    scim_config(USER_ADAPTER="tests.testapp.hosts.HidingUserAdapter")
    hosts.HIDDEN_TENANTS.add(client_a.tenant_id)
    people = {}
    for client in (client_a, client_b):
        ids = []
        for role in ("staff", "other"):
            body = UserBodyFactory(userName=f"{role}.{client.tenant_id}@example.com")
            response = client.post(USERS, body, format="json")
            assert response.status_code == 201, response.content
            ids.append(response.json()["id"])
        link = ScimUser.objects.get(scim_id=ids[0])
        get_user_model()._default_manager.filter(pk=link.user_id).update(is_staff=True)
        people[client.tenant_id] = tuple(ids)
    yield (client_a, client_b), people
    hosts.HIDDEN_TENANTS.clear()


def answers(client, staff: str, other: str) -> list:
    """The observable answers of the hot paths for one tenant, in a comparable form."""
    seen = []

    def note(response):
        body = response.json() if response.content else None
        if isinstance(body, dict) and "Resources" in body:
            body = (body["totalResults"], sorted(r["id"] for r in body["Resources"]))
        elif isinstance(body, dict):
            body = body.get("id") or body.get("status")
        seen.append((response.status_code, body))

    for user in (staff, other):
        note(client.get(f"{USERS}/{user}"))
        name = ScimUser.objects.get(scim_id=user).user_name
        note(client.get(USERS, {"filter": f'userName eq "{name}"'}))
    note(client.get(USERS))
    for start in (1, 2, 3):
        note(client.get(USERS, {"startIndex": start, "count": 1}))
    note(client.get(USERS, {"count": 1, "cursor": ""}))
    note(
        client.patch(
            f"{USERS}/{staff}",
            patch_body({"op": "replace", "path": "title", "value": "x"}),
            format="json",
        )
    )
    return seen


def test_the_memo_answers_what_the_orm_answers(hiding, scim_config):
    (client_a, client_b), people = hiding
    runs = {}
    for memo in (True, False, True):
        scim_config(COMPILED_QUERIES=memo)
        runs.setdefault(memo, []).append(
            [answers(client, *people[client.tenant_id]) for client in (client_a, client_b)]
        )
    with_memo, again = runs[True]
    (without,) = runs[False]
    assert with_memo == without == again
    hidden, shown = with_memo
    # Tenant A never sees its staff user; tenant B does.
    assert hidden[0][0] == 404 and hidden[1] == (200, (0, []))
    assert hidden[4][1][0] == 1 and shown[4][1][0] == 2  # totalResults
    assert hidden[-1][0] == 404 and shown[-1][0] == 200  # the PATCH


def test_every_hot_shape_compiles(users_client, create_user, caplog):
    """The hot paths run compiled on this Django version: no shape of theirs falls back."""
    compiled.clear_all()
    with caplog.at_level(logging.WARNING, logger="scim_provider"):
        user = create_user()
        users_client.get(USERS, {"filter": f'userName eq "{user["userName"]}"'})
        users_client.get(f"{USERS}/{user['id']}")
        users_client.patch(
            f"{USERS}/{user['id']}",
            patch_body({"op": "replace", "path": "title", "value": "t"}),
            format="json",
        )
        for start in (1, 2):
            users_client.get(USERS, {"startIndex": start, "count": 1})
        group = users_client.post(
            GROUPS, {"displayName": "G", "members": [{"value": user["id"]}]}, format="json"
        ).json()
        users_client.patch(
            f"{GROUPS}/{group['id']}",
            patch_body({"op": "add", "path": "members", "value": [{"value": user["id"]}]}),
            format="json",
        )
        users_client.get(f"{GROUPS}/{group['id']}")
    shapes = {
        instance.build.__qualname__: list(instance._entries.values())
        for instance in compiled._instances
        if instance._entries
    }
    for name in (
        "token_by_key",
        "link_by_id",
        "_page",
        "link_by_user_name",
        "members_of",
        "users_by_id",
    ):
        assert shapes.get(name), f"{name} was not used"
    fallbacks = {
        name: e
        for name, entries in shapes.items()
        for e in entries
        if isinstance(e, compiled._Fallback)
    }
    assert not fallbacks, {name: e.reason for name, e in fallbacks.items()}
    assert "falls back" not in caplog.text


def test_a_builder_that_reads_the_clock_is_not_compiled(db, caplog):
    """The memo builds every shape twice: a builder whose parameters depend on something
    besides its key and values (here the clock) is detected, logged once, and built by
    the ORM every time, so it stays right."""
    from django.utils import timezone

    from scim_provider.models import ScimToken

    @compiled.CompiledQuery
    def unexpired(key, name):
        live = ScimToken.objects.filter(expires_at__gt=timezone.now())
        return live.filter(name=name).values_list("name", flat=True)

    token, _plaintext = ScimToken.objects.create_token("soon", expires_in_days=1)
    with caplog.at_level(logging.WARNING, logger="scim_provider"):
        assert unexpired((), "soon") == ["soon"]
        assert unexpired((), "soon") == ["soon"]
    assert not unexpired.compiles((), "soon")
    assert caplog.text.count("falls back") == 1
    ScimToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert unexpired((), "soon") == []


def test_the_cache_down_is_not_an_outage(users_client, scim_config, create_user):
    """Every SCIM endpoint answers as without a cache when the cache raises on every call:
    rate limits, page bookmarks, cursors and counts all fail open."""
    scim_config(RATE_LIMIT_CACHE="down", RATE_LIMIT="1000/min", COUNT_CACHE_TIMEOUT=60)
    users = [create_user()["id"] for _ in range(3)]
    checks = [
        users_client.get(f"{SCIM}/ServiceProviderConfig"),
        users_client.get(f"{SCIM}/Schemas"),
        users_client.get(USERS),
        users_client.get(USERS, {"startIndex": 2, "count": 1}),
        users_client.get(USERS, {"startIndex": 3, "count": 1}),
        users_client.get(USERS, {"count": 1, "cursor": ""}),
        users_client.get(USERS, {"filter": 'userName sw "a"'}),
        users_client.post(f"{USERS}/.search", {"count": 2}, format="json"),
        users_client.get(f"{USERS}/{users[0]}"),
        users_client.patch(
            f"{USERS}/{users[0]}",
            patch_body({"op": "replace", "path": "title", "value": "t"}),
            format="json",
        ),
        users_client.put(f"{USERS}/{users[1]}", UserBodyFactory(), format="json"),
        users_client.delete(f"{USERS}/{users[2]}"),
        users_client.post(
            GROUPS, {"displayName": "G", "members": [{"value": users[0]}]}, format="json"
        ),
        users_client.get(GROUPS),
        users_client.get(GROUPS, {"startIndex": 2, "count": 1}),
        users_client.post(
            f"{SCIM}/Bulk",
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
                "Operations": [
                    {"method": "POST", "path": "/Users", "bulkId": "b", "data": UserBodyFactory()}
                ],
            },
            format="json",
        ),
    ]
    statuses = [response.status_code for response in checks]
    assert all(200 <= code < 300 for code in statuses), statuses
    cursor = checks[5].json()["nextCursor"]
    assert users_client.get(USERS, {"count": 1, "cursor": cursor}).status_code == 200
