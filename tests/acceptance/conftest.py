"""Fixtures of the acceptance tests: a real token and SCIM clients of ``live_server``."""

from __future__ import annotations

import pytest

from scim_provider import services

SCIM_PREFIX = "/scim/v2"


@pytest.fixture
def live_token(transactional_db) -> str:
    """The plaintext of a token committed to the database (``live_server`` sees it)."""
    _token, plaintext = services.create_token("acceptance")
    return plaintext


@pytest.fixture
def scim_base_url(live_server) -> str:
    return f"{live_server.url}{SCIM_PREFIX}"
