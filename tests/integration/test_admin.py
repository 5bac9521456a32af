"""Token admin: create, see the secret exactly once, revoke."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from scim_provider.models import ScimAuditEntry, ScimToken
from tests.conftest import SCIM


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    client.user = user
    return client


def create_in_admin(admin_client, **fields):
    data = {"name": "Okta production", "expires_at_0": "", "expires_at_1": "", **fields}
    response = admin_client.post(reverse("admin:scim_provider_scimtoken_add"), data)
    assert response.status_code == 200, response.content
    match = re.search(r'<code id="scim-token">([^<]+)</code>', response.content.decode())
    assert match, "the confirmation page shows the token"
    return response, match.group(1)


def test_create_shows_the_secret_once(admin_client):
    response, plaintext = create_in_admin(admin_client)
    assert "no-store" in response["Cache-Control"]
    assert "http://testserver/scim/v2/" in response.content.decode()
    token = ScimToken.objects.get()
    assert token.name == "Okta production"
    assert token.created_by == admin_client.user
    assert plaintext.startswith(token.display_prefix)
    # Created through the service layer: audited like every other way.
    entry = ScimAuditEntry.objects.get()
    assert (entry.action, entry.token_pk, entry.actor) == (
        ScimAuditEntry.TOKEN_CREATED,
        str(token.pk),
        admin_client.user,
    )

    # The secret works against the API...
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(f"{SCIM}/ServiceProviderConfig").status_code == 200

    # ...and is never shown again.
    secret = plaintext[len(token.display_prefix) :]
    for url in (
        reverse("admin:scim_provider_scimtoken_change", args=[token.pk]),
        reverse("admin:scim_provider_scimtoken_changelist"),
    ):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert secret not in page.content.decode()
        assert token.display_prefix in page.content.decode()


def test_changelist_search_and_status_filter(admin_client):
    create_in_admin(admin_client, name="alpha")
    create_in_admin(admin_client, name="beta")
    ScimToken.objects.get(name="beta").revoke()
    url = reverse("admin:scim_provider_scimtoken_changelist")
    page = admin_client.get(url, {"q": "alpha"}).content.decode()
    assert "alpha" in page and "beta" not in page
    page = admin_client.get(url, {"status": "revoked"}).content.decode()
    assert "beta" in page and "alpha" not in page
    page = admin_client.get(url, {"status": "active"}).content.decode()
    assert "alpha" in page and "beta" not in page


def test_revoke_action_stops_the_token(admin_client):
    _, plaintext = create_in_admin(admin_client)
    token = ScimToken.objects.get()
    response = admin_client.post(
        reverse("admin:scim_provider_scimtoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "Revoked 1 token." in response.content.decode()
    token.refresh_from_db()
    assert token.is_revoked
    revoked = ScimAuditEntry.objects.filter(action=ScimAuditEntry.TOKEN_REVOKED)
    assert revoked.get().token_pk == str(token.pk)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(f"{SCIM}/ServiceProviderConfig").status_code == 401


def test_tenant_binding_in_admin(admin_client):
    from django.contrib.auth.models import Group

    acme = Group.objects.create(name="Acme")
    with override_settings(SCIM_PROVIDER={"TENANT_MODEL": "auth.Group"}):
        form = admin_client.get(reverse("admin:scim_provider_scimtoken_add")).content.decode()
        assert "Acme" in form
        create_in_admin(admin_client, tenant_id=str(acme.pk))
        token = ScimToken.objects.get()
        assert token.tenant_id == str(acme.pk)
        assert token.tenant == acme
