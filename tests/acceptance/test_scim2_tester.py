"""scim2-tester (python-scim) against ``live_server``: the third-party conformance
suite, run in process, must find nothing wrong.

Counted as failures, as the script does: results in ERROR, CRITICAL or DEVIATION. The
whole suite runs (discovery, then CRUD, PATCH and filters on Users and Groups); the Group
checks are also run on their own so that a regression names the resource.
"""

from __future__ import annotations

import pytest

scim2_tester = pytest.importorskip(
    "scim2_tester", reason="scim2-tester is not installed (pip install -e '.[test]')"
)
httpx2 = pytest.importorskip("httpx2")
from scim2_client.engines.httpx2 import SyncSCIMClient  # noqa: E402

from scim_provider.models import ScimGroup, ScimUser  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

FAILED = {scim2_tester.Status.ERROR, scim2_tester.Status.CRITICAL, scim2_tester.Status.DEVIATION}
PASSED = {
    scim2_tester.Status.SUCCESS,
    scim2_tester.Status.COMPLIANT,
    scim2_tester.Status.ACCEPTABLE,
}


@pytest.fixture
def scim_client(scim_base_url, live_token):
    http = httpx2.Client(
        base_url=scim_base_url,
        # No keep-alive: the test server's replies would each wait for a delayed ACK (~40 ms).
        headers={"Authorization": f"Bearer {live_token}", "Connection": "close"},
        timeout=20.0,
        follow_redirects=False,
        trust_env=False,  # a local server: never through the shell's proxy
    )
    with http:
        yield SyncSCIMClient(http)


def report(results) -> str:
    lines = []
    for result in results:
        where = f"[{result.resource_type}] " if result.resource_type else ""
        reason = (result.reason or "").replace("\n", " | ")[:500]
        lines.append(f"{result.status.name} {where}{result.title}: {reason}")
    return "\n".join(lines)


def run(client, **options):
    results = scim2_tester.check_server(client, **options)
    failures = [r for r in results if r.status in FAILED]
    assert not failures, f"{len(failures)} scim2-tester failures:\n{report(failures)}"
    return results


def test_the_whole_suite_passes(scim_client):
    results = run(scim_client)
    passed = [r for r in results if r.status in PASSED]
    assert {r.resource_type for r in passed} >= {"User", "Group"}, report(results)
    # The checkers clean up after themselves.
    assert not ScimGroup.objects.filter(deleted_at__isnull=True).exists()
    assert not ScimUser.objects.filter(deleted_at__isnull=True).exists()


def test_the_group_checks_pass(scim_client):
    results = run(scim_client, resource_types=["Group"])
    groups = [r for r in results if r.resource_type == "Group"]
    assert groups and all(r.status in PASSED | {scim2_tester.Status.SKIPPED} for r in groups)
    assert any(r.status in PASSED for r in groups)
