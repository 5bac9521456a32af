"""No secret at rest (issue 15): after requests carrying secrets in every shape, no stored
text of any model holds one, and no error detail quotes one.

Secrets: ``password`` (writeOnly, returned never) and a registered ``pin`` (sensitive,
writeOnly, returned never), sent in POST, PUT and PATCH bodies (with and without a path,
URN-qualified), inside Bulk operations, with wrong types (so that they reach error
details), in filters, query strings and credentials, on requests that succeed and fail.
"""

from __future__ import annotations

import base64
import json

import pytest
from django.apps import apps
from rest_framework.test import APIClient

from tests.conftest import SCIM
from tests.factories import patch_body
from tests.integration.tenant_world import *  # noqa: F403
from tests.integration.tenant_world import USERS, user_body

pytestmark = pytest.mark.django_db

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PIN_URN = "urn:example:params:scim:schemas:extension:acme:2.0:User"
BULK = f"{SCIM}/Bulk"


class Secrets:
    """A fresh, recognisable secret per use."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def __call__(self) -> str:
        secret = f"Zq{len(self.issued):03d}-s3cr3t-Vx"
        self.issued.append(secret)
        return secret


def stored_texts() -> list[tuple[str, str]]:
    """(model, row as JSON) of every row of every installed model."""
    rows = []
    for model in apps.get_models():
        for row in model._default_manager.values():
            rows.append((model._meta.label, json.dumps(row, default=str, ensure_ascii=False)))
    return rows


@pytest.fixture
def secret_world(world, scim_config):
    scim_config(
        REQUEST_LOG="all",
        PASSWORD_SYNC=True,
        USER_ATTRIBUTES=[
            {
                "path": f"{PIN_URN}:pin",
                "sensitive": True,
                "mutability": "writeOnly",
                "returned": "never",
            }
        ],
    )
    return world


def test_no_stored_text_holds_a_secret(secret_world):
    client = secret_world.a
    secret = Secrets()
    answers = []

    def send(method, path, body=None, **extra):
        response = getattr(client, method)(path, body, format="json", **extra)
        answers.append(response)
        return response

    def with_pin(user_name, **overrides):
        body = user_body(user_name, password=secret(), **overrides)
        body["schemas"] = [USER_URN, PIN_URN]
        body[PIN_URN] = {"pin": secret()}
        return body

    created = send("post", USERS, with_pin("ann@acme.example")).json()
    path = f"{USERS}/{created['id']}"
    send("put", path, {**with_pin("ann@acme.example"), "id": created["id"]})
    for operation in (
        {"op": "replace", "path": "password", "value": secret()},
        {"op": "replace", "value": {"password": secret()}},
        {"op": "replace", "value": {f"{USER_URN}:password": secret()}},
        {"op": "add", "path": f"{PIN_URN}:pin", "value": secret()},
        {"op": "replace", "value": {PIN_URN: {"pin": secret()}}},
        # Wrong types: the error detail must not quote them.
        {"op": "replace", "path": "password", "value": {"nested": secret()}},
        {"op": "replace", "path": "password", "value": [secret(), secret()]},
        {"op": "replace", "path": f"{PIN_URN}:pin", "value": {"x": secret()}},
    ):
        send("patch", path, patch_body(operation))
    # Failing requests carrying secrets: a conflict, wrong types, an unknown bulkId.
    send("post", USERS, with_pin("ann@acme.example"))
    send("post", USERS, user_body("bo@acme.example", password={"v": secret()}))
    send("post", USERS, user_body("cy@acme.example", password=[secret(), secret()]))
    send("post", USERS, user_body("cy@globex.example", password=secret()))  # policy: 403
    bulk = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": "a",
                "data": with_pin("dee@acme.example"),
            },
            {"method": "PUT", "path": path, "data": with_pin("ann@acme.example")},
            {
                "method": "PATCH",
                "path": "/Users/bulkId:a",
                "data": patch_body(
                    {"op": "replace", "path": "password", "value": secret()},
                    {"op": "replace", "value": {"password": secret()}},
                    {"op": "replace", "path": "password", "value": {"n": secret()}},
                ),
            },
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": "b",
                "data": user_body("eve@acme.example", password={"v": secret()}),
            },
            {"method": "PATCH", "path": "/Users/bulkId:nope", "data": {"password": secret()}},
            {"method": "POST", "path": "/Users", "data": {"password": secret()}},  # no bulkId
        ],
    }
    send("post", BULK, bulk)
    # Filters and query strings.
    send("get", USERS, None, **{"QUERY_STRING": f'filter=password eq "{secret()}"'})
    send("get", f"{USERS}?password={secret()}&access_token={secret()}")
    send("post", f"{USERS}/.search", {"filter": f'password eq "{secret()}"'})
    # Credentials that fail.
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Bearer scim_{secret()}xxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    answers.append(stranger.get(USERS))
    basic = base64.b64encode(f"apikey:{secret()}".encode()).decode()
    stranger.credentials(HTTP_AUTHORIZATION=f"Basic {basic}")
    answers.append(stranger.get(USERS))

    statuses = {response.status_code for response in answers}
    assert {200, 201, 400, 401, 403, 409} <= statuses, statuses
    for response in answers:  # no error detail quotes a secret
        text = response.content.decode()
        if response.status_code >= 400:
            assert not any(s in text for s in secret.issued), text
    found = [(label, s) for label, text in stored_texts() for s in secret.issued if s in text]
    assert found == []


def test_sensitive_attributes_are_never_quoted_in_errors(secret_world, scim_config):
    """A readable sensitive attribute (kept, as it must be returned) still never appears
    in an error detail nor in the log."""
    scim_config(
        USER_ATTRIBUTES=[
            {"path": f"{PIN_URN}:code", "sensitive": True, "canonical_values": ["A", "B"]},
            {"path": f"{PIN_URN}:seq", "sensitive": True, "type": "integer"},
        ],
        USER_REQUIRED_ATTRIBUTES=[],
    )
    body = user_body("fay@acme.example")
    body["schemas"] = [USER_URN, PIN_URN]
    body[PIN_URN] = {"code": "Hidden-Value-1", "seq": "Hidden-Value-2"}
    response = secret_world.a.post(USERS, body, format="json")
    assert response.status_code == 400
    assert "Hidden-Value" not in response.content.decode()
    assert "value not shown" in response.json()["detail"]
    from scim_provider.models import ScimRequestLog

    row = ScimRequestLog.objects.latest("pk")
    assert "Hidden-Value" not in json.dumps(row.request_body) + row.error_detail
