"""The self-service pages: access control, CSRF, no state change on GET, every operation."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from scim_provider import services
from scim_provider.models import ScimAuditEntry, ScimGroup, ScimGroupMapping, get_token_model
from tests.integration.selfservice_helpers import *  # noqa: F403
from tests.integration.selfservice_helpers import scim_get, tenant_token
from tests.testapp.models import Team

PAGES = ["", "setup/", "tokens/", "domains/", "activity/", "audit/", "groups/"]


def url(org, path=""):
    return f"/scim-settings/{path}?tenant={org.pk}"


def org_url(org, path=""):
    return f"/orgs/{org.pk}/scim-settings/{path}"


def csrf_post(client, page_url, post_url, data=None):
    """POST like a browser: the CSRF token from the page's form."""
    page = client.get(page_url)
    assert page.status_code == 200, page.content
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return client.post(post_url, {**(data or {}), "csrfmiddlewaretoken": token.group(1)})


def secret_on(response) -> str:
    match = re.search(r'id="scim-new-token"[^>]*>([^<]+)<', response.content.decode())
    assert match, response.content
    return match.group(1).strip()


def snapshot():
    tokens = get_token_model().objects.order_by("pk").values_list("pk", "revoked_at", "expires_at")
    return list(tokens), ScimAuditEntry.objects.count(), ScimGroupMapping.objects.count()


@pytest.mark.parametrize("path", PAGES)
def test_superuser_sees_every_page(tenants, admin_client, path):
    org, _ = tenants
    response = admin_client.get(url(org, path))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.content.decode()
    assert str(org) in body and 'aria-current="page"' in body
    assert '<main id="scim-main"' in body


@pytest.mark.parametrize("path", PAGES + ["tokens/1/rotate/", "tokens/1/revoke/"])
def test_non_admin_gets_403_and_anonymous_is_sent_to_login(tenants, plain_user, path):
    org, _ = tenants
    tenant_token(org)
    client = Client()
    response = client.get(url(org, path))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(plain_user)
    assert client.get(url(org, path)).status_code == 403
    assert client.get(org_url(org, path)).status_code == 403
    assert client.post(org_url(org, "tokens/"), {"name": "x"}).status_code == 403


def test_the_permission_hook_and_tenant_hook_are_the_hosts(tenants, plain_user, scim_config):
    org_a, org_b = tenants
    scim_config(
        SELF_SERVICE_PERMISSION="tests.integration.selfservice_helpers.admin_of_first_org",
    )
    token_b, _ = tenant_token(org_b)
    client = Client()
    client.force_login(plain_user)
    assert client.get(org_url(org_a, "tokens/")).status_code == 200
    # A tenant admin never sees nor revokes another tenant's token.
    assert client.get(org_url(org_b, "tokens/")).status_code == 403
    assert client.post(org_url(org_b, f"tokens/{token_b.pk}/revoke/")).status_code == 403
    # Not through their own tenant's URL either: the token is not theirs.
    assert client.get(org_url(org_a, f"tokens/{token_b.pk}/revoke/")).status_code == 404
    client_csrf = Client(enforce_csrf_checks=True)
    client_csrf.force_login(plain_user)
    response = csrf_post(
        client_csrf, org_url(org_a, "tokens/"), org_url(org_a, f"tokens/{token_b.pk}/revoke/")
    )
    assert response.status_code == 404
    token_b.refresh_from_db()
    assert token_b.revoked_at is None
    # ?tenant= is for superusers only: a tenant admin cannot switch tenants with it.
    assert client.get(f"/scim-settings/tokens/?tenant={org_b.pk}").status_code == 403


def test_superuser_needs_an_existing_tenant(tenants, admin_client):
    # No tenant named: the tenant picker; a tenant named that does not exist: 404.
    response = admin_client.get("/scim-settings/tokens/")
    assert response.status_code == 302 and response["Location"] == "/scim-settings/tenants/"
    assert admin_client.get("/scim-settings/?tenant=999999").status_code == 404
    assert admin_client.get("/orgs/999999/scim-settings/").status_code == 404
    assert admin_client.get("/orgs/999999/scim-settings/tenants/").status_code == 404
    assert admin_client.post("/scim-settings/tokens/", {"name": "x"}).status_code == 403  # CSRF


# The tenant picker (``tenants/``) ------------------------------------------------------


def test_tenant_picker_lists_searches_and_pages(tenants, admin_client, scim_config):
    from tests.factories import OrganizationFactory

    org_a, org_b = tenants
    org_a.name, org_b.name = "Alpha", "Beta"
    org_a.save(), org_b.save()
    services.set_scim_enabled(org_b, False)
    page = admin_client.get("/scim-settings/tenants/")
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    body = page.content.decode()
    assert "<h1>Choose the organization</h1>" in body
    assert '<label for="scim-tenant-search">Name or ID</label>' in body
    assert f'<a href="/scim-settings/?tenant={org_a.pk}">{org_a}</a>' in body
    assert f'<a href="/scim-settings/?tenant={org_b.pk}">{org_b}</a>' in body
    assert body.count("<td>enabled</td>") == 1 and body.count("<td>disabled</td>") == 1
    assert 'class="scim-nav"' not in body  # no tenant: no tenant navigation
    # Search: by name (case-insensitive) or by ID.
    OrganizationFactory(name="Acme Corp")
    body = admin_client.get("/scim-settings/tenants/?q=acme").content.decode()
    assert "Acme Corp" in body and str(org_a) not in body and "1 organization matching" in body
    body = admin_client.get(f"/scim-settings/tenants/?q={org_b.pk}").content.decode()
    assert f"?tenant={org_b.pk}" in body and f'?tenant={org_a.pk}"' not in body
    assert "0 organizations" in admin_client.get("/scim-settings/tenants/?q=zzz").content.decode()
    # Pages keep the search.
    OrganizationFactory.create_batch(3, name="Acme branch")
    scim_config(SELF_SERVICE_PAGE_SIZE=2)
    body = admin_client.get("/scim-settings/tenants/?q=acme").content.decode()
    assert "Page 1 of 2" in body and 'href="?q=acme&amp;page=2" rel="next"' in body
    body = admin_client.get("/scim-settings/tenants/?q=acme&page=2").content.decode()
    assert body.count("?tenant=") == 2 and 'href="?q=acme&amp;page=1" rel="prev"' in body
    # The link opens the tenant's pages, which offer a way back.
    overview = admin_client.get(f"/scim-settings/?tenant={org_a.pk}").content.decode()
    assert '<a href="/scim-settings/tenants/">Switch account</a>' in overview


def test_tenant_picker_honours_the_permission_hook(tenants, superuser, scim_config):
    org_a, org_b = tenants
    scim_config(SELF_SERVICE_PERMISSION="tests.integration.selfservice_helpers.admin_of_first_org")
    client = Client()
    client.force_login(superuser)
    body = client.get("/scim-settings/tenants/").content.decode()
    assert f"?tenant={org_a.pk}" in body and f"?tenant={org_b.pk}" not in body
    assert "1 organization" in body


def test_tenant_picker_is_for_superusers_only(tenants, plain_user, scim_config, settings):
    org_a, org_b = tenants
    client = Client()
    response = client.get("/scim-settings/tenants/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(plain_user)
    # Even a tenant admin (the host's hook) never sees the list of tenants.
    scim_config(SELF_SERVICE_PERMISSION="tests.integration.selfservice_helpers.admin_of_first_org")
    response = client.get("/scim-settings/tenants/")
    assert response.status_code == 403 and str(org_b) not in response.content.decode()
    assert client.get("/scim-settings/").status_code == 403
    overview = client.get(f"/orgs/{org_a.pk}/scim-settings/").content.decode()
    assert "Switch account" not in overview
    # Without TENANT_MODEL there is nothing to choose.
    settings.SCIM_PROVIDER = {}
    superuser = type(plain_user).objects.create_superuser("root", "root@example.com", "x")
    client.force_login(superuser)
    assert client.get("/scim-settings/tenants/").status_code == 404
    assert client.get("/scim-settings/").status_code == 200


def test_get_never_changes_state(tenants, admin_client):
    org, _ = tenants
    token, _ = tenant_token(org)
    before = snapshot()
    for path in [*PAGES, f"tokens/{token.pk}/rotate/", f"tokens/{token.pk}/revoke/", "enable/"]:
        admin_client.get(url(org, path))
    assert snapshot() == before
    assert services.scim_enabled(org)


def test_csrf_is_enforced(tenants, admin_client):
    org, _ = tenants
    token, _ = tenant_token(org)
    for path in ["tokens/", f"tokens/{token.pk}/revoke/", f"tokens/{token.pk}/rotate/", "enable/"]:
        assert admin_client.post(url(org, path), {"name": "x", "enabled": "0"}).status_code == 403
    assert get_token_model().objects.count() == 1
    token.refresh_from_db()
    assert token.revoked_at is None and services.scim_enabled(org)


def test_create_shows_the_secret_once_and_it_works(tenants, admin_client, superuser):
    org, _ = tenants
    response = csrf_post(
        admin_client, url(org, "tokens/"), url(org, "tokens/"), {"name": "Okta prod"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.content.decode()
    assert "never be shown again" in body and 'role="alert"' in body
    assert 'aria-live="polite"' in body and 'data-copy="scim-new-token"' in body
    plaintext = secret_on(response)
    assert scim_get(plaintext).status_code == 200
    token = get_token_model().objects.get()
    assert token.tenant_id == str(org.pk) and token.name == "Okta prod"
    assert plaintext not in admin_client.get(url(org, "tokens/")).content.decode()
    entry = ScimAuditEntry.objects.get(action="token_created")
    assert entry.actor == superuser and entry.ip == "127.0.0.1"


def test_create_validates(tenants, admin_client):
    org, _ = tenants
    response = csrf_post(admin_client, url(org, "tokens/"), url(org, "tokens/"), {"name": ""})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not get_token_model().objects.exists()


def test_rotate_then_revoke(tenants, admin_client):
    org, _ = tenants
    old, old_plaintext = tenant_token(org)
    confirm = admin_client.get(url(org, f"tokens/{old.pk}/rotate/"))
    assert "keeps working for 24.0 hours" in confirm.content.decode()
    response = csrf_post(admin_client, url(org, "tokens/"), url(org, f"tokens/{old.pk}/rotate/"))
    assert response.status_code == 200
    new_plaintext = secret_on(response)
    assert "keeps working until" in response.content.decode()
    assert scim_get(old_plaintext).status_code == 200  # grace period
    assert scim_get(new_plaintext).status_code == 200
    new = get_token_model().objects.exclude(pk=old.pk).get()
    response = csrf_post(admin_client, url(org, "tokens/"), url(org, f"tokens/{new.pk}/revoke/"))
    assert response.status_code == 302
    assert scim_get(new_plaintext).status_code == 401
    page = admin_client.get(response["Location"]).content.decode()
    assert "revoked" in page
    assert [e.action for e in services.tenant_audit_log(org)] == [
        "token_revoked",
        "token_rotated",
        "token_created",
    ]


def test_enable_and_disable(tenants, admin_client):
    org, _ = tenants
    _, plaintext = tenant_token(org)
    response = csrf_post(admin_client, url(org), url(org, "enable/"), {"enabled": "0"})
    assert response.status_code == 302
    assert scim_get(plaintext).status_code == 403
    page = admin_client.get(response["Location"]).content.decode()
    assert "Enable SCIM" in page
    csrf_post(admin_client, url(org), url(org, "enable/"), {"enabled": "1"})
    assert scim_get(plaintext).status_code == 200


def test_overview_shows_the_base_url_and_counts(tenants, admin_client, scim_config):
    org, _ = tenants
    body = admin_client.get(url(org)).content.decode()
    assert 'id="scim-base-url">http://testserver/scim/v2<' in body
    scim_config(SELF_SERVICE_BASE_URL="https://scim.example.com/scim/v2/")
    setup = admin_client.get(url(org, "setup/")).content.decode()
    assert "https://scim.example.com/scim/v2</code>" in setup
    assert "Okta: OAuth Bearer Token" in setup and "Microsoft Entra ID" in setup
    assert 'id="scim-basic-username">apikey<' in setup
    # Okta Header Auth: the real base URL, with its own copy button and live status.
    assert '<h2 id="scim-okta-header">Okta: Header Auth</h2>' in setup
    assert 'id="scim-okta-header-base-url">https://scim.example.com/scim/v2<' in setup
    assert 'data-copy="scim-okta-header-base-url"' in setup
    assert 'id="scim-okta-header-base-url-status" class="scim-copy-status" role="status"' in setup
    assert "Copy Base URL for Okta Header Auth" in setup


@pytest.mark.parametrize("header", ["{token}", "Bearer {token}", "bearer  {token} "])
def test_okta_header_auth_works_as_the_setup_page_says(tenants, header):
    """What the admin types into Okta's Header Auth "API Token" is sent as is."""
    from rest_framework.test import APIClient

    org, _ = tenants
    _, plaintext = tenant_token(org)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.format(token=plaintext))
    assert client.get("/scim/v2/Users?startIndex=1&count=2").status_code == 200


def test_activity_lists_the_tenants_requests_with_filters_and_pages(
    tenants, admin_client, scim_config
):
    scim_config(REQUEST_LOG="all", SELF_SERVICE_PAGE_SIZE=2)
    org_a, org_b = tenants
    _, plaintext_a = tenant_token(org_a)
    _, plaintext_b = tenant_token(org_b)
    for _ in range(3):
        scim_get(plaintext_a, "/Users")
    scim_get(plaintext_a, "/Users/missing")
    scim_get(plaintext_b, "/Groups")
    body = admin_client.get(url(org_a, "activity/")).content.decode()
    assert "Page 1 of 2" in body and "/scim/v2/Users/missing" in body
    assert "/scim/v2/Groups" not in body
    page2 = admin_client.get(url(org_a, "activity/") + "&page=2").content.decode()
    assert "Page 2 of 2" in page2
    errors = admin_client.get(url(org_a, "activity/") + "&outcome=errors").content.decode()
    assert errors.count("<tr>") == 2  # header + the 404
    assert "404" in errors


def test_the_tenant_from_the_url(tenants, admin_client):
    org, _ = tenants
    response = csrf_post(
        admin_client, org_url(org, "tokens/"), org_url(org, "tokens/"), {"name": "x"}
    )
    assert response.status_code == 200
    assert get_token_model().objects.get().tenant_id == str(org.pk)
    assert f'href="/orgs/{org.pk}/scim-settings/setup/"' in response.content.decode()


def test_group_mappings_page(tenants, admin_client, teams_mappable):
    org, _ = tenants
    team = Team.objects.create(name="Platform")
    group = ScimGroup.objects.create(
        tenant_id=str(org.pk), display_name="Engineering", display_name_key="engineering"
    )
    page = admin_client.get(url(org, "groups/")).content.decode()
    assert "Engineering" in page and "Platform" in page
    response = csrf_post(
        admin_client,
        url(org, "groups/"),
        url(org, f"groups/{group.pk}/map/"),
        {f"g{group.pk}-target": f"team:{team.pk}"},
    )
    assert response.status_code == 302
    mapping = ScimGroupMapping.objects.get()
    assert (mapping.group, mapping.kind, mapping.target_id) == (group, "team", str(team.pk))
    response = csrf_post(
        admin_client,
        url(org, "groups/"),
        url(org, "rules/"),
        {"match": "contains", "pattern": "eng", "target": f"team:{team.pk}"},
    )
    assert response.status_code == 302
    page = admin_client.get(url(org, "groups/")).content.decode()
    assert "by rule" in page and "“eng”" in page
    csrf_post(admin_client, url(org, "groups/"), url(org, f"mappings/{mapping.pk}/remove/"))
    assert ScimGroupMapping.objects.filter(rule__isnull=True).count() == 0
    rule_pk = ScimGroupMapping.objects.get().rule_id
    csrf_post(admin_client, url(org, "groups/"), url(org, f"rules/{rule_pk}/remove/"))
    assert not ScimGroupMapping.objects.exists()
    assert list(ScimAuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "mapping_added",
        "rule_added",
        "mapping_removed",
        "rule_removed",
    ]


def test_audit_page_shows_who_and_from_where(tenants, admin_client, superuser):
    org, _ = tenants
    services.create_token("x", tenant=org, actor=services.Actor(superuser, "192.0.2.9"))
    body = admin_client.get(url(org, "audit/")).content.decode()
    assert "Token created" in body and "192.0.2.9" in body
    assert superuser.get_username() in body
    assert timezone.now().strftime("%Y-%m-%d") in body
