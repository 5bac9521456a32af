"""Discovery endpoints (RFC 7644 §4): generated from the live configuration."""

import pytest
from django.test import override_settings

from tests.conftest import SCIM, assert_scim_error

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.mark.django_db
def test_service_provider_config(scim_client):
    response = scim_client.get(f"{SCIM}/ServiceProviderConfig")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    doc = response.json()
    assert doc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    for feature in ("patch", "bulk", "filter", "changePassword", "sort", "etag"):
        assert isinstance(doc[feature]["supported"], bool)
    assert doc["filter"]["maxResults"] == 1000
    types = [scheme["type"] for scheme in doc["authenticationSchemes"]]
    assert types == ["oauthbearertoken", "httpbasic"]
    assert doc["meta"]["resourceType"] == "ServiceProviderConfig"
    assert doc["meta"]["location"] == "http://testserver/scim/v2/ServiceProviderConfig"


@pytest.mark.django_db
def test_service_provider_config_follows_settings(scim_client):
    with override_settings(
        SCIM_PROVIDER={
            "MAX_PAGE_SIZE": 50,
            "DEFAULT_PAGE_SIZE": 10,
            "DOCUMENTATION_URI": "https://x.example/doc",
        }
    ):
        doc = scim_client.get(f"{SCIM}/ServiceProviderConfig").json()
    assert doc["filter"]["maxResults"] == 50
    assert doc["documentationUri"] == "https://x.example/doc"


@pytest.mark.django_db
def test_trailing_slash_is_accepted(scim_client):
    assert scim_client.get(f"{SCIM}/ServiceProviderConfig/").status_code == 200


@pytest.mark.django_db
def test_resource_types(scim_client):
    doc = scim_client.get(f"{SCIM}/ResourceTypes").json()
    assert doc["schemas"] == [LIST_RESPONSE]
    assert doc["totalResults"] == 2 == len(doc["Resources"])
    assert doc["startIndex"] == 1
    by_id = {rt["id"]: rt for rt in doc["Resources"]}
    user = by_id["User"]
    assert user["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]
    assert user["endpoint"] == "/Users"
    assert user["schema"] == USER
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    assert user["meta"] == {
        "resourceType": "ResourceType",
        "location": "http://testserver/scim/v2/ResourceTypes/User",
    }
    assert by_id["Group"]["endpoint"] == "/Groups"
    assert by_id["Group"]["schema"] == GROUP


@pytest.mark.django_db
def test_resource_type_detail(scim_client):
    doc = scim_client.get(f"{SCIM}/ResourceTypes/Group").json()
    assert doc["id"] == "Group"
    assert_scim_error(scim_client.get(f"{SCIM}/ResourceTypes/Nope"), 404)


@pytest.mark.django_db
def test_schemas(scim_client):
    doc = scim_client.get(f"{SCIM}/Schemas").json()
    assert doc["schemas"] == [LIST_RESPONSE]
    ids = {schema["id"] for schema in doc["Resources"]}
    assert ids == {USER, GROUP, ENTERPRISE}
    assert doc["totalResults"] == 3
    user = next(s for s in doc["Resources"] if s["id"] == USER)
    names = {a["name"] for a in user["attributes"]}
    assert {"userName", "name", "emails", "active", "password", "groups"} <= names
    user_name = next(a for a in user["attributes"] if a["name"] == "userName")
    assert user_name["required"] is True
    assert user_name["uniqueness"] == "server"
    assert user_name["caseExact"] is False
    password = next(a for a in user["attributes"] if a["name"] == "password")
    assert password["returned"] == "never"
    assert password["mutability"] == "writeOnly"
    assert user["meta"]["location"] == f"http://testserver/scim/v2/Schemas/{USER}"


@pytest.mark.django_db
def test_schema_detail(scim_client):
    doc = scim_client.get(f"{SCIM}/Schemas/{ENTERPRISE}").json()
    assert doc["id"] == ENTERPRISE
    assert {a["name"] for a in doc["attributes"]} >= {"employeeNumber", "department", "manager"}
    assert_scim_error(scim_client.get(f"{SCIM}/Schemas/urn:nope"), 404)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"])
def test_discovery_needs_a_token_by_default(anon_client, path):
    assert_scim_error(anon_client.get(SCIM + path), 401)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"])
def test_discovery_can_be_opened(anon_client, path):
    with override_settings(SCIM_PROVIDER={"ALLOW_UNAUTHENTICATED_DISCOVERY": True}):
        assert anon_client.get(SCIM + path).status_code == 200
        assert_scim_error(anon_client.get(f"{SCIM}/Nope"), 401)


@pytest.mark.django_db
def test_filtering_discovery_is_forbidden(scim_client):
    assert_scim_error(scim_client.get(f'{SCIM}/Schemas?filter=id eq "x"'), 403)
