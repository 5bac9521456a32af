"""Where the values of multi-valued attributes are kept: the migration that filled
``ScimValue`` for existing links, and ``scim_sync_values``."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from scim_provider.models import ScimValue
from tests.factories import ScimUserFactory, UserFactory
from tests.integration.conftest import USERS, emails_have_their_own_field

BEFORE = [("scim_provider", "0006_audit_token_expiring")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def found(client, text: str) -> list[str]:
    response = client.get(USERS, {"filter": text})
    assert response.status_code == 200, response.content
    return [user["userName"] for user in response.json()["Resources"]]


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_values_of_existing_links(users_client):
    old = migrate(BEFORE)
    try:
        user_label = settings.AUTH_USER_MODEL.split(".")
        User = old.get_model(*user_label)
        ScimUser = old.get_model("scim_provider", "ScimUser")
        ScimGroup = old.get_model("scim_provider", "ScimGroup")
        login = get_user_model().USERNAME_FIELD
        host = User._default_manager.create(
            **{login: "jane", **({"email": "Jane@Host.example"} if has_email() else {})}
        )
        emails = [
            {"value": "jane@old.example", "primary": True, "type": "work"},
            {"value": "jane@home.example", "type": "home"},
        ]
        ScimUser._default_manager.create(
            user=host,
            user_name="jane",
            user_name_key="jane",
            attributes={"emails": emails, "roles": [{"value": "Admin"}], "_private": 1},
        )
        ScimGroup._default_manager.create(display_name="G", display_name_key="g")
    finally:
        migrate([("scim_provider", latest())])  # through 0008_multivalued_values
    assert set(ScimValue.objects.values_list("attribute", "folded")) == {
        ("emails", "jane@host.example" if has_email() else "jane@old.example"),
        ("emails", "jane@home.example"),
        ("roles", "admin"),
    }
    assert found(users_client, 'emails[type eq "home"].value eq "JANE@HOME.EXAMPLE"') == ["jane"]
    assert found(users_client, 'roles.value eq "admin"') == ["jane"]


def has_email() -> bool:
    """Whether the host's email field holds the primary email (not the login)."""
    return emails_have_their_own_field()


def latest() -> str:
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    return next(name for app, name in leaves if app == "scim_provider")


@pytest.mark.django_db
def test_sync_values_follows_the_host(users_client):
    if not has_email():
        pytest.skip("the email is the login: userName, not emails")
    link = ScimUserFactory(user=UserFactory(username="ann", email="ann@before.example"))
    assert found(users_client, 'emails.value eq "ann@before.example"') == ["ann"]
    link.user.email = "ann@after.example"
    link.user.save()  # outside SCIM: filters still see the copy
    assert found(users_client, 'emails.value eq "ann@after.example"') == []
    out = StringIO()
    call_command("scim_sync_values", stdout=out)
    assert out.getvalue() == "Wrote 1 value(s).\n"
    assert found(users_client, 'emails.value eq "ann@after.example"') == ["ann"]
    assert found(users_client, 'emails.value eq "ann@before.example"') == []
