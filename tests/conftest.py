"""Shared fixtures: a SCIM token and an API client that presents it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from scim_provider import services

SCIM = "/scim/v2"
SCIM_JSON = "application/scim+json"


@pytest.fixture(autouse=True)
def _clear_caches():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import caches

    from tests.testapp.hosts import BrokenCache

    for cache in caches.all(initialized_only=True):
        if not isinstance(cache, BrokenCache):
            cache.clear()


@pytest.fixture
def token_pair(db):
    """``(token, plaintext)`` for a fresh SCIM token."""
    return services.create_token("tests")


@pytest.fixture
def scim_token(token_pair):
    return token_pair[0]


@pytest.fixture
def scim_plaintext(token_pair):
    return token_pair[1]


@pytest.fixture
def scim_client(scim_plaintext):
    """An API client that authenticates with ``Authorization: Bearer <token>``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {scim_plaintext}")
    return client


@pytest.fixture
def anon_client():
    return APIClient()


def assert_scim_error(response, status: int, scim_type: str | None = None) -> dict:
    """Assert ``response`` is a SCIM Error with ``status`` (and ``scimType``); return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(SCIM_JSON)
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert isinstance(body["detail"], str) and body["detail"]
    return body
