"""The scaling table: latency and query counts of single requests, in process.

    DATABASE_URL=postgres://.../bench_1m python benchmarks/scaling.py --token-file /tmp/t \
        --label 1M --out scaling-1m.json [--repeat 15] [--profile lookup]

Runs against a database seeded by ``scim_bench_seed``, through Django's test client (no
network, no server: what is measured is the view, the ORM and the database), with
``CaptureQueriesContext`` counting the queries of each request and the time of the
slowest. The operations:

* ``list_first``: ``GET /Users?startIndex=1&count=100`` (Okta's import, first page);
* ``list_deep``: the same at ``startIndex`` = total - 100 (the last page), as a jump;
* ``list_deep_next``: that page right after the one before it (Okta's loop: a bookmark);
* ``list_cursor_deep``: a cursor page deep in the table, when the checkout has cursors;
* ``lookup``: ``GET /Users?filter=userName eq "..."`` (Okta's lookup before create);
* ``lookup_email`` / ``lookup_email_entra``: the same user by ``emails.value eq "..."`` /
  Entra's ``emails[type eq "work"].value eq "..."`` (seeded emails are the userNames);
* ``get_user``: ``GET /Users/{id}``;
* ``group_patch_1`` / ``group_patch_1000``: PATCH adding 1 / 1,000 members to the largest
  seeded group (100k members when seeded so), then a PATCH removing them again (timed
  separately as ``group_unpatch_*``), so the group's size is unchanged between rounds.

``--profile OP`` runs OP under pyinstrument (``pip install pyinstrument``) and prints the
profile instead of the table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from urllib.parse import quote

from loadgen import lookup_path  # the same request as the load driver's (script dir)


def filter_path(expression: str) -> str:
    """A ``/Users`` lookup as the identity providers send it."""
    return f"/Users?filter={quote(expression)}&startIndex=1&count=100"


def setup() -> None:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()


PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Bench:
    def __init__(self, token: str, tenant_id: str) -> None:
        from django.test import Client

        from scim_provider.models import ScimGroup, ScimMembership, ScimUser

        self.bookmarked = False
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
        self.prefix = "/scim/v2"
        users = ScimUser.objects.filter(tenant_id=tenant_id, deleted_at__isnull=True)
        self.total = users.count()
        last = users.order_by("-pk").values_list("pk", flat=True).first()
        rnd = random.Random(7)
        # Sample users spread over the whole table (by primary key ranges, no OFFSET).
        first = users.order_by("pk").values_list("pk", flat=True).first()
        self.sample = []
        for _ in range(50):
            pk = rnd.randint(first, last)
            row = (
                users.filter(pk__gte=pk).order_by("pk").values_list("scim_id", "user_name").first()
            )
            if row:
                self.sample.append((str(row[0]), row[1]))
        groups = ScimGroup.objects.filter(tenant_id=tenant_id, deleted_at__isnull=True)
        biggest = None
        best = -1
        for group in groups.order_by("pk")[:20]:
            size = ScimMembership.objects.filter(group=group).count()
            if size > best:
                biggest, best = group, size
        self.group = biggest
        self.group_size = best
        # Users not in the group, to add and remove again.
        outside = users.exclude(memberships__group=biggest) if biggest else users
        self.outsiders = [
            str(s) for s in outside.order_by("-pk").values_list("scim_id", flat=True)[:1000]
        ]
        self.rnd = rnd
        self.cursor_deep = None

    def get(self, path: str):
        return self.client.get(self.prefix + path)

    def patch(self, path: str, body: dict):
        return self.client.patch(
            self.prefix + path, json.dumps(body), content_type="application/scim+json"
        )

    # Operations: each returns the response (for the status check).
    def list_first(self):
        return self.get("/Users?startIndex=1&count=100")

    def list_deep(self):
        return self.get(f"/Users?startIndex={max(1, self.total - 99)}&count=100")

    def list_deep_next(self):
        """The last page as Okta's import loop reaches it: right after the page before,
        which left a bookmark (checkouts with bookmarks; otherwise the same as list_deep)."""
        if not self.bookmarked:
            self.get(f"/Users?startIndex={max(1, self.total - 199)}&count=100")
            self.bookmarked = True
        return self.list_deep()

    def list_cursor_deep(self):
        if self.cursor_deep is None:
            return None
        return self.get(f"/Users?cursor={self.cursor_deep}&count=100")

    def lookup(self):
        _, name = self.rnd.choice(self.sample)
        return self.get(lookup_path(name))

    def lookup_email(self):
        """``emails.value eq`` the user's (seeded) email: a ``ScimValue`` subquery."""
        _, name = self.rnd.choice(self.sample)
        return self.get(filter_path(f'emails.value eq "{name}"'))

    def lookup_email_entra(self):
        """Entra's form: ``emails[type eq "work"].value eq``."""
        _, name = self.rnd.choice(self.sample)
        return self.get(filter_path(f'emails[type eq "work"].value eq "{name}"'))

    def get_user(self):
        scim_id, _ = self.rnd.choice(self.sample)
        return self.get(f"/Users/{scim_id}")

    def members_patch(self, op: str, ids: list[str]):
        if op == "add":
            operation = {"op": "add", "path": "members", "value": [{"value": i} for i in ids]}
        else:  # Entra's form: remove with a value list
            operation = {"op": "remove", "path": "members", "value": [{"value": i} for i in ids]}
        return self.patch(
            f"/Groups/{self.group.scim_id}", {"schemas": [PATCH], "Operations": [operation]}
        )


def measure(fn, repeat: int, warmup: int = 2) -> dict | None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        if fn() is None:
            return None
    times, counts, slowest, statuses = [], [], [], set()
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = fn()
            times.append(time.perf_counter() - t0)
        statuses.add(response.status_code)
        counts.append(len(ctx.captured_queries))
        slowest.append(max((float(q["time"]) for q in ctx.captured_queries), default=0.0))
    times.sort()
    return {
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": times[min(len(times) - 1, int(len(times) * 0.95))] * 1000,
        "min_ms": times[0] * 1000,
        "queries": max(counts),
        "slowest_query_ms": statistics.median(slowest) * 1000,
        "statuses": sorted(statuses),
    }


def run(args) -> dict:
    setup()
    from scim_provider.models import get_token_model

    token = args.token
    if args.token_file:
        with open(args.token_file) as handle:
            token = handle.read().strip()
    parsed = get_token_model().objects.get_for_plaintext(token)
    bench = Bench(token, parsed.tenant_id)
    # A cursor near the end of the table, if this checkout offers cursor pagination.
    first = bench.get("/Users?cursor=&count=1")
    if first.status_code == 200 and "nextCursor" in first.json():
        from scim_provider import cursors

        try:
            scope = cursors.CursorScope.of(parsed, "User", {})
            from scim_provider.models import ScimUser

            pk = (
                ScimUser.objects.filter(tenant_id=parsed.tenant_id, deleted_at__isnull=True)
                .order_by("-pk")
                .values_list("pk", flat=True)[100:101]
            )
            bench.cursor_deep = cursors.issue(scope, list(pk)[0])
        except Exception as exc:  # an incompatible checkout: skip that row
            print(f"no deep cursor: {exc!r}", file=sys.stderr)

    ops = {
        "list_first": bench.list_first,
        "list_deep": bench.list_deep,
        "list_deep_next": bench.list_deep_next,
        "list_cursor_deep": bench.list_cursor_deep,
        "lookup": bench.lookup,
        "lookup_email": bench.lookup_email,
        "lookup_email_entra": bench.lookup_email_entra,
        "get_user": bench.get_user,
    }
    results: dict = {"label": args.label, "users": bench.total, "group_members": bench.group_size}
    if args.profile:
        return profile(args, bench, ops)
    results["ops"] = {}
    for name, fn in ops.items():
        measured = measure(fn, args.repeat)
        if measured is not None:
            results["ops"][name] = measured
            print(f"{args.label:>5} {name:<18} {fmt(measured)}", file=sys.stderr)
    from django.conf import settings
    from django.test import override_settings

    no_content = {**settings.SCIM_PROVIDER, "GROUP_PATCH_RESPONSE": "no_content"}
    # The default since the benchmarks: "auto", 204 for groups over 1,000 members.
    for k, suffix in ((1, ""), (1000, ""), (1, "_204"), (1000, "_204")):
        if bench.group is None or len(bench.outsiders) < k:
            continue
        if suffix:  # PATCH answered 204 (GROUP_PATCH_RESPONSE = "no_content"): no members sent
            with override_settings(SCIM_PROVIDER=no_content):
                group_patches(args, bench, k, suffix, results)
        else:
            group_patches(args, bench, k, suffix, results)
    return results


def group_patches(args, bench, k: int, suffix: str, results: dict) -> None:
    """PATCH ``k`` members into the big group and out again, timed separately."""
    ids = bench.outsiders[:k]
    add = measure(lambda ids=ids: bench.members_patch("add", ids), 1, warmup=0)
    remove = measure(lambda ids=ids: bench.members_patch("remove", ids), 1, warmup=0)
    adds, removes = [add], [remove]
    for _ in range(max(1, args.repeat // 3)):
        adds.append(measure(lambda ids=ids: bench.members_patch("add", ids), 1, warmup=0))
        removes.append(measure(lambda ids=ids: bench.members_patch("remove", ids), 1, warmup=0))
    names = (f"group_patch_{k}{suffix}", f"group_unpatch_{k}{suffix}")
    for name, rows in zip(names, (adds, removes), strict=True):
        merged = {
            "p50_ms": statistics.median(r["p50_ms"] for r in rows),
            "p95_ms": max(r["p50_ms"] for r in rows),
            "min_ms": min(r["p50_ms"] for r in rows),
            "queries": max(r["queries"] for r in rows),
            "slowest_query_ms": statistics.median(r["slowest_query_ms"] for r in rows),
            "statuses": sorted({s for r in rows for s in r["statuses"]}),
        }
        results["ops"][name] = merged
        print(f"{args.label:>5} {name:<18} {fmt(merged)}", file=sys.stderr)


def fmt(m: dict) -> str:
    return (
        f"p50 {m['p50_ms']:8.2f} ms  p95 {m['p95_ms']:8.2f} ms  queries {m['queries']:>3}  "
        f"slowest query {m['slowest_query_ms']:7.2f} ms  {m['statuses']}"
    )


def profile(args, bench, ops) -> dict:
    from pyinstrument import Profiler

    fn = ops.get(args.profile)
    if fn is None and args.profile.startswith("group_patch"):
        ids = bench.outsiders[: int(args.profile.rsplit("_", 1)[1])]

        def fn():
            bench.members_patch("add", ids)
            return bench.members_patch("remove", ids)

    for _ in range(3):
        fn()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.repeat):
        fn()
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    return {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--token")
    parser.add_argument("--token-file")
    parser.add_argument("--label", default="")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profile", help="profile one operation with pyinstrument")
    parser.add_argument("--out")
    args = parser.parse_args()
    results = run(args)
    if args.out and results:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
