"""Index vs cursor paging, and Bulk query counts, measured through the HTTP stack.

    scripts/with-postgres .venv/bin/python benchmarks/cursor.py [--users 100000] [--repeat 5]

Runs on the database of ``DATABASE_URL`` (SQLite in memory without it) with the test
settings: migrates, seeds ``--users`` provisioned users with ``bulk_create`` (host users
and their ``ScimUser`` links), then times ``GET /Users`` for page 1 and for page ~900 (rows
90,001-90,100 at 100k users) by ``startIndex`` and by cursor (the cursor of that page is
reached by walking every page before it, as a client would), the best of ``--repeat``
requests each, and counts the queries of a Bulk of 1,000 user creations against one POST.
Prints Markdown tables (see benchmarks/cursor.md).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from scim_provider import services  # noqa: E402
from scim_provider.models import ScimUser  # noqa: E402

USERS = "/scim/v2/Users"
BATCH = 5000


def seed(total: int) -> None:
    model = get_user_model()
    existing = ScimUser.objects.count()
    for start in range(existing, total, BATCH):
        stop = min(start + BATCH, total)
        hosts = model._default_manager.bulk_create(
            [
                model(**{model.USERNAME_FIELD: f"bench{n}@example.com", "password": "!"})
                for n in range(start, stop)
            ]
        )
        ScimUser.objects.bulk_create(
            [
                ScimUser(
                    user=host,
                    user_name=f"bench{n}@example.com",
                    user_name_key=f"bench{n}@example.com",
                    email_key=f"bench{n}@example.com",
                )
                for n, host in zip(range(start, stop), hosts, strict=True)
            ]
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def timed(client, params: dict, repeat: int) -> tuple[float, int, dict]:
    """Best wall time (ms) of ``repeat`` requests, their query count, the last body."""
    best = float("inf")
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(USERS, params)
            elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.content
        best = min(best, elapsed)
    return best, len(captured), response.json()


def paging(client, total: int, count: int, repeat: int) -> list[tuple[str, int, float, int]]:
    deep = (total * 9 // 10) // count  # the page holding the row at 90%
    rows = []
    for page in (1, deep + 1):
        start = (page - 1) * count + 1
        ms, queries, body = timed(client, {"startIndex": start, "count": count}, repeat)
        assert body["Resources"][0]["userName"] == f"bench{start - 1}@example.com"
        rows.append(("index (startIndex)", page, ms, queries))
    cursor, page = "", 1
    ms, queries, body = timed(client, {"cursor": cursor, "count": count}, repeat)
    rows.append(("cursor", 1, ms, queries))
    while page < deep + 1:
        body = client.get(USERS, {"cursor": body["nextCursor"], "count": count}).json()
        page += 1
        if page == deep:
            cursor = body["nextCursor"]
    ms, queries, body = timed(client, {"cursor": cursor, "count": count}, repeat)
    assert body["Resources"][0]["userName"] == f"bench{deep * count}@example.com"
    rows.append(("cursor", deep + 1, ms, queries))
    return rows


def bulk_queries(client) -> tuple[int, int]:
    from tests.factories import UserBodyFactory

    with CaptureQueriesContext(connection) as single:
        assert client.post(USERS, UserBodyFactory(), format="json").status_code == 201
    operations = [
        {
            "method": "POST",
            "path": "/Users",
            "bulkId": f"b{n}",
            "data": UserBodyFactory(userName=f"bulk{n}@example.com"),
        }
        for n in range(1000)
    ]
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"]}
    with CaptureQueriesContext(connection) as many:
        response = client.post("/scim/v2/Bulk", {**body, "Operations": operations}, format="json")
    assert response.status_code == 200
    assert all(r["status"] == "201" for r in response.json()["Operations"])
    return len(single), len(many)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(args.users)
    elapsed = time.perf_counter() - started
    print(f"seeded {args.users} users in {elapsed:.0f} s on {connection.vendor}")
    _token, plaintext = services.create_token("bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    client.get("/scim/v2/ServiceProviderConfig")  # the token's last-used write
    print(f"\n| paging | page | best of {args.repeat} (ms) | queries |\n|---|---|---|---|")
    for method, page, ms, queries in paging(client, args.users, args.count, args.repeat):
        print(f"| {method} | {page} | {ms:.1f} | {queries} |")
    single, many = bulk_queries(client)
    print(f"\n| request | queries |\n|---|---|\n| 1 POST /Users | {single} |")
    ratio = many / (1000 * single)
    print(f"| 1 POST /Bulk of 1,000 user creations | {many} ({ratio:.2f}x 1,000 POSTs) |")


if __name__ == "__main__":
    main()
