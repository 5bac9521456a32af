"""Same requests, same database server, two apps: django-scim-provider against django-scim2.

Latency (p50) and queries per request, in process through Django's test client with
``CaptureQueriesContext`` (no network, no server), the method of ``benchmarks/scaling.py``.
The operations (``OPS``):

* ``list_first``   ``GET /Users?startIndex=1&count=100`` (Okta's import, first page);
* ``lookup``       ``GET /Users?filter=userName eq "..."&startIndex=1&count=100``;
* ``get_user``     ``GET /Users/{id}``;
* ``create``       ``POST /Users`` with Okta's body,
  a new ``userName`` each time; ``create_nopw`` is the same body without ``password``;
* ``deactivate``   ``PATCH /Users/{id}`` ``{"op":"replace","value":{"active":false}}``,
  a different active user each time;
* ``group_add_1``  ``PATCH /Groups/{id}`` adding 1 member to a group of 1,000 members, and
  ``group_remove_1`` removing it again (timed separately, so the group stays at 1,000).

django-scim2 needs a project of its own: its default adapters read ``scim_id``,
``scim_external_id``, ``scim_username`` on the user and ``scim_groups`` (a many-to-many
whose reverse is ``user_set``) and ``scim_external_id`` on the group, so the project
below declares the user and group models of django-scim2's own test suite
(``tests/models.py``: ``AbstractSCIMUserMixin`` + ``AbstractUser``,
``AbstractSCIMGroupMixin``). Stock ``auth.User`` cannot be used with its default
adapters. It has no authentication (README: "left for other apps"): the project's
middleware sets ``request.user`` to an authenticated placeholder when
``Authorization: Bearer <SCIM2_BENCH_TOKEN>`` matches a constant (no query), and
django-scim2's ``SCIMAuthCheckMiddleware`` answers 401 otherwise.

Setup (the throwaway venv and project live under /tmp, outside the repository)::

    python3 -m venv /tmp/scim2-venv
    /tmp/scim2-venv/bin/pip install django-scim2==0.23.0 'psycopg[binary]'   # Django 5.2.x
    /tmp/scim2-venv/bin/python benchmarks/compare_django_scim2.py project /tmp/scim2-project
    # writes manage.py and the scim2bench package (settings, urls, models, auth middleware)

One run (``scripts/with-postgres`` gives a throwaway cluster; see also
``/tmp/scim2-project/run.sh``, written by ``project``, which does all of this)::

    scripts/with-postgres bash /tmp/scim2-project/run.sh /work/main 10000 /tmp/cmp-out

which, per size N, creates two databases on the same server and runs::

    # ours
    export DJANGO_SETTINGS_MODULE=benchmarks.settings DATABASE_URL=.../ours_N
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py scim_bench_seed --users N --groups 1 --members 1000 \\
        --tenant acme --token-file T
    .venv/bin/python benchmarks/compare_django_scim2.py measure --app ours --token-file T \\
        --out ours.json
    # django-scim2 (its own settings module; DJANGO_SETTINGS_MODULE unset)
    SCIM2_DATABASE_URL=.../scim2_N /tmp/scim2-venv/bin/python /tmp/scim2-project/manage.py migrate
    /tmp/scim2-venv/bin/python benchmarks/compare_django_scim2.py seed \\
        --project /tmp/scim2-project --users N --members 1000
    /tmp/scim2-venv/bin/python benchmarks/compare_django_scim2.py measure --app scim2 \\
        --project /tmp/scim2-project --out theirs.json
    # the Markdown table
    python3 benchmarks/compare_django_scim2.py table ours.json theirs.json

``measure --app ours`` runs the group rows twice: with the default
``GROUP_PATCH_RESPONSE = "auto"`` (204 once the group has more than 1,000 members) and with
``"resource"`` (200 with every member, what django-scim2 always sends).

Conformance (each app on an empty database, ``runserver`` on a free loopback port), with
the third-party checkers scim2-tester and scim-sanity (the versions pinned in the test extra
of ``pyproject.toml``) pointed at each base URL and token::

    ... manage.py scim_create_token --name conformance       # ours: the token, last line
    (the checkers) http://127.0.0.1:PORT1/scim/v2 TOKEN
    (the checkers) http://127.0.0.1:PORT2/scim/v2 scim2-bench-token
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from loadgen import lookup_path  # the same request as the load driver's (script dir)

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
OPS = [
    "list_first",
    "lookup",
    "get_user",
    "create",
    "create_nopw",
    "deactivate",
    "group_add_1",
    "group_remove_1",
]

# --------------------------------------------------------------------------- the project

SETTINGS = '''"""A minimal django-scim2 project (written by benchmarks/compare_django_scim2.py)."""
import os
from urllib.parse import urlparse

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django_scim",
    "scim2bench",
]
# Django's startproject stack (the same as ours: example_project/settings.py), plus the
# bearer check after AuthenticationMiddleware, where django-scim2's README wants it.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "scim2bench.auth.ConstantBearerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "scim2bench.urls"
AUTH_USER_MODEL = "scim2bench.User"
_url = urlparse(os.environ.get("SCIM2_DATABASE_URL") or os.environ["DATABASE_URL"])
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "",
        "PORT": _url.port or "",
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
SCIM2_BENCH_TOKEN = os.environ.get("SCIM2_BENCH_TOKEN", "scim2-bench-token")
# django-scim2's README: NETLOC and AUTHENTICATION_SCHEMES are required.
SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "SCHEME": "http",
    "GROUP_MODEL": "scim2bench.models.Group",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
        },
    ],
}
'''

MODELS = '''"""The models of django-scim2's test suite (tests/models.py): what its adapters read."""
from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim import models as scim_models


class Group(scim_models.AbstractSCIMGroupMixin):
    name = models.CharField("name", max_length=80, unique=True)


class User(scim_models.AbstractSCIMUserMixin, AbstractUser):
    scim_groups = models.ManyToManyField(Group, related_name="user_set")
'''

AUTH = '''"""Benchmark-only authentication: one constant bearer token, no database query."""
import hmac

from django.conf import settings


class _Client:
    is_authenticated = True
    is_anonymous = False
    pk = None


class ConstantBearerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.expected = ("Bearer " + settings.SCIM2_BENCH_TOKEN).encode()

    def __call__(self, request):
        given = request.headers.get("Authorization", "").encode()
        if given and hmac.compare_digest(given, self.expected):
            request.user = _Client()
        return self.get_response(request)
'''

URLS = """from django.urls import include, path

urlpatterns = [path("scim/v2/", include("django_scim.urls", namespace="scim"))]
"""

MANAGE = """#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scim2bench.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

RUN_SH = r"""#!/usr/bin/env bash
# run.sh REPO N OUTDIR -- under scripts/with-postgres (PGHOST/PGPORT/DATABASE_URL set).
set -euo pipefail
REPO=$1; N=$2; OUT=$3
PROJECT=$(cd "$(dirname "$0")" && pwd)
SCIM2_PY=${SCIM2_PY:-/tmp/scim2-venv/bin/python}
mkdir -p "$OUT"
base=${DATABASE_URL%/*}
psql -X -q -d postgres -c "CREATE DATABASE ours_$N" -c "CREATE DATABASE scim2_$N"
cd "$REPO"
OURS="env DJANGO_SETTINGS_MODULE=benchmarks.settings DATABASE_URL=$base/ours_$N .venv/bin/python"
$OURS manage.py migrate -v0
$OURS manage.py scim_bench_seed --users "$N" --groups 1 \
    --members 1000 --tenant acme --token-file "$OUT/token_ours_$N"
SCIM2_DATABASE_URL=$base/scim2_$N "$SCIM2_PY" "$PROJECT/manage.py" migrate -v0
SCIM2_DATABASE_URL=$base/scim2_$N "$SCIM2_PY" benchmarks/compare_django_scim2.py seed \
    --project "$PROJECT" --users "$N" --members 1000
psql -X -q -d ours_$N -c "VACUUM ANALYZE"
psql -X -q -d scim2_$N -c "VACUUM ANALYZE"
$OURS benchmarks/compare_django_scim2.py measure --app ours \
    --token-file "$OUT/token_ours_$N" --label "$N" --out "$OUT/ours_$N.json"
SCIM2_DATABASE_URL=$base/scim2_$N "$SCIM2_PY" benchmarks/compare_django_scim2.py measure \
    --app scim2 --project "$PROJECT" --label "$N" --out "$OUT/scim2_$N.json"
python3 benchmarks/compare_django_scim2.py table "$OUT/ours_$N.json" "$OUT/scim2_$N.json"
"""


def write_project(args) -> int:
    root = Path(args.dir)
    pkg = root / "scim2bench"
    (pkg / "migrations").mkdir(parents=True, exist_ok=True)
    files = {
        root / "manage.py": MANAGE,
        root / "run.sh": RUN_SH,
        pkg / "__init__.py": "",
        pkg / "migrations" / "__init__.py": "",
        pkg / "settings.py": SETTINGS,
        pkg / "models.py": MODELS,
        pkg / "auth.py": AUTH,
        pkg / "urls.py": URLS,
    }
    for path, text in files.items():
        path.write_text(text)
    (root / "run.sh").chmod(0o755)
    # The migration of the two models, generated by the Django of the venv running this.
    import subprocess

    env = {**os.environ, "SCIM2_DATABASE_URL": "postgres://x@127.0.0.1/x"}
    subprocess.run(
        [sys.executable, str(root / "manage.py"), "makemigrations", "scim2bench", "-v0"],
        check=True,
        env=env,
    )
    print(f"project written to {root}")
    return 0


def setup_scim2(project: str) -> None:
    sys.path.insert(0, project)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scim2bench.settings"
    import django

    django.setup()


def setup_ours() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()


# --------------------------------------------------------------------------- seeding django-scim2


def seed(args) -> int:
    """Users (unusable password, ``scim_id`` = pk as the adapter's ``save()`` leaves it) and
    one group holding the first ``--members`` users, with ``bulk_create``."""
    setup_scim2(args.project)
    from django.contrib.auth import get_user_model
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone
    from scim2bench.models import Group

    User = get_user_model()
    now = timezone.now()
    t0 = time.monotonic()
    start = (User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    with transaction.atomic():
        batch = []
        for pk in range(start, start + args.users):
            name = f"{args.prefix}{pk}@example.com"
            batch.append(
                User(
                    pk=pk,
                    username=name,
                    scim_username=name,
                    scim_id=str(pk),
                    scim_external_id=f"ext{pk}",
                    first_name=f"Given{pk}",
                    last_name=f"Family{pk}",
                    email=name,
                    password="!",  # unusable
                    is_active=True,
                    date_joined=now,
                )
            )
            if len(batch) == 5000:
                User.objects.bulk_create(batch)
                batch = []
        User.objects.bulk_create(batch)
        group = None
        if args.members:
            gpk = (Group.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
            group = Group.objects.create(
                pk=gpk,
                name=f"bench-group-{gpk}",
                scim_id=str(gpk),
                scim_display_name=f"bench-group-{gpk}",
            )
            Through = User.scim_groups.through
            Through.objects.bulk_create(
                [
                    Through(user_id=pk, group_id=group.pk)
                    for pk in range(start, start + args.members)
                ],
                batch_size=5000,
            )
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [User, Group]):
                cursor.execute(sql)
    print(
        f"seeded {args.users} users, group of {args.members} in {time.monotonic() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


# --------------------------------------------------------------------------- measuring


class Target:
    """What differs between the two apps: where ids come from, the client's credentials."""

    prefix = "/scim/v2"

    def __init__(self, app: str, args) -> None:
        from django.test import Client

        self.app = app
        rnd = random.Random(7)
        if app == "ours":
            from scim_provider.models import ScimGroup, ScimMembership, ScimUser, get_token_model

            token = Path(args.token_file).read_text().strip()
            tenant = get_token_model().objects.get_for_plaintext(token).tenant_id
            users = ScimUser.objects.filter(tenant_id=tenant, deleted_at__isnull=True)
            rows = list(users.order_by("pk").values_list("pk", "scim_id", "user_name"))
            group = None
            for g in ScimGroup.objects.filter(tenant_id=tenant).order_by("pk")[:20]:
                if ScimMembership.objects.filter(group=g).count() == 1000:
                    group = g
                    break
            members = set(
                ScimMembership.objects.filter(group=group).values_list("user_id", flat=True)
            )
            self.group_id = str(group.scim_id)
        else:
            from django.conf import settings
            from django.contrib.auth import get_user_model
            from scim2bench.models import Group

            token = settings.SCIM2_BENCH_TOKEN
            User = get_user_model()
            rows = list(User.objects.order_by("pk").values_list("pk", "scim_id", "username"))
            group = None
            for g in Group.objects.order_by("pk")[:20]:
                if g.user_set.count() == 1000:
                    group = g
                    break
            members = set(group.user_set.values_list("pk", flat=True))
            self.group_id = str(group.scim_id)
        self.total = len(rows)
        outside = [r for r in rows if r[0] not in members]
        # 50 users spread over the table for reads; 100 others to deactivate; 20 to add.
        reads = rnd.sample(outside, 170)
        self.sample = [(str(r[1]), r[2]) for r in reads[:50]]
        self.to_deactivate = [str(r[1]) for r in reads[50:150]]
        self.outsiders = [str(r[1]) for r in reads[150:]]
        self.rnd = rnd
        self.created = 0
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")

    def get(self, path):
        return self.client.get(self.prefix + path)

    def send(self, method, path, body):
        return getattr(self.client, method)(
            self.prefix + path, json.dumps(body), content_type="application/scim+json"
        )

    # --- operations
    def list_first(self):
        return self.get("/Users?startIndex=1&count=100")

    def lookup(self):
        _, name = self.rnd.choice(self.sample)
        return self.get(lookup_path(name))

    def get_user(self):
        scim_id, _ = self.rnd.choice(self.sample)
        return self.get(f"/Users/{scim_id}")

    def create(self, password=True):
        self.created += 1
        name = f"okta.{os.getpid()}.{self.created}@okta.local"
        body = {
            "schemas": [USER],
            "userName": name,
            "name": {"givenName": "Test", "familyName": "User"},
            "emails": [{"primary": True, "value": name, "type": "work"}],
            "displayName": "Test User",
            "locale": "en-US",
            "externalId": f"00ujl29u0le5T6A{self.created:05d}",
            "groups": [],
            "password": "1mz050nq",
            "active": True,
        }
        if not password:
            del body["password"]
        return self.send("post", "/Users", body)

    def create_nopw(self):
        return self.create(password=False)

    def deactivate(self):
        scim_id = self.to_deactivate.pop()
        body = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
        return self.send("patch", f"/Users/{scim_id}", body)

    def members(self, op, ids):
        body = {
            "schemas": [PATCH],
            "Operations": [{"op": op, "path": "members", "value": [{"value": i} for i in ids]}],
        }
        return self.send("patch", f"/Groups/{self.group_id}", body)


def timed(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        response = fn()
        elapsed = time.perf_counter() - t0
    slowest = max((float(q["time"]) for q in ctx.captured_queries), default=0.0)
    return (
        elapsed,
        len(ctx.captured_queries),
        response.status_code,
        len(response.content),
        (
            slowest,
            check(response),
        ),
    )


def check(response) -> str:
    """What the answer said, in a few words: the runs are only comparable if both worked."""
    if not response.content:
        return f"{response.status_code} (no body)"
    try:
        doc = json.loads(response.content)
    except ValueError:
        return f"{response.status_code} (not JSON)"
    if "Resources" in doc:
        return f"totalResults={doc.get('totalResults')} itemsPerPage={doc.get('itemsPerPage')}"
    if "members" in doc:
        return f"members={len(doc['members'])}"
    if "userName" in doc:
        return f"active={doc.get('active')} id={doc.get('id')}"
    return json.dumps(doc)[:120]


def summarise(rows) -> dict:
    times = sorted(r[0] for r in rows)
    return {
        "p50_ms": round(statistics.median(times) * 1000, 2),
        "min_ms": round(times[0] * 1000, 2),
        "max_ms": round(times[-1] * 1000, 2),
        "queries": max(r[1] for r in rows),
        "queries_min": min(r[1] for r in rows),
        "statuses": sorted({r[2] for r in rows}),
        "bytes": max(r[3] for r in rows),
        "slowest_query_ms": round(statistics.median(r[4][0] for r in rows) * 1000, 2),
        "last": rows[-1][4][1],
        "n": len(rows),
    }


def measure_ops(target: Target, repeat: int, group_repeat: int, suffix: str = "") -> dict:
    out = {}
    simple = ["list_first", "lookup", "get_user", "create", "create_nopw", "deactivate"]
    for name in simple if not suffix else []:
        fn = getattr(target, name)
        for _ in range(2):  # warm-up
            fn()
        rows = [timed(fn) for _ in range(repeat)]
        out[name] = summarise(rows)
        print(f"{target.app:>5} {name + suffix:<22} {fmt(out[name])}", file=sys.stderr)
    adds, removes = [], []
    for i in range(group_repeat + 1):
        ids = [target.outsiders[i % len(target.outsiders)]]
        add = timed(lambda ids=ids: target.members("add", ids))
        remove = timed(lambda ids=ids: target.members("remove", ids))
        if i:  # the first round is the warm-up
            adds.append(add)
            removes.append(remove)
    for name, rows in (("group_add_1", adds), ("group_remove_1", removes)):
        out[name + suffix] = summarise(rows)
        print(f"{target.app:>5} {name + suffix:<22} {fmt(out[name + suffix])}", file=sys.stderr)
    return out


def fmt(m: dict) -> str:
    return (
        f"p50 {m['p50_ms']:8.2f} ms  queries {m['queries_min']}-{m['queries']:<3} "
        f"{m['statuses']}  {m['bytes']:>8} B  slowest query {m['slowest_query_ms']:.1f} ms  "
        f"{m['last']}"
    )


def measure(args) -> int:
    if args.app == "ours":
        setup_ours()
    else:
        setup_scim2(args.project)
    import django

    target = Target(args.app, args)
    results = {
        "app": args.app,
        "label": args.label,
        "users": target.total,
        "django": django.get_version(),
        "python": sys.version.split()[0],
    }
    if args.app == "ours":
        from importlib.metadata import version

        results["version"] = version("django-scim-provider")
    else:
        from importlib.metadata import version

        results["version"] = version("django-scim2")
    results["ops"] = measure_ops(target, args.repeat, args.group_repeat)
    if args.app == "ours":
        from django.conf import settings
        from django.test import override_settings

        resource = {**settings.SCIM_PROVIDER, "GROUP_PATCH_RESPONSE": "resource"}
        with override_settings(SCIM_PROVIDER=resource):
            results["ops"].update(
                measure_ops(target, args.repeat, args.group_repeat, suffix="_resource")
            )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


# --------------------------------------------------------------------------- the table

LABELS = {
    "list_first": "(a) `GET /Users?startIndex=1&count=100`",
    "lookup": '(b) `GET /Users?filter=userName eq "…"`',
    "get_user": "(c) `GET /Users/{id}`",
    "create": "(d) `POST /Users` (Okta body, with `password`)",
    "create_nopw": "(d′) `POST /Users` (same, no `password`)",
    "deactivate": '(e) `PATCH` `{"op":"replace","value":{"active":false}}`',
    "group_add_1": "(f) group `PATCH` +1 member (group of 1,000)",
    "group_remove_1": "(f′) group `PATCH` −1 member (back to 1,000)",
}


def table(args) -> int:
    ours = json.loads(Path(args.ours).read_text())
    theirs = json.loads(Path(args.theirs).read_text())

    def cell(m):
        if not m:
            return "–"
        q = (
            f"{m['queries']}"
            if m["queries"] == m["queries_min"]
            else (f"{m['queries_min']}–{m['queries']}")
        )
        return f"{m['p50_ms']:,.1f} / {q} ({'/'.join(map(str, m['statuses']))})"

    print(
        f"{ours['users']:,} users (ours) / {theirs['users']:,} (django-scim2); "
        f"p50 ms / queries per request (HTTP status)\n"
    )
    print(
        f"| request | django-scim-provider {ours['version']} | django-scim2 {theirs['version']} |"
    )
    print("|---|---|---|")
    for op, label in LABELS.items():
        o = ours["ops"].get(op)
        if op.startswith("group_") and ours["ops"].get(op + "_resource"):
            extra = cell(ours["ops"][op + "_resource"])
            text = f'{cell(o)}; `"resource"`: {extra}'
        else:
            text = cell(o)
        print(f"| {label} | {text} | {cell(theirs['ops'].get(op))} |")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("project", help="write the minimal django-scim2 project into DIR")
    p.add_argument("dir")
    p.set_defaults(func=write_project)
    p = sub.add_parser("seed", help="bulk-insert users and one group (django-scim2 project)")
    p.add_argument("--project", required=True)
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--prefix", default="bench")
    p.set_defaults(func=seed)
    p = sub.add_parser("measure", help="time the operations in process")
    p.add_argument("--app", choices=["ours", "scim2"], required=True)
    p.add_argument("--project", help="the django-scim2 project (--app scim2)")
    p.add_argument("--token-file", help="a SCIM token of ours (--app ours)")
    p.add_argument("--label", default="")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--group-repeat", type=int, default=8)
    p.add_argument("--out")
    p.set_defaults(func=measure)
    p = sub.add_parser("table", help="print the Markdown table of two result files")
    p.add_argument("ours")
    p.add_argument("theirs")
    p.set_defaults(func=table)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
