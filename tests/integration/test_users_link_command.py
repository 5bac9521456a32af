"""``scim_link_users``: adopt the host's existing users before SCIM is turned on."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scim_provider import services
from scim_provider.models import ScimUser
from tests.factories import OrganizationFactory, ScimUserFactory, UserBodyFactory, UserFactory
from tests.integration.conftest import USERS, emails_have_their_own_field

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("scim_link_users", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_links_every_user_once_and_is_idempotent():
    UserFactory.create_batch(7)
    ScimUserFactory()  # already linked
    out, err = run("--batch-size", "3")
    assert "Linked 7 user(s); skipped 0; refused 0; 7 were unlinked." in out
    assert "7/7 (100%)" in err and "3/7" in err
    assert ScimUser.objects.count() == 8
    out, _err = run()
    assert "Linked 0 user(s)" in out
    assert ScimUser.objects.count() == 8


def test_linked_users_are_found_by_the_identity_provider(users_client):
    existing = UserFactory(username="Old.Timer@example.com", first_name="Old", last_name="Timer")
    run()
    found = users_client.get(USERS, {"filter": 'userName eq "old.timer@example.com"'}).json()
    assert found["totalResults"] == 1
    user = found["Resources"][0]
    assert user["userName"] == "Old.Timer@example.com" and user["active"] is True
    link = ScimUser.objects.get()
    assert link.user_id == existing.pk and link.user_name_key == "old.timer@example.com"
    # The IdP's POST for the same person is now a 409, not a duplicate host user.
    response = users_client.post(
        USERS, UserBodyFactory(userName="old.timer@example.com"), format="json"
    )
    assert response.status_code == 409


def test_linked_users_are_found_by_their_email(users_client):
    if not emails_have_their_own_field():
        pytest.skip("the email is the login: userName, not emails")
    existing = UserFactory(username="timer", email="Old.Timer@Example.com")
    run()
    response = users_client.get(USERS, {"filter": 'emails.value eq "old.timer@example.com"'})
    assert [user["userName"] for user in response.json()["Resources"]] == [existing.username]


def test_dry_run_writes_nothing():
    UserFactory.create_batch(3)
    out, _err = run("--dry-run")
    assert "Would link 3 user(s)" in out
    assert not ScimUser.objects.exists()


def test_tenant(scim_config):
    scim_config(TENANT_MODEL="testapp.Organization", DOMAIN_POLICY="off")
    org = OrganizationFactory()
    UserFactory.create_batch(2)
    run("--tenant", str(org.pk))
    assert set(ScimUser.objects.values_list("tenant_id", flat=True)) == {str(org.pk)}
    with pytest.raises(CommandError, match="No organization"):
        run("--tenant", "999")


def test_tenant_needs_a_tenant_model():
    with pytest.raises(CommandError, match="TENANT_MODEL"):
        run("--tenant", "1")
    with pytest.raises(CommandError, match="batch-size"):
        run("--batch-size", "0")


def test_case_insensitive_duplicates_are_skipped():
    """Two logins that differ only in case cannot both be a SCIM userName."""
    from django.contrib.auth import get_user_model

    if get_user_model().USERNAME_FIELD == "email":
        pytest.skip("EmailField logins are compared as given; covered by auth.User")
    UserFactory(username="dup@example.com")
    UserFactory(username="DUP@example.com")
    out, err = run()
    assert "Linked 1 user(s); skipped 1" in out
    assert "DUP@example.com" in err


def test_batches_use_a_constant_number_of_queries():
    UserFactory.create_batch(40)
    with CaptureQueriesContext(connection) as queries:
        result = services.link_existing_users(batch_size=20)
    assert result.linked == 40
    # count + taken keys + (select + insert + their emails) per batch + one empty select;
    # plus savepoints.
    statements = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) <= 2 + 3 * 2 + 1
