"""Bulk (RFC 7644 §3.7): bulkId references, failOnErrors, limits, savepoints, BULK_ATOMIC."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scim_provider import signals
from scim_provider.models import ScimGroup, ScimMembership, ScimUser
from scim_provider.protocol import errors
from tests.conftest import SCIM, assert_scim_error
from tests.factories import UserBodyFactory
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db

BULK = f"{SCIM}/Bulk"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user_op(bulk_id: str, user_name: str | None = None, **data) -> dict:
    body = UserBodyFactory(**({"userName": user_name} if user_name else {}), **data)
    return {"method": "POST", "path": "/Users", "bulkId": bulk_id, "data": body}


def group_op(bulk_id: str, name: str, members=()) -> dict:
    return {
        "method": "POST",
        "path": "/Groups",
        "bulkId": bulk_id,
        "data": {
            "schemas": [GROUP_URN],
            "displayName": name,
            "members": [{"value": m} for m in members],
        },
    }


def run(client, operations, status: int = 200, **extra) -> list[dict]:
    body = {"schemas": [BULK_REQUEST], "Operations": operations, **extra}
    response = client.post(BULK, body, format="json")
    assert response.status_code == status, response.content
    document = response.json()
    assert document["schemas"] == [BULK_RESPONSE]
    return document["Operations"]


def members_of(display_name: str) -> set[str]:
    group = ScimGroup.objects.get(display_name=display_name)
    return {str(m.user.scim_id) for m in ScimMembership.objects.filter(group=group)}


def test_users_then_a_group_referencing_them(users_client):
    results = run(
        users_client,
        [
            user_op("a", "alice@example.com"),
            user_op("b", "bob@example.com"),
            group_op("g", "Team", ["bulkId:a", "bulkId:b"]),
        ],
    )
    assert [r["status"] for r in results] == ["201", "201", "201"]
    assert [r["bulkId"] for r in results] == ["a", "b", "g"]
    ids = [r["location"].rsplit("/", 1)[1] for r in results]
    assert results[0]["location"].endswith(f"/scim/v2/Users/{ids[0]}")
    assert results[2]["location"].endswith(f"/scim/v2/Groups/{ids[2]}")
    assert all(r["version"] == 'W/"1"' for r in results)
    assert members_of("Team") == set(ids[:2])
    fetched = users_client.get(f"{SCIM}/Groups/{ids[2]}").json()
    assert {m["value"] for m in fetched["members"]} == set(ids[:2])


def test_forward_reference_is_resolved_in_a_later_pass(users_client):
    results = run(
        users_client,
        [group_op("g", "Early", ["bulkId:late"]), user_op("late", "late@example.com")],
    )
    assert [(r["bulkId"], r["status"]) for r in results] == [("g", "201"), ("late", "201")]
    user_id = results[1]["location"].rsplit("/", 1)[1]
    assert members_of("Early") == {user_id}


def test_reference_in_path_and_patch_and_delete(users_client):
    results = run(
        users_client,
        [
            user_op("u", "pat@example.com"),
            {
                "method": "PATCH",
                "path": "/Users/bulkId:u",
                "data": {
                    "schemas": [PATCH_URN],
                    "Operations": [{"op": "replace", "path": "title", "value": "Boss"}],
                },
            },
            {"method": "DELETE", "path": "/Users/bulkId:u"},
        ],
    )
    assert [r["status"] for r in results] == ["201", "200", "204"]
    assert results[1]["version"] == 'W/"2"'
    assert results[2]["location"] == results[0]["location"]
    link = ScimUser.objects.get(user_name_key="pat@example.com")
    assert link.attributes["title"] == "Boss" and link.is_deleted


def test_put_and_version_precondition(users_client, create_user):
    user = create_user(userName="v@example.com")
    path = f"/Users/{user['id']}"
    put_body = UserBodyFactory(userName="v@example.com", title="Chief")
    results = run(
        users_client,
        [
            {"method": "PUT", "path": path, "version": 'W/"9"', "data": put_body},
            {"method": "PUT", "path": path, "version": 'W/"1"', "data": put_body},
            {"method": "DELETE", "path": "/Users/00000000-0000-0000-0000-000000000000"},
        ],
    )
    assert [r["status"] for r in results] == ["412", "200", "404"]
    assert results[0]["location"].endswith(path)
    assert results[0]["response"]["status"] == "412"
    assert results[1]["version"] == 'W/"2"'
    assert ScimUser.objects.get(scim_id=user["id"]).attributes["title"] == "Chief"


def test_circular_references_are_409_and_write_nothing(users_client):
    results = run(
        users_client,
        [
            group_op("g1", "One", ["bulkId:g2"]),
            group_op("g2", "Two", ["bulkId:g1"]),
            user_op("self", "self@example.com", nickName="bulkId:self"),
            user_op("ok", "ok@example.com"),
        ],
    )
    by_id = {r["bulkId"]: r for r in results}
    assert by_id["ok"]["status"] == "201"
    for bulk_id in ("g1", "g2", "self"):
        assert by_id[bulk_id]["status"] == "409"
        assert by_id[bulk_id]["response"]["scimType"] == "invalidValue"
        assert "circular" in by_id[bulk_id]["response"]["detail"]
    assert not ScimGroup.objects.exists()
    assert list(ScimUser.objects.values_list("user_name_key", flat=True)) == ["ok@example.com"]


def test_missing_and_failed_references(users_client, create_user):
    create_user(userName="taken@example.com")
    results = run(
        users_client,
        [
            group_op("ghostly", "Ghostly", ["bulkId:ghost"]),
            user_op("dup", "taken@example.com"),
            group_op("orphan", "Orphan", ["bulkId:dup"]),
            group_op("fine", "Fine"),
        ],
    )
    statuses = {r["bulkId"]: (r["status"], r.get("response", {}).get("scimType")) for r in results}
    assert statuses == {
        "ghostly": ("400", "invalidValue"),
        "dup": ("409", "uniqueness"),
        "orphan": ("409", "invalidValue"),
        "fine": ("201", None),
    }
    assert list(ScimGroup.objects.values_list("display_name", flat=True)) == ["Fine"]


@pytest.mark.parametrize(
    "fail_on_errors, processed",
    [(None, ["400", "400", "201", "400"]), (1, ["400"]), (2, ["400", "400"]), (3, None)],
)
def test_fail_on_errors_stops_after_that_many_errors(users_client, fail_on_errors, processed):
    operations = [
        {"method": "POST", "path": "/Users", "bulkId": "x1", "data": {"userName": ""}},
        {"method": "FETCH", "path": "/Users", "bulkId": "x2"},
        user_op("good", "good@example.com"),
        {"method": "POST", "path": "/Nowhere", "bulkId": "x3", "data": {}},
    ]
    extra = {} if fail_on_errors is None else {"failOnErrors": fail_on_errors}
    results = run(users_client, operations, **extra)
    statuses = [r["status"] for r in results]
    assert statuses == (processed or ["400", "400", "201", "400"])
    assert ScimUser.objects.filter(user_name_key="good@example.com").exists() == (
        "201" in statuses
    )
    for result in results:
        if result["status"] != "201":
            assert result["response"]["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_malformed_operations_are_reported_per_operation(users_client):
    results = run(
        users_client,
        [
            "not an object",
            {"method": "POST", "path": "/Users", "data": UserBodyFactory()},  # no bulkId
            {"method": "PATCH", "path": "/Users"},  # no id
            user_op("same", "one@example.com"),
            user_op("same", "two@example.com"),
        ],
    )
    assert [r["status"] for r in results] == ["400", "400", "400", "201", "400"]
    assert "more than once" in results[4]["response"]["detail"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"schemas": ["urn:wrong"], "Operations": []},
        {"schemas": [BULK_REQUEST]},
        {"schemas": [BULK_REQUEST], "Operations": [], "failOnErrors": 0},
    ],
)
def test_malformed_request(users_client, body):
    response = users_client.post(BULK, body, format="json")
    assert response.status_code == 400
    assert response.json()["scimType"] in ("invalidSyntax", "invalidValue")


def test_max_operations_is_enforced_with_413(users_client, scim_config):
    scim_config(BULK_MAX_OPERATIONS=2)
    operations = [user_op(f"u{n}", f"u{n}@example.com") for n in range(3)]
    response = users_client.post(
        BULK, {"schemas": [BULK_REQUEST], "Operations": operations}, format="json"
    )
    body = assert_scim_error(response, 413)
    assert "maxOperations is 2" in body["detail"]
    assert not ScimUser.objects.exists()
    assert len(run(users_client, operations[:2])) == 2


def test_max_payload_size_is_enforced_with_413(users_client, scim_config):
    operations = [user_op("u", "big@example.com", title="x" * 600)]
    size = len(json.dumps({"schemas": [BULK_REQUEST], "Operations": operations}))
    scim_config(BULK_MAX_PAYLOAD_SIZE=500)
    response = users_client.post(
        BULK, {"schemas": [BULK_REQUEST], "Operations": operations}, format="json"
    )
    assert "maxPayloadSize is 500" in assert_scim_error(response, 413)["detail"]
    assert not ScimUser.objects.exists()
    scim_config(BULK_MAX_PAYLOAD_SIZE=size + 100)
    assert run(users_client, operations)[0]["status"] == "201"


@pytest.fixture
def refuse_bob():
    """A receiver that fails the provisioning of bob after his rows were written."""

    def receiver(sender, link, **kwargs):
        if link.user_name_key.startswith("bob"):
            raise errors.InvalidValue("Bob may not be provisioned.")

    signals.user_provisioned.connect(receiver)
    yield
    signals.user_provisioned.disconnect(receiver)


def test_each_operation_has_its_own_savepoint(users_client, refuse_bob):
    results = run(
        users_client,
        [
            user_op("a", "alice@example.com"),
            user_op("b", "bob@example.com"),
            user_op("c", "carol@example.com"),
        ],
    )
    assert [r["status"] for r in results] == ["201", "400", "201"]
    names = set(ScimUser.objects.values_list("user_name_key", flat=True))
    assert names == {"alice@example.com", "carol@example.com"}
    # Bob's host user, saved before the failure, was rolled back with his savepoint.
    username_field = get_user_model().USERNAME_FIELD
    assert not get_user_model()._default_manager.filter(
        **{f"{username_field}__iexact": "bob@example.com"}
    ).exists()


def test_bulk_atomic_rolls_everything_back(users_client, refuse_bob, scim_config):
    scim_config(BULK_ATOMIC=True)
    response = users_client.post(
        BULK,
        {
            "schemas": [BULK_REQUEST],
            "Operations": [
                user_op("a", "alice@example.com"),
                user_op("b", "bob@example.com"),
                user_op("c", "carol@example.com"),
            ],
        },
        format="json",
    )
    body = assert_scim_error(response, 400, "invalidValue")
    assert "Bulk operation 1 (POST b) failed, nothing was written" in body["detail"]
    assert not ScimUser.objects.exists()
    # Without a failure, everything is written.
    results = run(users_client, [user_op("a", "alice@example.com"), user_op("c", "c@x.org")])
    assert [r["status"] for r in results] == ["201", "201"]


def test_bulk_respects_the_tokens_tenant(tenant_clients):
    client_a, client_b = tenant_clients
    results = run(client_a, [user_op("a", "tenant@example.com")])
    link = ScimUser.objects.get(user_name_key="tenant@example.com")
    assert link.tenant_id == client_a.tenant_id
    path = "/Users/" + results[0]["location"].rsplit("/", 1)[1]
    other = run(client_b, [{"method": "DELETE", "path": path}])
    assert other[0]["status"] == "404"


def test_service_provider_config_and_switch(users_client, scim_config):
    config = users_client.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["bulk"] == {"supported": True, "maxOperations": 1000, "maxPayloadSize": 1048576}
    scim_config(BULK_ENABLED=False)
    config = users_client.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["bulk"]["supported"] is False
    response = users_client.post(BULK, {"schemas": [BULK_REQUEST], "Operations": []}, format="json")
    assert_scim_error(response, 501)


def test_bulk_query_count_is_linear_in_single_posts(users_client):
    """A Bulk costs each operation's queries plus its savepoint (2), nothing per request more
    than a constant; the adapter has no bulk-insert path (see docs/bulk.md)."""
    with CaptureQueriesContext(connection) as single:
        response = users_client.post(USERS, UserBodyFactory(), format="json")
        assert response.status_code == 201
    operations = [user_op(f"u{n}", f"bulk{n}@example.com") for n in range(20)]
    with CaptureQueriesContext(connection) as many:
        results = run(users_client, operations)
    assert [r["status"] for r in results] == ["201"] * 20
    per_operation = len(single) + 2
    assert len(many) <= 20 * per_operation + 2, (len(single), len(many))


def test_member_limit_applies_to_each_bulk_operation(users_client, scim_config):
    scim_config(MAX_MEMBERS_PER_REQUEST=2)
    results = run(
        users_client,
        [
            user_op("a", "a@example.com"),
            user_op("b", "b@example.com"),
            user_op("c", "c@example.com"),
            group_op("small", "Small", ["bulkId:a", "bulkId:b"]),
            group_op("big", "Big", ["bulkId:a", "bulkId:b", "bulkId:c"]),
        ],
    )
    assert [r["status"] for r in results] == ["201", "201", "201", "201", "400"]
    assert results[4]["response"]["scimType"] == "invalidValue"
    assert "MAX_MEMBERS_PER_REQUEST" in results[4]["response"]["detail"]
    assert not ScimGroup.objects.filter(display_name="Big").exists()
