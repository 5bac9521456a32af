"""Fixtures of the Users tests (``test_users_*.py``)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from scim_provider import services
from scim_provider.models import ScimUser
from tests.conftest import SCIM
from tests.factories import UserBodyFactory

USERS = f"{SCIM}/Users"


@pytest.fixture
def scim_config(settings):
    """``scim_config(KEY=value, ...)``: merge keys into ``SCIM_PROVIDER`` for this test."""

    def configure(**values):
        settings.SCIM_PROVIDER = {**(settings.SCIM_PROVIDER or {}), **values}

    return configure


@pytest.fixture
def users_client(scim_client):
    """``scim_client`` after one request, so that the token's last-used write is done."""
    assert scim_client.get(f"{SCIM}/ServiceProviderConfig").status_code == 200
    return scim_client


@pytest.fixture
def create_user(users_client):
    """``create_user(**body_overrides)`` POSTs a user; returns the 201 response body."""

    def create(client=None, **overrides):
        body = UserBodyFactory(**overrides)
        response = (client or users_client).post(USERS, body, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return create


@pytest.fixture
def tenant_clients(db, scim_config):
    """Two clients whose tokens are bound to two organizations: ``(client_a, client_b)``.

    Isolation tests: both tenants provision ``example.com`` people, so ``DOMAIN_POLICY`` is
    off here (``test_domain_policy.py`` tests it).
    """
    from rest_framework.test import APIClient

    from tests.factories import OrganizationFactory

    scim_config(TENANT_MODEL="testapp.Organization", DOMAIN_POLICY="off")
    clients = []
    for org in OrganizationFactory.create_batch(2):
        _token, plaintext = services.create_token(f"token of {org}", tenant=org)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        client.get(f"{SCIM}/ServiceProviderConfig")
        client.tenant_id = str(org.pk)
        clients.append(client)
    return tuple(clients)


def host_user(scim_id: str):
    """The host user behind the SCIM id, fresh from the database."""
    link = ScimUser.objects.get(scim_id=scim_id)
    return get_user_model()._default_manager.get(pk=link.user_id)


def has_field(name: str) -> bool:
    return any(f.name == name for f in get_user_model()._meta.get_fields())


def emails_have_their_own_field() -> bool:
    """False when the email is the login (``USERNAME_FIELD = "email"``): userName owns it."""
    model = get_user_model()
    return model.get_email_field_name() != model.USERNAME_FIELD


needs_first_name = pytest.mark.skipif(
    not has_field("first_name"), reason="the user model has no first_name"
)


@pytest.fixture
def frozen_clock(monkeypatch):
    """``frozen_clock.now``: the rate limiter's time, at the start of a minute; move it by
    hand."""
    from scim_provider import ratelimit

    class Clock:
        now = 1_700_000_040.0  # a multiple of 60 and of 3600

        def __call__(self):
            return self.now

    clock = Clock()
    monkeypatch.setattr(ratelimit, "clock", clock)
    return clock
