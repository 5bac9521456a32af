"""Security: system checks, CSRF scope, token revocation without stale caches, tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from scim_provider.checks import check_rate_limit_cache, check_security, check_settings
from scim_provider.models import ScimGroup, ScimMembership, ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import UserBodyFactory, patch_body

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
HTTPS = {"SECURE_SSL_REDIRECT": True}


def ids(checks, **settings):
    with override_settings(**settings):
        return [message.id for check in checks for message in check()]


# System checks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("django_settings", "expected"),
    [
        ({"DEBUG": False, "SECURE_PROXY_SSL_HEADER": None}, ["scim_provider.W001"]),
        ({"DEBUG": True}, []),
        ({"DEBUG": False, "SECURE_SSL_REDIRECT": True}, []),
        ({"DEBUG": False, "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")}, []),
    ],
)
def test_w001_https(django_settings, expected):
    assert ids([check_security], SCIM_PROVIDER={}, **django_settings) == expected


@pytest.mark.parametrize(
    ("scim", "expected"),
    [
        ({"REQUEST_LOG_REDACT": False}, ["scim_provider.W002"]),
        ({"REQUEST_LOG_REDACT": False, "REQUEST_LOG_BODIES": False}, []),
        ({"REQUEST_LOG_REDACT": False, "REQUEST_LOG": "off"}, []),
        ({"REQUEST_LOG": "all"}, []),
    ],
)
def test_w002_unredacted_bodies(scim, expected):
    assert ids([check_security], SCIM_PROVIDER=scim, **HTTPS) == expected


def test_w003_dummy_cache_and_e008_unknown_cache():
    dummy = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert ids([check_security], SCIM_PROVIDER={}, CACHES=dummy, **HTTPS) == ["scim_provider.W003"]
    off = {
        "RATE_LIMIT": None,
        "TENANT_RATE_LIMIT": None,
        "AUTH_FAILURE_RATE_LIMIT": None,
        "SELF_SERVICE_RATE_LIMIT": None,
    }
    assert ids([check_security], SCIM_PROVIDER=off, CACHES=dummy, **HTTPS) == []
    assert ids([check_rate_limit_cache], SCIM_PROVIDER={"RATE_LIMIT_CACHE": "nope"}) == [
        "scim_provider.E008"
    ]
    assert ids([check_rate_limit_cache], SCIM_PROVIDER={}) == []


@pytest.mark.parametrize(
    "value",
    [
        {"REQUEST_LOG": "verbose"},
        {"REQUEST_LOG_BODIES": "yes"},
        {"REQUEST_LOG_MAX_AGE_DAYS": 0},
        {"RATE_LIMIT": "lots"},
        {"AUTH_FAILURE_RATE_LIMIT": "20/fortnight"},
        {"SELF_SERVICE_RATE_LIMIT": "600"},
        {"RATE_LIMIT_CACHE": ""},
        {"NUM_PROXIES": -1},
        {"MAX_BODY_SIZE": 0},
        {"MAX_MEMBERS_PER_REQUEST": "10"},
    ],
)
def test_bad_hardening_values(value):
    assert ids([check_settings], SCIM_PROVIDER=value) == ["scim_provider.E002"]


def test_good_hardening_values():
    value = {
        "REQUEST_LOG": "writes",
        "REQUEST_LOG_MAX_AGE_DAYS": None,
        "RATE_LIMIT": "50/s",
        "AUTH_FAILURE_RATE_LIMIT": None,
        "NUM_PROXIES": 2,
        "MAX_BODY_SIZE": 10_000_000,
    }
    assert ids([check_settings], SCIM_PROVIDER=value) == []


# CSRF -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csrf_exemption_covers_scim_views_only(scim_plaintext):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    # The admin still refuses a POST without a CSRF token...
    response = browser.post("/admin/scim_provider/scimtoken/add/", {"name": "x"})
    assert response.status_code == 403
    response = browser.post("/admin/logout/")
    assert response.status_code == 403
    # ...while SCIM, authenticated by its bearer token, needs none, even with a session.
    api = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {scim_plaintext}")
    api.force_login(user)
    response = api.post(f"{SCIM}/Users", UserBodyFactory(), content_type="application/scim+json")
    assert response.status_code == 201


@pytest.mark.django_db
def test_a_session_is_not_a_scim_credential():
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    browser = Client()
    browser.force_login(user)
    assert_scim_error(browser.get(f"{SCIM}/Users"), 401)
    response = browser.post(f"{SCIM}/Users", UserBodyFactory(), content_type="application/json")
    assert_scim_error(response, 401)


# Revocation and expiry: effective on the next request -----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["revoke", "expire"])
def test_token_stops_on_the_next_request(scim_token, scim_plaintext, scim_config, how):
    scim_config(RATE_LIMIT="1000/min", TOKEN_LAST_USED_INTERVAL=3600)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {scim_plaintext}")
    for _ in range(3):  # warm every cache there is
        assert client.get(f"{SCIM}/Users").status_code == 200
    if how == "revoke":
        scim_token.revoke()
    else:
        type(scim_token).objects.filter(pk=scim_token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    detail = assert_scim_error(client.get(f"{SCIM}/Users"), 401)["detail"]
    assert ("revoked" if how == "revoke" else "expired") in detail
    assert_scim_error(client.post(f"{SCIM}/Users", UserBodyFactory(), format="json"), 401)
    assert not ScimUser.objects.exists()


# Tenants: a foreign id is a 404 everywhere ----------------------------------------------


@pytest.mark.django_db
def test_every_endpoint_with_a_foreign_id_is_404(tenant_clients):
    client_a, client_b = tenant_clients
    user_b = client_b.post(f"{SCIM}/Users", UserBodyFactory(), format="json").json()
    group_b = client_b.post(
        f"{SCIM}/Groups",
        {"schemas": [GROUP_URN], "displayName": "B", "members": [{"value": user_b["id"]}]},
        format="json",
    ).json()
    before = (
        list(ScimUser.objects.values()),
        list(ScimGroup.objects.values()),
        list(ScimMembership.objects.values()),
    )
    for kind, foreign in (("Users", user_b), ("Groups", group_b)):
        url = f"{SCIM}/{kind}/{foreign['id']}"
        replace = {**foreign, "displayName": "hijacked"}
        change = patch_body({"op": "replace", "path": "displayName", "value": "hijacked"})
        for response in (
            client_a.get(url),
            client_a.get(url, {"attributes": "id"}),
            client_a.put(url, replace, format="json"),
            client_a.patch(url, change, format="json"),
            client_a.delete(url),
            client_a.get(url, HTTP_IF_NONE_MATCH="*"),
            client_a.put(url, replace, format="json", HTTP_IF_MATCH="*"),
        ):
            assert_scim_error(response, 404)
        # Searches by id find nothing (200, empty), by GET or .search.
        for response in (
            client_a.get(f"{SCIM}/{kind}", {"filter": f'id eq "{foreign["id"]}"'}),
            client_a.post(
                f"{SCIM}/{kind}/.search", {"filter": f'id eq "{foreign["id"]}"'}, format="json"
            ),
        ):
            assert response.status_code == 200 and response.json()["totalResults"] == 0
    # Nor can tenant A reach B's user through a group or a user filter.
    own_group = client_a.post(
        f"{SCIM}/Groups",
        {"schemas": [GROUP_URN], "displayName": "A", "members": [{"value": user_b["id"]}]},
        format="json",
    )
    assert own_group.status_code in (201, 400, 404)
    if own_group.status_code == 201:
        assert not own_group.json().get("members")
    found = client_a.get(f"{SCIM}/Users", {"filter": f'groups.value eq "{group_b["id"]}"'})
    assert found.json()["totalResults"] == 0
    after = (
        list(ScimUser.objects.values()),
        list(ScimGroup.objects.exclude(tenant_id=client_a.tenant_id).values()),
        list(ScimMembership.objects.filter(group__tenant_id=client_b.tenant_id).values()),
    )
    assert after == (before[0], before[1], before[2])
