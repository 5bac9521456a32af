"""Two server processes on one PostgreSQL and one Redis, as ``docs/deployment.md`` deploys
them, and a client alternating between them: nothing that matters is per process.

* a revoked token is refused by both on the next request;
* the rate limit counts the requests made to both;
* a cursor walk and an index walk (its bookmarks) started on one continue on the other;
* the cached ``totalResults`` of a large tenant stays right after writes on either;
* with Redis stopped, every SCIM request still answers (the cache fails open).

Each server is ``gunicorn example_project.wsgi`` with ``tests.multiprocess.server_settings``.
Run by ``make test-multiprocess`` (``scripts/with-postgres scripts/with-redis pytest
tests/multiprocess``); skipped without ``REDIS_URL`` and a PostgreSQL ``DATABASE_URL``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.recipe_server import free_port

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
SCIM_JSON = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEEDED = 10_000  # scim_provider.counts.CACHE_FROM: the count of /Users is cached

pytestmark = pytest.mark.skipif(
    not (REDIS_URL and DATABASE_URL.startswith("postgres")),
    reason="needs Redis and PostgreSQL: make test-multiprocess "
    "(scripts/with-postgres scripts/with-redis)",
)


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.multiprocess.server_settings",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=server_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def new_token(name: str) -> str:
    return manage("scim_create_token", "--name", name).strip().splitlines()[-1]


def token_prefix(name: str) -> str:
    """The displayed prefix of the token ``name``, as ``scim_list_tokens`` shows it."""
    for line in manage("scim_list_tokens").splitlines():
        columns = line.split()
        if name in line and len(columns) > 2:
            return columns[1]
    raise AssertionError(f"no token {name!r}")


@dataclass
class Answer:
    status: int
    body: Any

    def __repr__(self) -> str:
        return f"<{self.status} {self.body!r}>"[:2000]


class Server:
    """One gunicorn process serving the example project."""

    def __init__(self, name: str, log: Path) -> None:
        self.name, self.port, self.log = name, free_port(), log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "example_project.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
            ],
            cwd=ROOT,
            env=server_env(),
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )

    def errors(self) -> str:
        """What the server logged (Django logs a 500's traceback there)."""
        return self.log.read_text()[-6000:]

    def wait(self) -> Server:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited:\n{self.errors()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn {self.name} did not start within 60 seconds")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def request(self, token: str, method: str, path: str, body: Any = None) -> Answer:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/scim/v2{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": SCIM_JSON,
                "Accept": SCIM_JSON,
                # As the load balancer sends them (NUM_PROXIES = 1).
                "X-Forwarded-For": "203.0.113.7",
                "X-Forwarded-Proto": "https",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, raw = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return Answer(status, json.loads(raw) if raw else None)

    def ok(self, token: str, method: str, path: str, body: Any = None, status: int = 200):
        answer = self.request(token, method, path, body)
        assert answer.status == status, (self.name, method, path, answer, self.errors())
        return answer.body


def seed_users(count: int) -> None:
    """``count`` provisioned users of the default tenant, inserted in two statements."""
    import psycopg

    with psycopg.connect(DATABASE_URL) as connection:
        connection.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
            " email, is_staff, is_active, date_joined)"
            " SELECT '!', false, 'seed' || g || '@example.com', '', '',"
            " 'seed' || g || '@example.com', false, true, now()"
            " FROM generate_series(1, %s) g",
            [count],
        )
        connection.execute(
            "INSERT INTO scim_provider_scimuser (scim_id, tenant_id, external_id, attributes,"
            " created_at, updated_at, version, user_id, user_name, user_name_key, email_key)"
            " SELECT gen_random_uuid(), '', '', '{}', now(), now(), 1, id, username,"
            " username, username FROM auth_user WHERE username LIKE 'seed%%'"
        )


def redis_keys(pattern: str) -> list[bytes]:
    import redis

    return redis.Redis.from_url(REDIS_URL).keys(pattern)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    manage("migrate", "--noinput")
    seed_users(SEEDED)
    logs = tmp_path_factory.mktemp("gunicorn")
    pair = [Server(name, logs / f"{name}.log") for name in ("A", "B")]
    try:
        yield [server.wait() for server in pair]
    finally:
        for server in pair:
            server.stop()


def user_body(login: str) -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "userName": login,
        "name": {"givenName": "Multi", "familyName": "Process"},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "active": True,
    }


def test_a_revoked_token_is_refused_by_both_on_the_next_request(servers):
    a, b = servers
    token = new_token("revoked")
    for server in (a, b, a, b):
        server.ok(token, "GET", "/Users?count=1")
    manage("scim_revoke_token", token_prefix("revoked"))
    for server in (b, a):
        answer = server.request(token, "GET", "/Users?count=1")
        assert answer.status == 401, (server.name, answer)
        assert "revoked" in answer.body["detail"]


def test_the_rate_limit_counts_requests_to_both(servers):
    a, b = servers
    token = new_token("rate limited")
    statuses = [
        server.request(token, "GET", "/ServiceProviderConfig").status for server in (a, b) * 25
    ]
    # 40/min for the token: the 41st request is refused, wherever it goes; each server
    # alone saw only 25.
    assert statuses[:40] == [200] * 40, statuses
    assert statuses[40:] == [429] * 10, statuses


def test_a_cursor_walk_continues_on_the_other_server(servers):
    a, b = servers
    token = new_token("cursor")
    expected = [r["id"] for r in a.ok(token, "GET", "/Users?startIndex=1&count=60")["Resources"]]
    walked, cursor, turn = [], "", 0
    while len(walked) < 60:
        server = servers[turn % 2]
        page = server.ok(token, "GET", f"/Users?cursor={urllib.parse.quote(cursor)}&count=15")
        walked += [r["id"] for r in page["Resources"]]
        cursor, turn = page["nextCursor"], turn + 1
    assert walked == expected


def test_an_index_walk_uses_the_bookmarks_of_the_other_server(servers):
    a, b = servers
    token = new_token("index")
    expected = [r["id"] for r in a.ok(token, "GET", "/Users?startIndex=1&count=100")["Resources"]]
    walked = []
    for page, start in enumerate(range(1, 101, 20)):
        server = servers[page % 2]
        body = server.ok(token, "GET", f"/Users?startIndex={start}&count=20")
        assert body["startIndex"] == start
        walked += [r["id"] for r in body["Resources"]]
    assert walked == expected
    # Each page left a bookmark in the shared cache for the next one.
    assert len(redis_keys("*scim_provider:bookmark:*")) >= 5


def test_the_count_cache_stays_right_after_writes_on_either(servers):
    a, b = servers
    token = new_token("counts")

    def totals() -> set[int]:
        return {s.ok(token, "GET", "/Users?count=1")["totalResults"] for s in servers}

    (before,) = totals()
    assert before >= SEEDED
    assert redis_keys("*scim_provider:count:User:*"), "the count is cached in Redis"
    created = b.ok(token, "POST", "/Users", user_body("counted@example.com"), status=201)
    assert totals() == {before + 1}
    a.ok(token, "DELETE", f"/Users/{created['id']}", status=204)
    assert totals() == {before}
    b.ok(token, "POST", "/Users", user_body("counted2@example.com"), status=201)
    assert totals() == {before + 1}


def test_with_redis_stopped_every_request_still_answers(servers):
    """Last: it stops Redis (scripts/with-redis stops whatever is left at the end)."""
    import redis

    a, b = servers
    token = new_token("cache down")
    a.ok(token, "GET", "/Users?startIndex=1&count=5")
    with contextlib.suppress(redis.exceptions.ConnectionError):  # closed as it stops
        redis.Redis.from_url(REDIS_URL).shutdown(nosave=True)
    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis.from_url(REDIS_URL).ping()

    for n, server in enumerate((a, b)):
        login = f"down{n}@example.com"
        ok = server.ok
        ok(token, "GET", "/ServiceProviderConfig")
        ok(token, "GET", "/Schemas")
        ok(token, "GET", "/ResourceTypes")
        assert ok(token, "GET", "/Users?count=1")["totalResults"] >= SEEDED
        assert len(ok(token, "GET", "/Users?startIndex=21&count=10")["Resources"]) == 10
        page = ok(token, "GET", "/Users?cursor&count=10")
        ok(token, "GET", f"/Users?cursor={urllib.parse.quote(page['nextCursor'])}&count=10")
        query = urllib.parse.quote('userName eq "seed7@example.com"')
        assert ok(token, "GET", f"/Users?filter={query}")["totalResults"] == 1
        user = ok(token, "POST", "/Users", user_body(login), status=201)
        path = f"/Users/{user['id']}"
        ok(token, "GET", path)
        ok(
            token,
            "PATCH",
            path,
            {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "value": {"active": False}}]},
        )
        ok(token, "PUT", path, {**user_body(login), "active": True})
        group = ok(
            token,
            "POST",
            "/Groups",
            {
                "schemas": [GROUP_URN],
                "displayName": f"Down {n}",
                "members": [{"value": user["id"]}],
            },
            status=201,
        )
        ok(
            token,
            "PATCH",
            f"/Groups/{group['id']}",
            {
                "schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "value": {"displayName": f"Still down {n}"}}],
            },
        )
        ok(token, "GET", "/Groups?startIndex=1&count=10")
        ok(
            token,
            "POST",
            "/Users/.search",
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 2},
        )
        bulk = ok(
            token,
            "POST",
            "/Bulk",
            {
                "schemas": [BULK_URN],
                "Operations": [
                    {
                        "method": "POST",
                        "path": "/Users",
                        "bulkId": "u",
                        "data": user_body(f"bulk{login}"),
                    }
                ],
            },
        )
        assert bulk["Operations"][0]["status"] == "201"
        ok(token, "DELETE", f"/Groups/{group['id']}", status=204)
        ok(token, "DELETE", path, status=204)
        assert server.request(token, "GET", path).status == 404
        assert server.request("scim_wrong", "GET", "/Users").status == 401
