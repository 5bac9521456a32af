"""Every way an identity provider presents a SCIM token, and every way it can be wrong."""

import base64
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from scim_provider import services
from tests.conftest import SCIM, assert_scim_error

URL = f"{SCIM}/ServiceProviderConfig"


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def get_with(header: str | None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(URL)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_header",
    [
        lambda t: f"Bearer {t}",
        lambda t: f"bearer {t}",
        lambda t: f"Bearer   {t}  ",
        lambda t: basic("apikey", t),
        lambda t: t,
    ],
    ids=["bearer", "bearer-lowercase", "bearer-spaces", "basic-apikey", "bare-token"],
)
def test_accepted_credentials(scim_plaintext, make_header):
    response = get_with(make_header(scim_plaintext))
    assert response.status_code == 200
    assert response.json()["schemas"] == [
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make_header",
    [
        lambda t: None,
        lambda t: "",
        lambda t: "Bearer",
        lambda t: "Bearer a b",
        lambda t: "non-token",
        lambda t: f"Bearer {t[:-1]}{'y' if t.endswith('x') else 'x'}",  # 1 in 62 ended in x
        lambda t: f"Bearer scim_{'A' * 50}",
        lambda t: basic("admin", t),
        lambda t: basic("apikey", ""),
        lambda t: "Basic !!!notbase64",
        lambda t: "Basic " + base64.b64encode(b"no-colon").decode(),
        lambda t: f"Token {t}",
        lambda t: f"Digest {t}",
    ],
    ids=[
        "missing",
        "empty",
        "bearer-without-token",
        "bearer-two-words",
        "okta-spec-non-token",
        "wrong-secret",
        "unknown-key",
        "basic-wrong-username",
        "basic-empty-password",
        "basic-not-base64",
        "basic-no-colon",
        "token-scheme",
        "digest-scheme",
    ],
)
def test_rejected_credentials_get_a_scim_401(scim_plaintext, make_header):
    response = get_with(make_header(scim_plaintext))
    body = assert_scim_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert scim_plaintext not in response.content.decode()
    assert scim_plaintext not in body["detail"]


@pytest.mark.django_db
def test_basic_username_is_configurable(scim_plaintext):
    with override_settings(SCIM_PROVIDER={"BASIC_AUTH_USERNAME": "okta"}):
        assert get_with(basic("okta", scim_plaintext)).status_code == 200
        assert_scim_error(get_with(basic("apikey", scim_plaintext)), 401)


@pytest.mark.django_db
def test_revoked_token_is_refused_on_the_next_request(scim_token, scim_plaintext):
    assert get_with(f"Bearer {scim_plaintext}").status_code == 200
    scim_token.revoke()
    body = assert_scim_error(get_with(f"Bearer {scim_plaintext}"), 401)
    assert "revoked" in body["detail"]


@pytest.mark.django_db
def test_expired_token_is_refused():
    token, plaintext = services.create_token("old")
    token.expires_at = timezone.now() - timedelta(seconds=1)
    token.save()
    body = assert_scim_error(get_with(f"Bearer {plaintext}"), 401)
    assert "expired" in body["detail"]


@pytest.mark.django_db
def test_token_that_expires_in_future_works():
    _, plaintext = services.create_token("new", expires_in_days=3)
    assert get_with(f"Bearer {plaintext}").status_code == 200


@pytest.mark.django_db
def test_host_session_auth_never_applies_to_scim_views(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    assert_scim_error(client.get(URL), 401)


@pytest.mark.django_db
def test_last_used_is_recorded_at_most_once_a_minute(scim_token, scim_plaintext):
    get_with(f"Bearer {scim_plaintext}")
    scim_token.refresh_from_db()
    first = scim_token.last_used_at
    assert first is not None
    assert scim_token.last_used_ip == "127.0.0.1"
    get_with(f"Bearer {scim_plaintext}")
    scim_token.refresh_from_db()
    assert scim_token.last_used_at == first  # not rewritten within the interval

    type(scim_token).objects.filter(pk=scim_token.pk).update(
        last_used_at=first - timedelta(minutes=2)
    )
    get_with(f"Bearer {scim_plaintext}")
    scim_token.refresh_from_db()
    assert scim_token.last_used_at > first - timedelta(minutes=2)


@pytest.mark.django_db
def test_authenticated_request_costs_two_queries_at_most(
    scim_plaintext, django_assert_max_num_queries
):
    get_with(f"Bearer {scim_plaintext}")  # records last use
    with django_assert_max_num_queries(1):
        assert get_with(f"Bearer {scim_plaintext}").status_code == 200


@pytest.mark.django_db
def test_stored_token_holds_no_plaintext(scim_token, scim_plaintext):
    row = type(scim_token).objects.values().get(pk=scim_token.pk)
    assert all(scim_plaintext not in str(value) for value in row.values())
    assert scim_plaintext[-40:] not in str(row)
