"""The write path at the host boundary (scim_provider.writes): each row written once, only
the columns that changed, nothing cut, database refusals named, signals once, afterwards."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.dispatch import receiver
from django.test.utils import CaptureQueriesContext

from scim_provider import signals
from scim_provider.models import ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS, host_user
from tests.integration.test_roles import LT_USER, make_group, role_of, testmu  # noqa: F401

pytestmark = pytest.mark.django_db


def writes_to(queries, table: str) -> list[str]:
    """The INSERT/UPDATE/DELETE statements of ``queries`` on ``table``."""
    quoted = connection.ops.quote_name(table)
    pattern = re.compile(rf"^(INSERT INTO|UPDATE|DELETE FROM) {re.escape(quoted)}")
    return [q["sql"] for q in queries if pattern.match(q["sql"])]


def user_table() -> str:
    return get_user_model()._meta.db_table


LINK_TABLE = ScimUser._meta.db_table


@pytest.fixture
def fired():
    """Every SCIM signal sent, as (name, kwargs), in order."""
    names = [
        "pre_user_save",
        "user_provisioned",
        "user_updated",
        "user_deactivated",
        "user_reactivated",
        "user_deleted",
        "roles_changed",
        "members_added",
        "members_removed",
    ]
    seen: list[tuple[str, dict]] = []
    receivers = []
    for name in names:

        def record(sender, _name=name, **kwargs):
            kwargs.pop("signal", None)
            seen.append((_name, kwargs))

        getattr(signals, name).connect(record)
        receivers.append((name, record))
    yield seen
    for name, record in receivers:
        getattr(signals, name).disconnect(record)


# Only what changed -----------------------------------------------------------------------


def test_an_update_writes_only_the_changed_columns(users_client, create_user):
    user = create_user()
    with CaptureQueriesContext(connection) as captured:
        response = users_client.patch(
            f"{USERS}/{user['id']}",
            patch_body({"op": "replace", "path": "active", "value": False}),
            format="json",
        )
    assert response.status_code == 200
    (update,) = writes_to(captured.captured_queries, user_table())
    assigned = update.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    columns = set(re.findall(r'"?(\w+)"? = ', assigned))
    assert columns == {"is_active"}, update  # never password, last_login, username...
    assert len(writes_to(captured.captured_queries, LINK_TABLE)) == 1


def test_a_host_side_change_is_kept(users_client, create_user):
    """A login (last_login) and a password changed in the host's own pages, between two
    SCIM writes, survive the second one."""
    user = create_user()
    host = host_user(user["id"])
    host.set_password("changed by the user")
    host.save(update_fields=["password"])
    type(host).objects.filter(pk=host.pk).update(last_login="2026-01-02T03:04:05Z")
    response = users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body({"op": "replace", "path": "displayName", "value": "Renamed"}),
        format="json",
    )
    assert response.status_code == 200
    host.refresh_from_db()
    assert host.check_password("changed by the user")
    assert host.last_login.year == 2026


def test_nothing_changed_writes_nothing(users_client, create_user, fired):
    user = create_user()
    fired.clear()
    with CaptureQueriesContext(connection) as captured:
        response = users_client.patch(
            f"{USERS}/{user['id']}",
            patch_body({"op": "replace", "path": "userName", "value": user["userName"]}),
            format="json",
        )
    assert response.status_code == 200
    assert response["ETag"] == f'W/"{user["meta"]["version"].split(chr(34))[1]}"'
    assert not writes_to(captured.captured_queries, user_table())
    assert not writes_to(captured.captured_queries, LINK_TABLE)
    assert fired == []


# Derived state once ------------------------------------------------------------------------


def test_a_role_patch_writes_each_row_once(users_client, create_user, testmu, fired):  # noqa: F811
    """PATCH of the role attribute while a group grants a higher one: one UPDATE of the
    user, one of its profile, one of its link, every signal once, the ETag +1."""
    alice = create_user()
    make_group(users_client, "Admins", [alice["id"]], role="Admin")
    before = users_client.get(f"{USERS}/{alice['id']}")
    version = before.json()["meta"]["version"]
    fired.clear()
    with CaptureQueriesContext(connection) as captured:
        response = users_client.patch(
            f"{USERS}/{alice['id']}",
            patch_body(
                {"op": "replace", "path": f"{LT_USER}:OrganizationRole", "value": "Guest"},
                {"op": "replace", "path": "displayName", "value": "Alice A."},
            ),
            format="json",
        )
    assert response.status_code == 200
    body = response.json()
    assert body[LT_USER] == {"OrganizationRole": "Admin"}  # the group's role wins
    assert body["displayName"] == "Alice A."
    queries = captured.captured_queries
    assert len(writes_to(queries, LINK_TABLE)) == 1
    assert len(writes_to(queries, user_table())) <= 1
    assert len(writes_to(queries, "testapp_profile")) <= 1
    names = [name for name, _kwargs in fired]
    assert names.count("user_updated") == 1 and names.count("pre_user_save") == 1
    (updated,) = [kwargs for name, kwargs in fired if name == "user_updated"]
    assert updated["changed"] == {"displayName"}  # the role's final value did not change
    assert int(body["meta"]["version"].split('"')[1]) == int(version.split('"')[1]) + 1
    assert role_of(alice["id"]) == "Admin"

    # Leaving the group falls back to the role the identity provider set: Guest.
    groups = users_client.get(f"{SCIM}/Groups").json()["Resources"]
    users_client.delete(f"{SCIM}/Groups/{groups[0]['id']}")
    assert role_of(alice["id"]) == "Guest"


def test_a_group_write_writes_each_member_once(users_client, create_user, testmu):  # noqa: F811
    ids = [create_user()["id"] for _ in range(3)]
    with CaptureQueriesContext(connection) as captured:
        make_group(users_client, "Admins", ids, role="Admin")
    queries = captured.captured_queries
    assert len(writes_to(queries, "testapp_profile")) <= 2  # create missing rows, one UPDATE
    assert len(writes_to(queries, LINK_TABLE)) == 1  # every member's version, at once
    assert {role_of(i) for i in ids} == {"Admin"}


def test_signals_come_after_every_write(users_client, create_user):
    """A receiver sees derived state already written: the member's role and host group."""
    seen = []

    @receiver(signals.members_added)
    def check(sender, group, user_ids, **kwargs):
        user = get_user_model().objects.get(pk=user_ids[0])
        seen.append(
            list(user.groups.values_list("pk", flat=True)) if hasattr(user, "groups") else []
        )

    try:
        bob = create_user()
        make_group(users_client, "Mirrored", [bob["id"]])
    finally:
        signals.members_added.disconnect(check)
    assert len(seen) == 1 and len(seen[0]) == 1


# Nothing cut ------------------------------------------------------------------------------


def test_too_long_is_a_400_that_names_the_attribute_and_the_limit(users_client):
    limit = get_user_model()._meta.get_field(get_user_model().USERNAME_FIELD).max_length
    long_name = "u" * 10_000 + "@example.com"
    response = users_client.post(USERS, UserBodyFactory(userName=long_name), format="json")
    body = assert_scim_error(response, 400, "invalidValue")
    assert "userName" in body["detail"] and str(limit) in body["detail"]
    assert not ScimUser.objects.exists()


@pytest.mark.parametrize(
    ("path", "value", "limit"),
    [("externalId", "x" * 256, 255), ("title", "d" * 5000, None)],
)
def test_too_long_link_or_host_values(users_client, create_user, path, value, limit):
    user = create_user()
    response = users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body({"op": "replace", "path": path, "value": value}),
        format="json",
    )
    if limit is None:  # kept as JSON on the link: no limit to cut at
        assert response.status_code == 200
        assert response.json()[path] == value
        return
    body = assert_scim_error(response, 400, "invalidValue")
    assert path in body["detail"] and str(limit) in body["detail"]
    assert users_client.get(f"{USERS}/{user['id']}").json()[path] == user[path]


@pytest.mark.skipif(
    "first_name" not in {f.name for f in get_user_model()._meta.fields},
    reason="name.givenName is mapped on first_name",
)
def test_too_long_given_name(users_client, create_user):
    user = create_user()
    response = users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body({"op": "replace", "path": "name.givenName", "value": "g" * 10_000}),
        format="json",
    )
    body = assert_scim_error(response, 400, "invalidValue")
    assert "name.givenName" in body["detail"] and "150" in body["detail"]


# Database refusals ----------------------------------------------------------------------


def test_a_unique_host_column_is_a_409_naming_the_attribute(tenant_clients):
    """Two tenants share the host table: a login taken by another tenant's user."""
    client_a, client_b = tenant_clients
    assert (
        client_a.post(
            USERS, UserBodyFactory(userName="shared@example.com"), format="json"
        ).status_code
        == 201
    )
    response = client_b.post(USERS, UserBodyFactory(userName="shared@example.com"), format="json")
    body = assert_scim_error(response, 409, "uniqueness")
    assert body["detail"].startswith("userName ")


def test_any_other_refusal_is_a_500_logged_with_a_hint(users_client, caplog):
    """A NOT NULL host column left empty (a receiver's bug) is the host's problem: 500,
    logged at ERROR with the constraint; never '409 uniqueness'."""

    @receiver(signals.pre_user_save)
    def break_it(sender, user, **kwargs):
        user.date_joined = None

    try:
        with caplog.at_level(logging.ERROR, logger="scim_provider"):
            response = users_client.post(USERS, UserBodyFactory(), format="json")
    finally:
        signals.pre_user_save.disconnect(break_it)
    assert_scim_error(response, 500)
    assert "NOT NULL" in caplog.text or "not-null" in caplog.text or "null value" in caplog.text
    assert "Hint" in caplog.text
    assert not ScimUser.objects.exists()
