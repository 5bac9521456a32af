"""Management commands: thin wrappers over ``scim_provider.services``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.test import APIClient

from scim_provider.models import ScimToken
from tests.conftest import SCIM


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def api_status(plaintext: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client.get(f"{SCIM}/ServiceProviderConfig").status_code


@pytest.mark.django_db
def test_create_token_prints_the_token_alone_on_the_last_line():
    output = run("scim_create_token", "--name", "Okta")
    plaintext = output.rstrip("\n").splitlines()[-1]
    assert plaintext.startswith("scim_") and " " not in plaintext
    token = ScimToken.objects.get()
    assert token.name == "Okta" and token.expires_at is None
    assert api_status(plaintext) == 200


@pytest.mark.django_db
def test_create_token_with_expiry():
    run("scim_create_token", "--name", "Entra", "--expires-in", "30")
    token = ScimToken.objects.get()
    assert 29 <= (token.expires_at - token.created_at).days <= 30


@pytest.mark.django_db
def test_create_token_rejects_bad_arguments():
    with pytest.raises(CommandError):
        run("scim_create_token", "--name", "x", "--expires-in", "0")
    with pytest.raises(CommandError, match="TENANT_MODEL"):
        run("scim_create_token", "--name", "x", "--tenant", "1")
    with (
        override_settings(SCIM_PROVIDER={"TENANT_MODEL": "auth.Group"}),
        pytest.raises(CommandError, match="No group"),
    ):
        run("scim_create_token", "--name", "x", "--tenant", "999")
    assert not ScimToken.objects.exists()


@pytest.mark.django_db
def test_create_token_for_a_tenant():
    from django.contrib.auth.models import Group

    acme = Group.objects.create(name="Acme")
    with override_settings(SCIM_PROVIDER={"TENANT_MODEL": "auth.Group"}):
        run("scim_create_token", "--name", "acme", "--tenant", str(acme.pk))
    assert ScimToken.objects.get().tenant_id == str(acme.pk)


@pytest.mark.django_db
def test_list_and_revoke():
    plaintext = run("scim_create_token", "--name", "Okta").splitlines()[-1]
    token = ScimToken.objects.get()
    listing = run("scim_list_tokens")
    assert token.display_prefix in listing and "active" in listing
    assert plaintext not in listing

    assert "Revoked" in run("scim_revoke_token", token.display_prefix)
    assert "already revoked" in run("scim_revoke_token", str(token.pk))
    assert api_status(plaintext) == 401
    assert "revoked" in run("scim_list_tokens")
    assert token.display_prefix not in run("scim_list_tokens", "--active")

    with pytest.raises(CommandError):
        run("scim_revoke_token", "nope")
