"""The smaller holes of issue 15, over HTTP, with two tenants, a superuser and a staff user:
bounded group list pages, token rotation, the log of unauthenticated requests, the
self-service API's caching and the self-service pages' framing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.models import ScimRequestLog, get_token_model
from tests.conftest import SCIM, assert_scim_error
from tests.integration.group_helpers import GROUPS, create_group, make_users
from tests.integration.tenant_world import *  # noqa: F403
from tests.integration.tenant_world import client_for

pytestmark = pytest.mark.django_db
CONFIG = f"{SCIM}/ServiceProviderConfig"


# GET /Groups renders a bounded number of members ------------------------------------------


def test_group_list_pages_bound_the_members_they_render(
    world, scim_config, django_assert_max_num_queries
):
    scim_config(GROUP_LIST_MAX_MEMBERS=5, DOMAIN_POLICY="off")
    tenant = str(world.org_a.pk)
    users = make_users(6, tenant)
    small = create_group(world.a, "Small", [u.scim_id for u in users[:3]])
    large = create_group(world.a, "Large", [u.scim_id for u in users[:4]])
    create_group(world.b, "Theirs", [])  # another tenant's group does not count

    error = assert_scim_error(world.a.get(GROUPS), 400, "tooMany")
    assert (
        "GROUP_LIST_MAX_MEMBERS" in error["detail"]
        and "excludedAttributes=members" in error["detail"]
    )
    for query in ("?excludedAttributes=members", "?attributes=displayName"):
        with django_assert_max_num_queries(3):
            page = world.a.get(GROUPS + query)
        assert page.status_code == 200
        assert [g["displayName"] for g in page.json()["Resources"]] == ["Small", "Large"]
        assert all("members" not in g for g in page.json()["Resources"])
    # A page within the cap renders every member; so does a group read alone.
    first = world.a.get(GROUPS + "?count=1").json()["Resources"][0]
    assert len(first["members"]) == 3 and first["id"] == small["id"]
    assert len(world.a.get(f"{GROUPS}/{large['id']}").json()["members"]) == 4
    # Cursor pages are bounded the same way.
    assert_scim_error(world.a.get(GROUPS + "?cursor=&count=10"), 400, "tooMany")


# Token rotation ---------------------------------------------------------------------------


def test_rotation_keeps_the_lifetime_and_happens_once(world):
    token, _ = services.create_token("Okta", tenant=world.org_a, expires_in_days=1)
    new, plaintext = services.rotate_token(token, grace_seconds=3600)
    assert new.expires_at is not None
    assert abs(new.expires_at - (timezone.now() + timedelta(days=1))) < timedelta(minutes=1)
    assert client_for(plaintext).get(CONFIG).status_code == 200
    with pytest.raises(services.TokenNotUsable, match="already rotated"):
        services.rotate_token(token)
    assert get_token_model().objects.filter(tenant_id=str(world.org_a.pk)).count() == 3
    # The successor may be rotated, once.
    newer, _ = services.rotate_token(new)
    assert abs((newer.expires_at - newer.created_at) - timedelta(days=1)) < timedelta(minutes=1)


def test_rotation_of_a_token_that_never_expires(world, scim_config):
    token, _ = services.create_token("Okta", tenant=world.org_a)
    new, _ = services.rotate_token(token)
    assert new.expires_at is None
    scim_config(TOKEN_DEFAULT_EXPIRY_DAYS=30)  # the deployment's default, like a new token
    newer, _ = services.rotate_token(new)
    assert abs(newer.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_rotating_twice_over_the_api_and_the_page(world):
    api = APIClient()
    api.force_login(world.root)
    base = f"/orgs/{world.org_a.pk}/scim-settings/api/tokens/"
    created = api.post(base, {"name": "Okta", "expires_in_days": 7}, format="json").json()
    rotated = api.post(f"{base}{created['id']}/rotate/", {"grace_seconds": 60}, format="json")
    assert rotated.status_code == 201
    body = rotated.json()
    lifetime = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(
        body["created_at"]
    )
    assert abs(lifetime - timedelta(days=7)) < timedelta(minutes=1)
    again = api.post(f"{base}{created['id']}/rotate/", {}, format="json")
    assert again.status_code == 400 and "already rotated" in again.json()["token"]
    tokens = get_token_model().objects.filter(tenant_id=str(world.org_a.pk))
    before = tokens.count()
    page = APIClient()
    page.force_login(world.root)
    response = page.post(f"/orgs/{world.org_a.pk}/scim-settings/tokens/{created['id']}/rotate/")
    assert response.status_code == 302
    assert tokens.count() == before


# Unauthenticated failures are logged at a bounded rate ------------------------------------


def test_unauthenticated_failures_are_logged_at_a_bounded_rate(world, scim_config, frozen_clock):
    scim_config(
        REQUEST_LOG="errors",
        REQUEST_LOG_UNAUTHENTICATED_RATE="3/min",
        AUTH_FAILURE_RATE_LIMIT="5/min",
        MAX_BODY_SIZE=1000,
    )
    stranger = client_for("scim_" + "x" * 50, "203.0.113.7")
    statuses = [stranger.get(CONFIG).status_code for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    big = APIClient(REMOTE_ADDR="203.0.113.7").post(
        f"{SCIM}/Users", "x" * 2000, content_type="application/scim+json"
    )
    assert big.status_code == 413
    assert ScimRequestLog.objects.filter(client_ip="203.0.113.7").count() == 3
    # Another address has its own allowance; authenticated errors are always logged.
    client_for("scim_" + "y" * 50, "198.51.100.3").get(CONFIG)
    assert ScimRequestLog.objects.filter(client_ip="198.51.100.3").count() == 1
    for _ in range(5):
        assert world.a.get(f"{SCIM}/Users/nope").status_code == 404
    assert ScimRequestLog.objects.filter(status=404).count() == 5
    frozen_clock.now += 180
    stranger.get(CONFIG)
    assert ScimRequestLog.objects.filter(client_ip="203.0.113.7").count() == 4


def test_unauthenticated_log_fails_open(world, scim_config, settings):
    settings.CACHES = {
        **settings.CACHES,
        "broken": {"BACKEND": "tests.integration.test_throttling.BrokenCache"},
    }
    scim_config(REQUEST_LOG_UNAUTHENTICATED_RATE="1/min", RATE_LIMIT_CACHE="broken")
    stranger = client_for("scim_" + "x" * 50, "203.0.113.8")
    assert [stranger.get(CONFIG).status_code for _ in range(3)] == [401] * 3
    assert ScimRequestLog.objects.filter(client_ip="203.0.113.8").count() == 3


# Self-service: no caching of the API, no framing of the pages -----------------------------


@pytest.mark.parametrize("path", ["", "tokens/", "domains/", "audit/", "requests/", "groups/"])
def test_self_service_api_is_never_cached(world, path):
    api = APIClient()
    api.force_login(world.root)
    response = api.get(f"/orgs/{world.org_a.pk}/scim-settings/api/{path}")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    refused = APIClient()
    refused.force_login(world.staff)
    response = refused.get(f"/orgs/{world.org_a.pk}/scim-settings/api/{path}")
    assert response.status_code == 403 and "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["", "setup/", "tokens/", "domains/", "activity/", "audit/"])
def test_self_service_pages_are_never_framed(world, settings, client, path):
    """``DENY`` whatever the host's clickjacking middleware would allow (``SAMEORIGIN``)."""
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    settings.X_FRAME_OPTIONS = "SAMEORIGIN"
    client.force_login(world.root)
    response = client.get(f"/orgs/{world.org_a.pk}/scim-settings/{path}")
    assert response.status_code == 200 and response["X-Frame-Options"] == "DENY"
    picker = client.get("/scim-settings/tenants/")
    assert picker.status_code == 200 and picker["X-Frame-Options"] == "DENY"
