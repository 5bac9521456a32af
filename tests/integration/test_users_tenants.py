"""Tenants: a token bound to an organization only sees and changes that organization's users."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from scim_provider.models import ScimUser
from tests.conftest import assert_scim_error
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(tenant_clients, create_user):
    client_a, client_b = tenant_clients
    return client_a, client_b, create_user(client_a), create_user(client_b)


def test_links_carry_the_tenant(two):
    client_a, client_b, user_a, user_b = two
    assert ScimUser.objects.get(scim_id=user_a["id"]).tenant_id == client_a.tenant_id
    assert ScimUser.objects.get(scim_id=user_b["id"]).tenant_id == client_b.tenant_id


def test_other_tenants_users_are_404_on_every_method(two):
    client_a, _client_b, _user_a, user_b = two
    url = f"{USERS}/{user_b['id']}"
    assert_scim_error(client_a.get(url), 404)
    assert_scim_error(client_a.put(url, {**user_b, "displayName": "Hacked"}, format="json"), 404)
    assert_scim_error(
        client_a.patch(
            url, patch_body({"op": "replace", "value": {"active": False}}), format="json"
        ),
        404,
    )
    assert_scim_error(client_a.delete(url), 404)
    link = ScimUser.objects.select_related("user").get(scim_id=user_b["id"])
    assert link.deleted_at is None and link.user.is_active
    assert _client_b.get(url).json() == user_b


def test_other_tenants_users_are_invisible_in_lists_and_filters(two):
    client_a, client_b, user_a, user_b = two
    listing = client_a.get(USERS).json()
    assert listing["totalResults"] == 1
    assert [u["id"] for u in listing["Resources"]] == [user_a["id"]]
    for text in (
        f'userName eq "{user_b["userName"]}"',
        f'id eq "{user_b["id"]}"',
        f'externalId eq "{user_b["externalId"]}"',
    ):
        assert client_a.get(USERS, {"filter": text}).json()["totalResults"] == 0
    search = client_a.post(
        f"{USERS}/.search", {"filter": f'id eq "{user_b["id"]}"'}, format="json"
    ).json()
    assert search["totalResults"] == 0


def test_untenanted_token_does_not_see_tenant_users(two, users_client):
    assert users_client.get(USERS).json()["totalResults"] == 0


def test_same_user_name_in_two_tenants(tenant_clients):
    """The link table allows it; whether the host does depends on its user model.

    ``auth.User.username`` is globally unique, so the second tenant gets a 409 (and nothing
    is written); a model whose login is unique per tenant would accept it.
    """
    client_a, client_b = tenant_clients
    body = UserBodyFactory(userName="shared@example.com")
    assert client_a.post(USERS, body, format="json").status_code == 201
    response = client_b.post(USERS, body, format="json")
    assert_scim_error(response, 409, "uniqueness")
    assert ScimUser.objects.count() == 1
    assert get_user_model().objects.count() == 1
    assert client_b.get(USERS).json()["totalResults"] == 0


def test_match_existing_users_stays_in_the_tenant_queryset(tenant_clients, scim_config):
    """Adopting by userName only considers users that have no link yet (in any tenant)."""
    scim_config(MATCH_EXISTING_USERS=["userName"])
    client_a, client_b = tenant_clients
    body = UserBodyFactory(userName="taken.by.a@example.com")
    assert client_a.post(USERS, body, format="json").status_code == 201
    assert_scim_error(client_b.post(USERS, body, format="json"), 409, "uniqueness")
    assert ScimUser.objects.count() == 1
