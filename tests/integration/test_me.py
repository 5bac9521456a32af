"""/Me (RFC 7644 §3.11): 501 unless ME_RESOLVER binds tokens to users; then /Users/{id}."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.models import ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import PATCH_URN, UserBodyFactory, patch_body
from tests.integration.conftest import USERS, host_user

pytestmark = pytest.mark.django_db

ME = f"{SCIM}/Me"
RESOLVER = "scim_provider.me.token_creator"


def client_for(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.fixture
def me(create_user, scim_config):
    """``(client, user document)``: a token created by a provisioned user, with /Me on."""
    scim_config(ME_RESOLVER=RESOLVER)
    document = create_user(userName="me@example.com")
    _token, plaintext = services.create_token("mine", created_by=host_user(document["id"]))
    return client_for(plaintext), document


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "post"])
def test_without_a_resolver_me_is_not_implemented(users_client, method):
    response = getattr(users_client, method)(ME, {}, format="json")
    body = assert_scim_error(response, 501)
    assert "ME_RESOLVER" in body["detail"]


def test_get_me_is_get_users_id(me):
    client, document = me
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json() == client.get(f"{USERS}/{document['id']}").json()
    assert response["ETag"] == 'W/"1"'
    assert response.json()["meta"]["location"].endswith(f"/Users/{document['id']}")
    selected = client.get(ME, {"attributes": "userName"}).json()
    assert set(selected) == {"schemas", "id", "userName"}


def test_patch_put_delete_me(me):
    client, document = me
    response = client.patch(
        ME,
        patch_body({"op": "replace", "path": "title", "value": "Boss"}),
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Boss"
    assert response["Location"].endswith(f"/Users/{document['id']}")

    stale = client.patch(
        ME,
        {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "title", "value": "x"}]},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert_scim_error(stale, 412)

    put = client.put(ME, UserBodyFactory(userName="me@example.com", title="Chief"), format="json")
    assert put.status_code == 200 and put.json()["title"] == "Chief"
    assert put.json()["id"] == document["id"]

    assert client.delete(ME).status_code == 204
    assert ScimUser.objects.get(scim_id=document["id"]).is_deleted
    assert_scim_error(client.get(ME), 404)


def test_token_without_owner_or_owner_not_provisioned(me, users_client):
    # The fixture's token (no created_by) belongs to nobody.
    body = assert_scim_error(users_client.get(ME), 404)
    assert "does not belong to a user" in body["detail"]
    from tests.factories import UserFactory

    stranger = UserFactory()
    _token, plaintext = services.create_token("stranger's", created_by=stranger)
    body = assert_scim_error(client_for(plaintext).get(ME), 404)
    assert "not provisioned" in body["detail"]


def test_me_stays_in_the_tokens_tenant(tenant_clients, scim_config):
    from tests.factories import OrganizationFactory

    client_a, _client_b = tenant_clients
    scim_config(ME_RESOLVER=RESOLVER)
    response = client_a.post(USERS, UserBodyFactory(userName="a@example.com"), format="json")
    owner = host_user(response.json()["id"])
    _token, plaintext = services.create_token(
        "other org", tenant=OrganizationFactory(), created_by=owner
    )
    assert_scim_error(client_for(plaintext).get(ME), 404)
    _token, plaintext = services.create_token(
        "same org", tenant=client_a.tenant_id, created_by=owner
    )
    assert client_for(plaintext).get(ME).json()["userName"] == "a@example.com"


def test_post_me_and_sub_paths(me):
    client, _document = me
    assert_scim_error(client.post(ME, UserBodyFactory(), format="json"), 501)
    assert_scim_error(client.get(f"{ME}/groups"), 404)


def by_token_name(token):
    """A custom resolver: the token's name is the user's SCIM userName."""
    link = ScimUser.objects.filter(user_name_key=token.name.lower()).first()
    return link.user if link else None


def test_custom_resolver(create_user, scim_config):
    scim_config(ME_RESOLVER="tests.integration.test_me.by_token_name")
    document = create_user(userName="named@example.com")
    _token, plaintext = services.create_token("named@example.com")
    assert client_for(plaintext).get(ME).json()["id"] == document["id"]


def test_resolver_that_cannot_be_imported_fails_the_checks(settings):
    from scim_provider.checks import check_settings

    settings.SCIM_PROVIDER = {"ME_RESOLVER": "nowhere.resolver"}
    assert [error.id for error in check_settings()] == ["scim_provider.E003"]
