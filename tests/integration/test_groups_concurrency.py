"""Concurrent PATCHes on one group (issue 6): every member change takes effect.

Real threads against ``live_server``, each request in its own connection and transaction,
on both databases: PostgreSQL runs the writers side by side; SQLite (a file, ``IMMEDIATE``
transactions) makes them wait for one another, and must answer none of them with an error.
"""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from scim_provider import services
from tests.factories import PATCH_URN
from tests.integration.group_helpers import GROUPS, ids, make_users, member_ids

pytestmark = [pytest.mark.django_db(transaction=True)]


class Scim:
    """A minimal HTTP client of the live server (no proxy, bearer token)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/scim+json",
                "Accept": "application/scim+json",
            },
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                content = response.read()
                return response.status, json.loads(content) if content else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def scim(live_server):
    _token, plaintext = services.create_token("concurrency")
    return Scim(live_server.url, plaintext)


def run_in_parallel(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same moment."""
    barrier = Barrier(count)

    def start(i):
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def add_members(scim: Scim, group_id: str, member_ids_: list[str]) -> int:
    status, body = scim.send(
        "PATCH",
        f"/scim/v2/Groups/{group_id}",
        {
            "schemas": [PATCH_URN],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": v} for v in member_ids_]}
            ],
        },
    )
    assert status in (200, 204), body
    return status


@pytest.mark.parametrize("threads", [2, 20])
def test_parallel_patches_adding_distinct_members_all_take_effect(scim, threads):
    users = make_users(threads * 5)
    status, group = scim.send("POST", "/scim/v2/Groups", {"displayName": "Busy", "members": []})
    assert status == 201, group
    batches = [ids(users[i * 5 : i * 5 + 5]) for i in range(threads)]

    statuses = run_in_parallel(threads, lambda i: add_members(scim, group["id"], batches[i]))

    assert statuses == [200] * threads
    assert member_ids(group["id"]) == set(ids(users))
    status, body = scim.send("GET", f"/scim/v2/Groups/{group['id']}")
    assert {m["value"] for m in body["members"]} == set(ids(users))
    assert body["meta"]["version"] == f'W/"{threads + 1}"'


def test_parallel_patches_adding_the_same_member_keep_one_membership(scim):
    user = make_users(1)[0]
    status, group = scim.send("POST", "/scim/v2/Groups", {"displayName": "Same", "members": []})
    assert status == 201
    statuses = run_in_parallel(10, lambda i: add_members(scim, group["id"], ids([user])))
    assert statuses == [200] * 10
    assert member_ids(group["id"]) == {str(user.scim_id)}


def test_parallel_adds_and_removes_on_one_group(scim):
    users = make_users(20)
    status, group = scim.send(
        "POST",
        "/scim/v2/Groups",
        {"displayName": "Mixed", "members": [{"value": v} for v in ids(users[:10])]},
    )
    assert status == 201

    def work(i):
        if i < 10:
            path = f'members[value eq "{users[i].scim_id}"]'
            operation = {"op": "remove", "path": path}
        else:
            operation = {"op": "add", "path": "members", "value": [{"value": ids(users)[i]}]}
        status, body = scim.send(
            "PATCH",
            f"{GROUPS}/{group['id']}",
            {"schemas": [PATCH_URN], "Operations": [operation]},
        )
        return status

    assert run_in_parallel(20, work) == [200] * 20
    assert member_ids(group["id"]) == set(ids(users[10:]))
