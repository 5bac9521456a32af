"""Run the example project with a recipe (``SCIM_RECIPE``) as a real server, and talk to it
the way Okta does.

The example project cannot share this process (the suite runs ``tests.settings``), so each
recipe test module starts ``manage.py runserver`` in a subprocess, on a copy of an SQLite
database migrated once per session (every recipe model is always installed, so one schema
fits all recipes) that already holds a SCIM token. Host state is read straight from the
SQLite file. Whatever database the suite itself runs on, the example project runs on SQLite.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCIM_JSON = "application/scim+json"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

_template: tuple[Path, str] | None = None


def _env(db_path: Path, recipe: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=f"sqlite:///{db_path}",
        SCIM_RECIPE=recipe,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(db_path: Path, recipe: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(db_path, recipe),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def template_database(directory: Path) -> tuple[Path, str]:
    """``(path, token)``: a migrated SQLite database holding one SCIM token (once a session)."""
    global _template
    if _template is None or not _template[0].exists():
        path = directory / "template.sqlite3"
        _manage(path, "basic", "migrate", "--noinput")
        token = _manage(path, "basic", "scim_create_token", "--name", "Okta").strip().splitlines()
        _template = (path, token[-1].strip())
    return _template


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.body!r}>"


class RecipeServer:
    """The example project serving one recipe, and an Okta-like client for it."""

    def __init__(self, recipe: str, directory: Path) -> None:
        template, self.token = template_database(directory)
        self.template_token = self.token
        self.recipe = recipe
        self.db_path = directory / f"{recipe}.sqlite3"
        shutil.copyfile(template, self.db_path)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/scim/v2"
        self.authorization = f"Bearer {self.token}"
        self.process: subprocess.Popen | None = None

    def start(self) -> RecipeServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
            ],
            cwd=ROOT,
            env=_env(self.db_path, self.recipe),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"runserver exited:\n{self.process.stderr.read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("runserver did not start within 60 seconds")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def manage(self, *args: str) -> str:
        """Run a management command of the example project on this server's database."""
        return _manage(self.db_path, self.recipe, *args)

    def use_organization(self, name: str) -> str:
        """Authenticate from now on with a new token bound to the organization ``name``
        (created if missing), as ``make demo`` makes one; return the organization's id."""
        output = self.manage("demo_setup", "--organization", name, "--base-url", self.root)
        self.token = output.strip().splitlines()[-1].strip()
        self.authorization = f"Bearer {self.token}"
        (org_id,) = self.sql("SELECT id FROM organizations_organization WHERE name = ?", name)[0]
        return str(org_id)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def use_basic_auth(self, username: str = "apikey") -> None:
        """Okta's Basic auth template: ``base64(username:token)``."""
        raw = f"{username}:{self.token}".encode()
        self.authorization = "Basic " + base64.b64encode(raw).decode()

    # Okta's requests ------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None) -> Response:
        """A request with Okta's headers (``Content-Type`` even without a body)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={
                "Accept": SCIM_JSON,
                "Accept-Charset": "utf-8",
                "Content-Type": f"{SCIM_JSON}; charset=utf-8",
                "User-Agent": "Okta SCIM Client 1.0.0",
                "Authorization": self.authorization,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, headers, raw = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            status, headers, raw = error.code, dict(error.headers), error.read()
        return Response(status, headers, json.loads(raw) if raw else None)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Response:
        return self.request("POST", path, body)

    def put(self, path: str, body: Any) -> Response:
        return self.request("PUT", path, body)

    def patch(self, path: str, *operations: dict[str, Any]) -> Response:
        return self.request("PATCH", path, {"schemas": [PATCH_URN], "Operations": list(operations)})

    def delete(self, path: str) -> Response:
        return self.request("DELETE", path)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        """The JSON body of a request that must answer ``status``."""
        response = self.request(method, path, body)
        assert response.status == status, (method, path, response)
        return response.body

    # Okta's flows ---------------------------------------------------------------------

    def test_api_credentials(self) -> None:
        """ "Test API Credentials": the two constant list requests, both 200 ListResponses."""
        for path, count in (
            ("/Users?startIndex=1&count=2", 2),
            ("/Groups?startIndex=1&count=100", 100),
        ):
            body = self.ok("GET", path)
            assert body["schemas"] == [LIST_URN]
            assert isinstance(body["totalResults"], int)
            assert body["startIndex"] == 1
            assert isinstance(body["Resources"], list) and len(body["Resources"]) <= count

    def lookup_user(self, user_name: str) -> list[dict[str, Any]]:
        """Okta's lookup before create: ``userName eq`` (encoded with ``%20``)."""
        query = urllib.request.quote(f'userName eq "{user_name}"')
        body = self.ok("GET", f"/Users?filter={query}&startIndex=1&count=100")
        assert body["schemas"] == [LIST_URN]
        return body["Resources"]

    def provision(self, body: dict[str, Any]) -> dict[str, Any]:
        """Lookup (none found), then POST: the 201 body."""
        assert self.lookup_user(body["userName"]) == []
        response = self.post("/Users", body)
        assert response.status == 201, response
        assert response.body["id"]
        assert "password" not in response.body
        return response.body

    def update_by_put(self, user_id: str, **changes: Any) -> Response:
        """ "Update User Attributes": GET, then PUT the whole body with ``changes`` applied."""
        current = self.ok("GET", f"/Users/{user_id}")
        current.update(changes)
        return self.put(f"/Users/{user_id}", current)

    def set_active(self, user_id: str, active: bool) -> dict[str, Any]:
        """OIN (de)activation: a no-path replace of ``active``."""
        return self.ok(
            "PATCH",
            f"/Users/{user_id}",
            {
                "schemas": [PATCH_URN],
                "Operations": [{"op": "replace", "value": {"active": active}}],
            },
        )

    def push_group(self, name: str, members: list[dict[str, Any]] = (), **extra: Any) -> dict:
        """Group Push: lookup by displayName, then POST with the members."""
        query = urllib.request.quote(f'displayName eq "{name}"')
        assert self.ok("GET", f"/Groups?filter={query}&startIndex=1&count=100")["Resources"] == []
        body = {
            "schemas": [GROUP_URN, *[k for k in extra if k.startswith("urn:")]],
            "displayName": name,
            "members": [{"value": u["id"], "display": u["userName"]} for u in members],
            **extra,
        }
        return self.ok("POST", "/Groups", body, status=201)

    def group_members(self, group_id: str) -> set[str]:
        body = self.ok("GET", f"/Groups/{group_id}")
        return {m["value"] for m in body.get("members") or []}

    # Host state -------------------------------------------------------------------------

    def sql(self, query: str, *params: Any) -> list[tuple]:
        with sqlite3.connect(self.db_path, timeout=10) as connection:
            return connection.execute(query, params).fetchall()

    def host_user(self, user_name: str) -> dict[str, Any]:
        rows = self.sql(
            "SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.is_active,"
            " u.password FROM auth_user u WHERE u.username = ?",
            user_name,
        )
        assert len(rows) == 1, rows
        keys = ("id", "username", "email", "first_name", "last_name", "is_active", "password")
        return dict(zip(keys, rows[0], strict=True))

    def profile(self, user_name: str) -> dict[str, Any] | None:
        rows = self.sql(
            "SELECT p.location, p.attribute1, p.organization_role, p.lambdatest_group"
            " FROM recipes_profile p JOIN auth_user u ON u.id = p.user_id WHERE u.username = ?",
            user_name,
        )
        keys = ("location", "attribute1", "organization_role", "lambdatest_group")
        return dict(zip(keys, rows[0], strict=True)) if rows else None

    def teams(self) -> dict[str, dict[str, Any]]:
        """``{team name: {"archived": bool, "members": {username, ...}}}``."""
        teams: dict[str, dict[str, Any]] = {}
        # Live teams last: they win over archived ones of the same name.
        for team_id, name, archived_at in self.sql(
            "SELECT id, name, archived_at FROM recipes_team ORDER BY archived_at IS NULL, id"
        ):
            members = self.sql(
                "SELECT u.username FROM recipes_team_members m"
                " JOIN auth_user u ON u.id = m.user_id WHERE m.team_id = ?",
                team_id,
            )
            teams[name] = {"archived": archived_at is not None, "members": {m for (m,) in members}}
        return teams

    def organization_teams(self, org_id: str) -> dict[str, set[str]]:
        """``{team name: {username, ...}}`` of the organization's ``OrganizationTeam`` rows."""
        teams: dict[str, set[str]] = {}
        for team_id, name in self.sql(
            "SELECT id, name FROM recipes_organizationteam WHERE organization_id = ?", org_id
        ):
            members = self.sql(
                "SELECT u.username FROM recipes_organizationteam_members m"
                " JOIN auth_user u ON u.id = m.user_id WHERE m.organizationteam_id = ?",
                team_id,
            )
            teams[name] = {m for (m,) in members}
        return teams


def okta_user(user_name: str, given: str, family: str, **extra: Any) -> dict[str, Any]:
    """The body of Okta's ``POST /Users``, placeholder password included."""
    return {
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": f"00u{abs(hash(user_name)) % 10**12:012d}",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
        **extra,
    }
