"""SCIM error responses: every failure is SCIM JSON with the right status and scimType."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from tests.conftest import SCIM, assert_scim_error

ECHO = "/scim-test/echo"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/Nope", "/Users/x/y/z", "/v1/Users", "/"])
def test_unknown_route_under_prefix_is_a_scim_404(scim_client, method, path):
    response = getattr(scim_client, method)(SCIM + path)
    assert_scim_error(response, 404)


@pytest.mark.django_db
def test_unknown_route_needs_a_token_first(anon_client):
    assert_scim_error(anon_client.get(f"{SCIM}/Nope"), 401)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_method_not_allowed_on_discovery(scim_client, method):
    response = getattr(scim_client, method)(f"{SCIM}/ServiceProviderConfig", {}, format="json")
    assert_scim_error(response, 405)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type",
    [
        "application/scim+json",
        "application/json",
        "application/scim+json; charset=utf-8",
        "application/json; charset=UTF-8",
    ],
)
def test_accepted_media_types(content_type):
    response = APIClient().post(ECHO, '{"a": 1}', content_type=content_type)
    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"
    assert response.json() == {"a": 1}


@pytest.mark.django_db
def test_responses_are_scim_json_whatever_accept_says(scim_client):
    response = scim_client.get(f"{SCIM}/ServiceProviderConfig", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"


@pytest.mark.django_db
def test_content_type_header_on_get_is_fine(scim_client):
    response = scim_client.get(
        f"{SCIM}/ServiceProviderConfig", CONTENT_TYPE="application/scim+json; charset=utf-8"
    )
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data"])
def test_unsupported_media_type_is_415(content_type):
    response = APIClient().post(ECHO, '{"a": 1}', content_type=content_type)
    assert_scim_error(response, 415)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ['{"a": ', "not json", b"\xff\xfe\x00", '{"a": NaN}'])
def test_malformed_json_is_400_invalid_syntax(body):
    response = APIClient().post(ECHO, body, content_type="application/scim+json")
    assert_scim_error(response, 400, "invalidSyntax")
    assert not Group.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "status", "scim_type"),
    [
        ("InvalidFilter", 400, "invalidFilter"),
        ("InvalidValue", 400, "invalidValue"),
        ("InvalidPath", 400, "invalidPath"),
        ("NoTarget", 400, "noTarget"),
        ("Mutability", 400, "mutability"),
        ("TooMany", 400, "tooMany"),
        ("InvalidVersion", 400, "invalidVers"),
        ("Uniqueness", 409, "uniqueness"),
        ("Forbidden", 403, None),
        ("NotFound", 404, None),
        ("PreconditionFailed", 412, None),
        ("PayloadTooLarge", 413, None),
        ("NotImplementedFeature", 501, None),
    ],
)
def test_scim_errors_render_with_status_and_scim_type(name, status, scim_type):
    response = APIClient().post(f"{ECHO}?raise={name}", {}, format="json")
    assert_scim_error(response, status, scim_type)


@pytest.mark.django_db
def test_429_carries_an_integer_retry_after():
    response = APIClient().post(f"{ECHO}?raise=TooManyRequests", {}, format="json")
    assert_scim_error(response, 429)
    assert response["Retry-After"] == "7"


@pytest.mark.django_db
def test_a_crash_is_a_500_without_its_text(caplog):
    response = APIClient().post(f"{ECHO}?raise=crash", {}, format="json")
    body = assert_scim_error(response, 500)
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["InvalidValue", "Uniqueness", "crash"])
def test_a_failed_request_writes_nothing(name):
    APIClient().post(f"{ECHO}?raise={name}", {}, format="json")
    assert not Group.objects.exists()


@pytest.mark.django_db
def test_a_successful_request_commits():
    APIClient().post(ECHO, {}, format="json")
    assert Group.objects.count() == 1
