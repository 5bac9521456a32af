"""Fixtures of the multi-tenant safety tests (issue 15): a product shared by two customers.

``world``: two organizations, each with its own token and one verified email domain
(``acme.example`` for A, ``globex.example`` for B), a host superuser ``root`` and a staff
user ``staff@acme.example`` who belong to no tenant, and a DNS the tests answer
(``DNS``: domain -> TXT strings, read through ``DOMAIN_TXT_LOOKUP``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from scim_provider import domains, services
from scim_provider.models import ScimUser
from tests.conftest import SCIM
from tests.factories import OrganizationFactory, UserBodyFactory, UserFactory

__all__ = ["world"]  # the fixture, for ``from tenant_world import *``

USERS = f"{SCIM}/Users"
#: The DNS of the tests: domain -> TXT strings.
DNS: dict[str, list[str]] = {}


def fake_txt(domain: str) -> list[str]:
    """``DOMAIN_TXT_LOOKUP`` of the tests."""
    if domain == "down.example":
        raise domains.LookupFailed("The DNS did not answer for down.example; try again.")
    return list(DNS.get(domain, []))


def client_for(plaintext: str, address: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def user_body(user_name: str, **overrides: Any) -> dict[str, Any]:
    """A POST /Users body whose primary email is the userName (what Okta sends)."""
    return UserBodyFactory(userName=user_name, **overrides)


def host_rows() -> list[tuple]:
    """Every host user as (pk, login, email, active, staff, password hash)."""
    model = get_user_model()
    email = model.get_email_field_name()
    return sorted(
        (u.pk, u.get_username(), getattr(u, email), u.is_active, u.is_staff, u.password)
        for u in model._default_manager.all()
    )


@dataclass
class World:
    org_a: Any
    org_b: Any
    a: APIClient
    b: APIClient
    operator: APIClient  # a token without a tenant: the product's own
    root: Any
    staff: Any

    def snapshot(self) -> tuple:
        """Host users and SCIM links, to prove a refused request wrote nothing."""
        links = sorted(ScimUser.objects.values_list("pk", "tenant_id", "user_name", "user_id"))
        return host_rows(), links


@pytest.fixture
def world(db, scim_config) -> World:
    scim_config(
        TENANT_MODEL="testapp.Organization",
        DOMAIN_TXT_LOOKUP="tests.integration.tenant_world.fake_txt",
    )
    DNS.clear()
    org_a, org_b = OrganizationFactory.create_batch(2)
    domains.add_domain(org_a, "acme.example", verified=True)
    domains.add_domain(org_b, "globex.example", verified=True)
    root = UserFactory(
        username="root", email="root@acme.example", is_staff=True, is_superuser=True, password="r"
    )
    staff = UserFactory(username="staff@acme.example", is_staff=True, password="s")
    clients = [client_for(services.create_token("Okta", tenant=org)[1]) for org in (org_a, org_b)]
    operator = client_for(services.create_token("operator")[1])
    for client in (*clients, operator):
        client.get(f"{SCIM}/ServiceProviderConfig")  # the token's first last-used write
    return World(org_a, org_b, *clients, operator, root, staff)
