"""Concurrent writes against a live server: real threads, real transactions, both databases.

On PostgreSQL writers run side by side and the link and host rows are locked together; on
SQLite (a file, ``IMMEDIATE`` transactions, as the example project configures it) writers
wait for one another. Either way: no 5xx, no lost update, no duplicate.
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

pytestmark = [pytest.mark.django_db(transaction=True)]

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


ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#: Distinct attributes of one user, each PATCHed by its own request: mapped on host fields
#: (name.*, displayName with the custom user model) or kept as JSON on the link.
DISTINCT = [
    ("name.givenName", "Given"),
    ("name.familyName", "Family"),
    ("displayName", "Display"),
    ("title", "Title"),
    ("nickName", "Nick"),
    ("userType", "Employee"),
    ("preferredLanguage", "fr"),
    ("locale", "fr-FR"),
    ("timezone", "Europe/Paris"),
    (f"{ENTERPRISE}:department", "R&D"),
    (f"{ENTERPRISE}:costCenter", "CC-7"),
    (f"{ENTERPRISE}:division", "Labs"),
]


def host_login(user_pk: int) -> None:
    """What a login does on the host side, in its own thread and connection."""
    from django.contrib.auth.models import update_last_login

    try:
        user = get_user_model()._default_manager.get(pk=user_pk)
        update_last_login(None, user)
    finally:
        connection.close()


def test_parallel_patches_of_distinct_attributes_lose_nothing(api):
    """Twelve PATCHes of twelve attributes of one user at once, and a login in the middle:
    every value is there afterwards, and the login's last_login too."""
    code, _, user = api("POST", "/Users", UserBodyFactory())
    assert code == 201
    url = f"/Users/{user['id']}"
    user_pk = ScimUser.objects.get(scim_id=user["id"]).user_id
    calls = [
        lambda path=path, value=value: api(
            "PATCH", url, patch_body({"op": "replace", "path": path, "value": value})
        )
        for path, value in DISTINCT
    ]
    calls.insert(len(calls) // 2, lambda: host_login(user_pk))
    for _round in range(3):
        results = in_parallel(calls)
        assert [r[0] for r in results if r is not None] == [200] * len(DISTINCT), results
    _, headers, stored = api("GET", url)
    for path, value in DISTINCT:
        if path.startswith(ENTERPRISE):
            assert stored[ENTERPRISE][path.rsplit(":", 1)[1]] == value, path
        elif "." in path:
            top, sub = path.split(".")
            assert stored[top][sub] == value, path
        else:
            assert stored[path] == value, path
    assert get_user_model()._default_manager.get(pk=user_pk).last_login is not None
    # One version per write that changed something: the first round's twelve.
    assert ScimUser.objects.get(scim_id=user["id"]).version == 1 + len(DISTINCT)


def test_an_okta_burst_gets_no_5xx(api):
    """Okta's parallelism: eight workers each create users, add them to one group and
    deactivate them, all at once. Every answer is 2xx, every effect is there."""
    code, _, group = api("POST", "/Groups", {"displayName": "Burst"})
    assert code == 201

    def worker(n: int):
        answers = []
        for i in range(5):
            code, _, user = api("POST", "/Users", UserBodyFactory(userName=f"w{n}.{i}@x.test"))
            answers.append(code)
            add = patch_body({"op": "add", "path": "members", "value": [{"value": user["id"]}]})
            answers.append(api("PATCH", f"/Groups/{group['id']}", add)[0])
            off = patch_body({"op": "replace", "path": "active", "value": False})
            answers.append(api("PATCH", f"/Users/{user['id']}", off)[0])
        return answers

    results = in_parallel([lambda n=n: worker(n) for n in range(8)])
    codes = Counter(code for answers in results for code in answers)
    assert set(codes) <= {200, 201, 204}, codes
    assert ScimUser.objects.count() == 40
    _, _, members = api("GET", f"/Groups/{group['id']}")
    assert len(members["members"]) == 40
    assert not get_user_model()._default_manager.filter(is_active=True).exists()
