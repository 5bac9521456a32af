"""Concurrent writes against a live server: real threads, real transactions, PostgreSQL.

SQLite serializes every writer on one database lock, so the races cannot happen there;
these tests need PostgreSQL (``scripts/with-postgres``, as ``make test-pg`` runs them).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from scim_provider import services
from scim_provider.models import ScimUser
from tests.factories import UserBodyFactory, patch_body

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serializes writers: races need PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def api(live, settings):
    """``api(method, path, body=None, **headers) -> (status, headers, json)`` on the live server."""
    settings.SCIM_PROVIDER = {**(settings.SCIM_PROVIDER or {}), "RATE_LIMIT": None}
    _token, plaintext = services.create_token("races")

    def call(method: str, path: str, body=None, **headers):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{live}/scim/v2{path}",
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {plaintext}",
                "Content-Type": "application/scim+json",
                **headers,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                return response.status, dict(response.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, dict(error.headers), json.loads(raw) if raw else None

    return call


def in_parallel(calls):
    """Run the callables at once (a barrier releases them together); their results, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def assert_scim_error(result, status: int, scim_type: str | None = None) -> None:
    code, headers, body = result
    assert code == status, result
    assert headers["Content-Type"].startswith("application/scim+json")
    assert body["schemas"] == [ERROR_URN] and body["status"] == str(status)
    assert body.get("scimType") == scim_type


def test_50_parallel_posts_of_one_user_name(api):
    body = UserBodyFactory(userName="race@example.com")
    results = in_parallel([lambda: api("POST", "/Users", body)] * 50)
    statuses = Counter(code for code, _, _ in results)
    assert statuses == {201: 1, 409: 49}, statuses
    for result in results:
        if result[0] == 409:
            assert_scim_error(result, 409, "uniqueness")
    assert ScimUser.objects.filter(user_name_key="race@example.com").count() == 1
    assert ScimUser.objects.count() == 1
    assert get_user_model()._default_manager.count() == 1
    (created,) = [b for code, _, b in results if code == 201]
    assert api("GET", f"/Users/{created['id']}")[0] == 200


def test_put_and_patch_with_the_same_if_match(api):
    code, headers, user = api("POST", "/Users", UserBodyFactory())
    assert code == 201
    url = f"/Users/{user['id']}"
    for round_ in range(5):
        etag = headers["ETag"]
        put = {**user, "displayName": f"put {round_}"}
        patch = patch_body({"op": "replace", "path": "displayName", "value": f"patch {round_}"})
        results = in_parallel(
            [
                lambda put=put, etag=etag: api("PUT", url, put, **{"If-Match": etag}),
                lambda patch=patch, etag=etag: api("PATCH", url, patch, **{"If-Match": etag}),
            ]
        )
        assert sorted(code for code, _, _ in results) == [200, 412], results
        winner = next(r for r in results if r[0] == 200)
        loser = next(r for r in results if r[0] == 412)
        assert_scim_error(loser, 412)
        code, headers, user = api("GET", url)
        # The winner's change is what is stored, at the next version.
        assert user["displayName"] == winner[2]["displayName"]
        assert headers["ETag"] == winner[1]["ETag"] != etag
    link = ScimUser.objects.get(scim_id=user["id"])
    assert link.version == 6
