"""Replay an Okta provisioning mix against a SCIM base URL, and the bare baseline view.

    python benchmarks/loadgen.py --base-url http://127.0.0.1:8000/scim/v2 \
        --token-file /tmp/token --bare-url http://127.0.0.1:8000/bench/bare/user \
        --tenant 1 --concurrency 4 --duration 30 --out results.json

Stdlib only (threads + ``http.client``, one keep-alive connection per worker). Loopback
hosts only: this is a load generator. The run is three phases of ``--duration`` seconds
each: bare, mix, bare; the ratio is the mix's requests/s over the mean of the two bare
phases, so that drift on a shared machine hits both sides.

The mix (weights in ``MIX``) is what Okta sends: import pages
(``startIndex``/``count=100``; each worker walks them in order as Okta's import does, or at
random with ``--import-order random``), ``userName eq`` lookups, GET by id, create, PUT and PATCH
updates, deactivation (PATCH ``active``), group push (POST /Groups) and member add/remove
(PATCH /Groups/{id}). Each worker owns its users and its group, so that workers never wait
on each other's row locks (Okta serialises the writes to one user too).
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import random
import socket
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from urllib.parse import quote, urlsplit

SCIM_JSON = "application/scim+json; charset=utf-8"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

#: Operation -> weight (percent of the mix).
MIX = {
    "import_page": 5,
    "lookup": 30,
    "get_user": 10,
    "create": 8,
    "put": 10,
    "patch": 10,
    "deactivate": 5,
    "group_push": 2,
    "member_add": 10,
    "member_remove": 10,
}


def loopback_only(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise SystemExit(f"{url}: only http:// on a loopback address")
    host = parts.hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        raise SystemExit(f"{url}: cannot resolve {host}") from None
    if not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise SystemExit(f"{url}: refusing a non-loopback host ({host})")
    return host, parts.port or 80, parts.path.rstrip("/")


class Client:
    """One keep-alive HTTP connection; reconnects when the server closes it."""

    def __init__(self, url: str, authorization: str | None) -> None:
        self.host, self.port, self.prefix = loopback_only(url)
        self.headers = {"Accept": "application/scim+json", "Content-Type": SCIM_JSON}
        if authorization:
            self.headers["Authorization"] = authorization
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body=None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.connection.request(method, self.prefix + path, body=data, headers=self.headers)
                response = self.connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                return response.status, payload
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def user_body(user_name: str, given: str = "Bench", active: bool = True) -> dict:
    """A POST/PUT body as Okta sends it (placeholder password, empty groups)."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": given, "familyName": "Mix"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": f"{given} Mix",
        "locale": "en-US",
        "externalId": "okta-" + user_name,
        "groups": [],
        "password": "1mz050nq",
        "active": active,
    }


def lookup_path(user_name: str) -> str:
    expression = 'userName eq "%s"' % user_name  # noqa: UP031 (quotes inside)
    return f"/Users?filter={quote(expression)}&startIndex=1&count=100"


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, op: str, seconds: float, status: int, ok: bool) -> None:
        with self.lock:
            self.latencies[op].append(seconds)
            self.statuses[op][status] += 1
            if not ok:
                self.errors[op] += 1


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summarize(recorder: Recorder, elapsed: float) -> dict:
    ops = {}
    total = 0
    for op, values in sorted(recorder.latencies.items()):
        total += len(values)
        ops[op] = {
            "requests": len(values),
            "rps": len(values) / elapsed,
            "p50_ms": percentile(values, 50) * 1000,
            "p95_ms": percentile(values, 95) * 1000,
            "p99_ms": percentile(values, 99) * 1000,
            "mean_ms": statistics.fmean(values) * 1000,
            "errors": recorder.errors.get(op, 0),
            "statuses": {str(k): v for k, v in sorted(recorder.statuses[op].items())},
        }
    return {"elapsed_s": elapsed, "requests": total, "rps": total / elapsed, "ops": ops}


class MixWorker:
    """One simulated Okta provisioning thread."""

    def __init__(self, n: int, args, users: list[tuple[str, str]], run_id: str) -> None:
        self.n, self.args, self.run_id = n, args, run_id
        self.client = Client(args.base_url, args.authorization)
        self.random = random.Random(args.seed + n)
        self.users = users  # (scim id, userName) owned by this worker
        self.lookups = args.lookup_names
        self.created = 0
        self.group_id: str | None = None
        self.member_pool: list[str] = [u[0] for u in users]
        self.in_group: list[str] = []
        self.active: dict[str, bool] = {}
        self.import_page = n * 7  # workers walk the same pages, not in step

    def setup(self) -> None:
        status, payload = self.client.request(
            "POST",
            "/Groups",
            {"schemas": [GROUP_SCHEMA], "displayName": f"mix {self.run_id} worker {self.n}"},
        )
        if status != 201:
            raise SystemExit(f"cannot create the worker's group: {status} {payload[:300]!r}")
        self.group_id = json.loads(payload)["id"]

    def step(self, op: str) -> tuple[int, bool]:
        r = self.random
        c = self.client
        if op == "import_page":
            pages = max(1, self.args.import_span // 100)
            if self.args.import_order == "random":  # a client jumping around: OFFSET
                start = r.randrange(0, pages) * 100 + 1
            else:  # Okta: startIndex=1, then +100, ...
                start = self.import_page * 100 + 1
                self.import_page = (self.import_page + 1) % pages
            status, _ = c.request("GET", f"/Users?startIndex={start}&count=100")
            return status, status == 200
        if op == "lookup":
            name = r.choice(self.lookups)
            status, payload = c.request(
                "GET", lookup_path(name.upper() if r.random() < 0.1 else name)
            )
            return status, status == 200 and b'"totalResults":1' in payload.replace(b" ", b"")
        if op == "get_user":
            scim_id, _ = r.choice(self.users)
            status, _ = c.request("GET", f"/Users/{scim_id}")
            return status, status == 200
        if op == "create":
            self.created += 1
            name = f"mix.{self.run_id}.{self.n}.{self.created}@example.test"
            status, payload = c.request("POST", "/Users", user_body(name))
            if status == 201:
                self.users.append((json.loads(payload)["id"], name))
            return status, status == 201
        if op == "put":
            scim_id, name = r.choice(self.users)
            body = user_body(name, given=f"Put{r.randrange(10**6)}")
            status, _ = c.request("PUT", f"/Users/{scim_id}", body)
            return status, status == 200
        if op == "patch":
            scim_id, _ = r.choice(self.users)
            body = {
                "schemas": [PATCH_SCHEMA],
                "Operations": [
                    {"op": "replace", "path": "name.givenName", "value": f"P{r.randrange(10**6)}"}
                ],
            }
            status, _ = c.request("PATCH", f"/Users/{scim_id}", body)
            return status, status == 200
        if op == "deactivate":
            scim_id, _ = r.choice(self.users)
            active = not self.active.get(scim_id, True)  # deactivate, then reactivate
            self.active[scim_id] = active
            body = {
                "schemas": [PATCH_SCHEMA],
                "Operations": [{"op": "replace", "value": {"active": active}}],
            }
            status, _ = c.request("PATCH", f"/Users/{scim_id}", body)
            return status, status == 200
        if op == "group_push":
            name = f"push {self.run_id} {self.n} {uuid.uuid4().hex[:12]}"
            body = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": []}
            status, _ = c.request("POST", "/Groups", body)
            return status, status == 201
        if op in ("member_add", "member_remove"):
            if op == "member_remove" and not self.in_group:
                op = "member_add"
            if op == "member_add":
                member = r.choice(self.member_pool)
                operation = {"op": "add", "path": "members", "value": [{"value": member}]}
                if member not in self.in_group:
                    self.in_group.append(member)
            else:
                member = self.in_group.pop(r.randrange(len(self.in_group)))
                operation = {"op": "remove", "path": f'members[value eq "{member}"]'}
            body = {"schemas": [PATCH_SCHEMA], "Operations": [operation]}
            status, _ = c.request("PATCH", f"/Groups/{self.group_id}", body)
            return status, status in (200, 204)
        raise ValueError(op)


def run_phase(name: str, args, make_step, threads: int) -> dict:
    recorder = Recorder()
    deadline = time.monotonic() + args.duration
    start = time.monotonic()

    def worker(n: int) -> None:
        step = make_step(n)
        while time.monotonic() < deadline:
            op, call = step()
            t0 = time.perf_counter()
            try:
                status, ok = call()
            except Exception as exc:  # a dropped connection: count it, carry on
                status, ok = 0, False
                print(f"{name}/{op}: {exc!r}", file=sys.stderr)
            recorder.add(op, time.perf_counter() - t0, status, ok)

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    summary = summarize(recorder, time.monotonic() - start)
    print(
        f"{name:<6} {summary['rps']:8.1f} req/s  ({summary['requests']} requests)", file=sys.stderr
    )
    return summary


def bootstrap(args, client: Client) -> list[tuple[str, str]]:
    """Known users (id, userName) from a few import pages spread over the table."""
    status, payload = client.request("GET", "/Users?startIndex=1&count=1")
    if status != 200:
        raise SystemExit(f"GET /Users answered {status}: {payload[:300]!r}")
    total = json.loads(payload)["totalResults"]
    if total < args.concurrency * 10:
        raise SystemExit(f"only {total} users: seed more (scim_bench_seed)")
    rnd = random.Random(args.seed)
    found: list[tuple[str, str]] = []
    pages = max(1, args.known_users // 100)
    for _ in range(pages):
        start = rnd.randrange(0, max(1, min(total, args.import_span) - 100)) + 1
        status, payload = client.request("GET", f"/Users?startIndex={start}&count=100")
        found += [(r["id"], r["userName"]) for r in json.loads(payload)["Resources"]]
    return list(dict(found).items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-url", required=True, help="SCIM base, e.g. http://127.0.0.1:8000/scim/v2"
    )
    parser.add_argument("--token", help="SCIM token (or --token-file)")
    parser.add_argument("--token-file")
    parser.add_argument("--bare-url", help="the baseline view (benchmarks/benchapp/views.py)")
    parser.add_argument("--tenant", default="", help="tenant id, passed to the bare view")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase")
    parser.add_argument("--known-users", type=int, default=2000)
    parser.add_argument("--import-span", type=int, default=10_000, help="import pages start within")
    parser.add_argument(
        "--import-order",
        choices=["sequential", "random"],
        default="sequential",
        help="import pages in order, as Okta walks them, or jumping around (OFFSET)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", help="write the JSON results here")
    args = parser.parse_args(argv)

    token = args.token
    if args.token_file:
        with open(args.token_file) as handle:
            token = handle.read().strip()
    if not token:
        parser.error("--token or --token-file is required")
    args.authorization = f"Bearer {token}"
    run_id = uuid.uuid4().hex[:8]

    known = bootstrap(args, Client(args.base_url, args.authorization))
    rnd = random.Random(args.seed)
    rnd.shuffle(known)
    args.lookup_names = [name for _, name in known]
    share = len(known) // args.concurrency
    workers = [
        MixWorker(n, args, known[n * share : (n + 1) * share], run_id)
        for n in range(args.concurrency)
    ]
    for w in workers:
        w.setup()
    ops, weights = zip(*MIX.items(), strict=True)

    def mix_step(n: int):
        w = workers[n]

        def step():
            op = w.random.choices(ops, weights)[0]
            return op, lambda: w.step(op)

        return step

    def bare_step(n: int):
        client = Client(args.bare_url, None)
        rnd = random.Random(args.seed + 1000 + n)
        tenant = quote(args.tenant)

        def step():
            name = quote(rnd.choice(args.lookup_names))

            def call():
                status, payload = client.request("GET", f"?userName={name}&tenant={tenant}")
                return status, status == 200 and b'"totalResults": 1' in payload

            return "bare_lookup", call

        return step

    results: dict = {
        "label": args.label,
        "base_url": args.base_url,
        "concurrency": args.concurrency,
        "import_order": args.import_order,
        "duration_s": args.duration,
        "mix_weights": MIX,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if args.bare_url:
        results["bare_before"] = run_phase("bare", args, bare_step, args.concurrency)
    results["mix"] = run_phase("mix", args, mix_step, args.concurrency)
    if args.bare_url:
        results["bare_after"] = run_phase("bare", args, bare_step, args.concurrency)
        bare_rps = (results["bare_before"]["rps"] + results["bare_after"]["rps"]) / 2
        bare_p50 = statistics.fmean(
            results[k]["ops"]["bare_lookup"]["p50_ms"] for k in ("bare_before", "bare_after")
        )
        results["bare_rps"] = bare_rps
        results["ratio_rps"] = results["mix"]["rps"] / bare_rps
        results["ratio_p50_vs_bare"] = {
            op: v["p50_ms"] / bare_p50 for op, v in results["mix"]["ops"].items()
        }
    print_table(results)
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(results, handle, indent=2)
    return 0


def print_table(results: dict) -> None:
    ops = results["mix"]["ops"]
    ratios = results.get("ratio_p50_vs_bare", {})
    print("\n| operation | req/s | p50 ms | p95 ms | p99 ms | errors | p50 ÷ bare p50 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for op, v in ops.items():
        ratio = f"{ratios[op]:.1f}×" if op in ratios else ""
        print(
            f"| {op} | {v['rps']:.1f} | {v['p50_ms']:.1f} | {v['p95_ms']:.1f} | "
            f"{v['p99_ms']:.1f} | {v['errors']} | {ratio} |"
        )
    mix = results["mix"]
    print(f"| **mix total** | {mix['rps']:.1f} | | | | | |")
    if "bare_rps" in results:
        for key in ("bare_before", "bare_after"):
            b = results[key]["ops"]["bare_lookup"]
            print(
                f"| bare lookup ({key[5:]}) | {results[key]['rps']:.1f} | {b['p50_ms']:.1f} | "
                f"{b['p95_ms']:.1f} | {b['p99_ms']:.1f} | {b['errors']} | |"
            )
        print(f"\nmix ÷ bare (requests/s): {results['ratio_rps']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
