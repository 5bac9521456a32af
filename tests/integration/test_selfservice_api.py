"""The self-service JSON API: the same operations and permission hook, session auth only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.models import ScimGroup, ScimGroupMapping, ScimGroupRule, get_token_model
from tests.integration.selfservice_helpers import *  # noqa: F403
from tests.integration.selfservice_helpers import scim_get, tenant_token
from tests.testapp.models import Team


def api(org, path=""):
    return f"/orgs/{org.pk}/scim-settings/api/{path}"


@pytest.fixture
def admin_api(superuser):
    client = APIClient()
    client.force_login(superuser)
    return client


def test_overview(tenants, admin_api):
    org, _ = tenants
    tenant_token(org)
    body = admin_api.get(api(org)).json()
    assert body["tenant"] == str(org.pk) and body["enabled"] is True
    assert body["base_url"] == "http://testserver/scim/v2"
    assert body["basic_auth_username"] == "apikey" and body["active_tokens"] == 1
    assert body["counts"]["users_active"] == 0


def test_token_lifecycle(tenants, admin_api, superuser):
    org, _ = tenants
    response = admin_api.post(
        api(org, "tokens/"), {"name": "Okta", "expires_in_days": 90}, format="json"
    )
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    created = response.json()
    plaintext = created.pop("plaintext")
    assert created["prefix"] in plaintext and created["created_by"] == superuser.get_username()
    assert created["expires_at"] is not None
    assert scim_get(plaintext).status_code == 200
    listed = admin_api.get(api(org, "tokens/")).json()["results"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "plaintext" not in listed[0]
    assert listed[0]["last_used_at"] is not None and listed[0]["last_used_ip"] == "127.0.0.1"
    rotated = admin_api.post(
        api(org, f"tokens/{created['id']}/rotate/"), {"grace_seconds": 0}, format="json"
    ).json()
    assert scim_get(plaintext).status_code == 401  # no grace asked
    assert scim_get(rotated["plaintext"]).status_code == 200
    assert rotated["previous"]["id"] == created["id"]
    revoked = admin_api.post(api(org, f"tokens/{rotated['id']}/revoke/")).json()
    assert revoked["revoked"] is True and revoked["status"] == "revoked"
    assert scim_get(rotated["plaintext"]).status_code == 401
    assert admin_api.post(api(org, f"tokens/{rotated['id']}/rotate/")).status_code == 400
    audit = admin_api.get(api(org, "audit/")).json()
    assert [e["action"] for e in audit["results"]] == [
        "token_revoked",
        "token_rotated",
        "token_created",
    ]


def test_validation(tenants, admin_api):
    org, _ = tenants
    assert admin_api.post(api(org, "tokens/"), {"name": ""}, format="json").status_code == 400
    assert admin_api.post(api(org, "enable/"), {"enabled": "no"}, format="json").status_code == 400
    assert admin_api.get(api(org, "requests/") + "?status=abc").status_code == 400
    assert not get_token_model().objects.exists()


def test_enable(tenants, admin_api):
    org, _ = tenants
    _, plaintext = tenant_token(org)
    assert admin_api.post(api(org, "enable/"), {"enabled": False}, format="json").json() == {
        "enabled": False,
        "changed": True,
    }
    assert scim_get(plaintext).status_code == 403


def test_permissions(tenants, plain_user, scim_config):
    org_a, org_b = tenants
    token_b, _ = tenant_token(org_b)
    anonymous = APIClient()
    assert anonymous.get(api(org_a, "tokens/")).status_code == 403
    client = APIClient()
    client.force_login(plain_user)
    assert client.get(api(org_a, "tokens/")).status_code == 403
    scim_config(SELF_SERVICE_PERMISSION="tests.integration.selfservice_helpers.admin_of_first_org")
    assert client.get(api(org_a, "tokens/")).json() == {"results": []}
    assert client.get(api(org_b, "tokens/")).status_code == 403
    assert client.post(api(org_a, f"tokens/{token_b.pk}/revoke/")).status_code == 404
    assert client.post(api(org_b, f"tokens/{token_b.pk}/revoke/")).status_code == 403
    token_b.refresh_from_db()
    assert token_b.revoked_at is None
    # SCIM tokens do not authenticate here.
    _, plaintext = tenant_token(org_a)
    scim = APIClient()
    scim.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert scim.get(api(org_a, "tokens/")).status_code == 403


def test_csrf_is_enforced_for_sessions(tenants, superuser):
    org, _ = tenants
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(superuser)
    assert client.get(api(org, "tokens/")).status_code == 200
    response = client.post(api(org, "tokens/"), {"name": "x"}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not get_token_model().objects.exists()


def test_requests(tenants, admin_api, scim_config):
    scim_config(REQUEST_LOG="all")
    org, other = tenants
    _, plaintext = tenant_token(org)
    _, other_plaintext = tenant_token(other)
    scim_get(plaintext, "/Users")
    scim_get(plaintext, "/Users/missing")
    scim_get(other_plaintext, "/Users")
    body = admin_api.get(api(org, "requests/")).json()
    assert body["count"] == 2 and [r["status"] for r in body["results"]] == [404, 200]
    errors = admin_api.get(api(org, "requests/") + "?outcome=errors&page_size=1").json()
    assert errors["count"] == 1 and errors["results"][0]["path"] == "/scim/v2/Users/missing"


def test_groups_mappings_and_rules(tenants, admin_api, teams_mappable):
    org, other = tenants
    team = Team.objects.create(name="Platform")
    group = ScimGroup.objects.create(
        tenant_id=str(org.pk), display_name="Engineering", display_name_key="engineering"
    )
    foreign = ScimGroup.objects.create(
        tenant_id=str(other.pk), display_name="Theirs", display_name_key="theirs"
    )
    kinds = admin_api.get(api(org, "mappables/")).json()["results"]
    assert kinds == [
        {"kind": "team", "label": "Team", "entities": [{"id": str(team.pk), "label": "Platform"}]}
    ]
    body = {"group": str(group.scim_id), "kind": "team", "target_id": str(team.pk)}
    created = admin_api.post(api(org, "mappings/"), body, format="json")
    assert created.status_code == 201
    assert admin_api.post(api(org, "mappings/"), body, format="json").status_code == 200
    refused = admin_api.post(
        api(org, "mappings/"), {**body, "group": str(foreign.scim_id)}, format="json"
    )
    assert refused.status_code == 400
    groups = admin_api.get(api(org, "groups/")).json()["results"]
    assert [g["display_name"] for g in groups] == ["Engineering"]
    assert groups[0]["mappings"][0]["target_id"] == str(team.pk)
    rule = admin_api.post(
        api(org, "rules/"),
        {"match": "glob", "pattern": "eng*", "kind": "team", "target_id": str(team.pk)},
        format="json",
    )
    assert rule.status_code == 201
    assert ScimGroupMapping.objects.filter(rule__isnull=False, group=group).exists()
    assert admin_api.delete(api(org, f"mappings/{created.json()['id']}/")).status_code == 204
    assert admin_api.delete(api(org, f"rules/{rule.json()['id']}/")).status_code == 204
    assert not ScimGroupMapping.objects.exists() and not ScimGroupRule.objects.exists()
    assert admin_api.delete(api(other, "rules/1/")).status_code == 404
    assert services.tenant_audit_log(org).count() == 4


def test_rate_limit_per_user_with_retry_after(tenants, admin_api, plain_user, scim_config):
    from scim_provider import ratelimit

    org, _ = tenants
    scim_config(SELF_SERVICE_RATE_LIMIT="3/min")
    now = [1_700_000_040.0]  # the start of a minute
    original, ratelimit.clock = ratelimit.clock, lambda: now[0]
    try:
        statuses = [admin_api.get(api(org)).status_code for _ in range(3)]
        refused = admin_api.post(api(org, "tokens/"), {"name": "x"}, format="json")
        assert statuses == [200, 200, 200] and refused.status_code == 429
        wait = int(refused["Retry-After"])  # the sliding window: 60 s and then some
        assert 60 < wait <= 120 and "throttled" in refused.json()["detail"]
        assert not get_token_model().objects.exists()  # refused before acting
        # Per user: another user is not affected; a refused user (403) is not counted.
        other = APIClient()
        other.force_login(plain_user)
        assert [other.get(api(org)).status_code for _ in range(5)] == [403] * 5
        # Retry-After seconds later, the user is served again.
        now[0] += wait - 1
        assert admin_api.get(api(org)).status_code == 429
        now[0] += 1
        assert admin_api.get(api(org)).status_code == 200
        scim_config(SELF_SERVICE_RATE_LIMIT=None)
        assert {admin_api.get(api(org)).status_code for _ in range(10)} == {200}
    finally:
        ratelimit.clock = original


def test_rate_limit_fails_open(tenants, admin_api, monkeypatch):
    from scim_provider import throttling

    org, _ = tenants

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttling, "hit", broken)
    assert admin_api.get(api(org)).status_code == 200
