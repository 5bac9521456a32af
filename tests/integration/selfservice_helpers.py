"""Fixtures and helpers of the self-service tests (``test_selfservice_*.py``)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.selfservice import mappables
from tests.conftest import SCIM
from tests.factories import OrganizationFactory, UserFactory
from tests.testapp.models import Team

SETTINGS = "/scim-settings"


def scim_get(plaintext: str, path: str = "/Users", **extra):
    """A SCIM GET with ``plaintext`` as the bearer token; returns the response."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client.get(f"{SCIM}{path}", **extra)


@pytest.fixture
def tenants(db, settings):
    """Multi-tenant setup: two organizations ``(org_a, org_b)``."""
    settings.SCIM_PROVIDER = {
        **(settings.SCIM_PROVIDER or {}),
        "TENANT_MODEL": "testapp.Organization",
    }
    return tuple(OrganizationFactory.create_batch(2))


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def plain_user(db):
    return UserFactory()


@pytest.fixture
def admin_client(superuser):
    """A browser-like client (CSRF enforced) logged in as a superuser."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    return client


@pytest.fixture
def teams_mappable():
    """``Team`` registered as mappable (kind ``team``), for the duration of a test."""
    mappables.register_m2m("team", Team, "members", label="Team", rename_field="name")
    yield mappables.get("team")
    mappables.unregister("team")


def tenant_token(org, name="Okta"):
    return services.create_token(name, tenant=org)


@pytest.fixture
def scim_config(settings):
    """``scim_config(KEY=value, ...)``: merge keys into ``SCIM_PROVIDER`` for this test."""

    def configure(**values):
        settings.SCIM_PROVIDER = {**(settings.SCIM_PROVIDER or {}), **values}

    return configure


def admin_of_first_org(request, tenant) -> bool:
    """A host permission for the tests: any logged-in user administers the first org only."""
    from tests.testapp.models import Organization

    first = Organization.objects.order_by("pk").first()
    return request.user.is_authenticated and tenant is not None and tenant.pk == first.pk
