"""Adoption never crosses a line (issue 15): ``MATCH_EXISTING_USERS`` and
``scim_link_users`` never adopt staff or superusers, users linked to another tenant, or
(``DOMAIN_POLICY``) users outside the tenant's verified domains; ``adoption_refusal`` is
the one hook that decides.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from scim_provider.adapters import UserAdapter
from scim_provider.models import ScimUser
from tests.conftest import assert_scim_error
from tests.factories import UserFactory, patch_body
from tests.integration.tenant_world import *  # noqa: F403
from tests.integration.tenant_world import USERS, host_rows, user_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def adopting(world, scim_config):
    """``world`` with adoption on, and passwords synced: the worst case for a takeover."""
    scim_config(MATCH_EXISTING_USERS=["userName", "email"], PASSWORD_SYNC=True)
    return world


def takeover(user_name: str, email: str) -> dict:
    return user_body(
        user_name,
        emails=[{"value": email, "primary": True}],
        password="idp-chosen-password",
        active=False,
    )


def assert_untouched(user, password: str) -> None:
    fresh = get_user_model()._default_manager.get(pk=user.pk)
    assert fresh.get_username() == user.get_username()
    assert fresh.is_active and fresh.is_staff
    assert fresh.check_password(password) and not fresh.check_password("idp-chosen-password")
    assert not ScimUser.objects.filter(user=fresh).exists()


@pytest.mark.parametrize("policy", ["off", "verified"])
def test_superuser_and_staff_are_never_adopted(adopting, scim_config, policy):
    scim_config(DOMAIN_POLICY=policy)
    for body in (
        takeover("root", "root@acme.example"),
        takeover("staff@acme.example", "staff@acme.example"),
        takeover("x@acme.example", "root@acme.example"),  # by email
        takeover("ROOT", "x@acme.example"),  # case-insensitive userName
    ):
        response = adopting.a.post(USERS, body, format="json")
        assert response.status_code in (201, 403, 409), response.content
        if response.status_code == 201:  # a new user, never the host account
            assert ScimUser.objects.get(scim_id=response.json()["id"]).user_id not in (
                adopting.root.pk,
                adopting.staff.pk,
            )
    assert_untouched(adopting.root, "r")
    assert_untouched(adopting.staff, "s")


def test_a_user_linked_to_another_tenant_is_never_adopted(adopting, scim_config):
    scim_config(DOMAIN_POLICY="off")
    theirs = adopting.b.post(USERS, user_body("pat@globex.example"), format="json").json()
    link = ScimUser.objects.get(scim_id=theirs["id"])
    before = host_rows()
    response = adopting.a.post(
        USERS, takeover("pat@globex.example", "pat@globex.example"), format="json"
    )
    assert_scim_error(response, 409, "uniqueness")
    assert host_rows() == before
    assert ScimUser.objects.get(pk=link.pk).tenant_id == str(adopting.org_b.pk)


def test_outside_the_verified_domains_is_never_adopted(adopting):
    """A host account whose email is elsewhere is not the tenant's, even if its login is."""
    mixed = UserFactory(username="quinn@acme.example", email="quinn@globex.example", password="q")
    if get_user_model().USERNAME_FIELD == "email":
        pytest.skip("the login is the email: one address, nothing mixed")
    response = adopting.a.post(
        USERS, takeover("quinn@acme.example", "quinn@acme.example"), format="json"
    )
    assert_scim_error(response, 409, "uniqueness")
    mixed.refresh_from_db()
    assert mixed.is_active and mixed.check_password("q")


def test_a_plain_user_of_the_tenant_is_adopted(adopting):
    person = UserFactory(username="rose@acme.example", password="old")
    response = adopting.a.post(
        USERS, takeover("rose@acme.example", "rose@acme.example"), format="json"
    )
    assert response.status_code == 201, response.content
    assert ScimUser.objects.get(scim_id=response.json()["id"]).user_id == person.pk


class StaffAdoptingAdapter(UserAdapter):
    """A host that lets its customers' identity providers take over staff accounts of
    their own domain (superusers stay out)."""

    def adoption_refusal(self, user):
        if user.is_staff and not user.is_superuser:
            return None
        return super().adoption_refusal(user)


def test_the_hook_decides(adopting, scim_config):
    scim_config(USER_ADAPTER="tests.integration.test_adoption.StaffAdoptingAdapter")
    response = adopting.a.post(
        USERS, takeover("staff@acme.example", "staff@acme.example"), format="json"
    )
    assert response.status_code == 201, response.content
    assert ScimUser.objects.get(scim_id=response.json()["id"]).user_id == adopting.staff.pk
    response = adopting.a.post(
        USERS, takeover("x@acme.example", "root@acme.example"), format="json"
    )
    assert ScimUser.objects.get(scim_id=response.json()["id"]).user_id != adopting.root.pk
    assert_untouched(adopting.root, "r")


def test_patch_cannot_rename_into_a_host_account(adopting, scim_config):
    """Adoption happens on POST only: renaming a user onto root's login is a conflict."""
    scim_config(DOMAIN_POLICY="off")
    created = adopting.a.post(USERS, user_body("sam@acme.example"), format="json").json()
    body = patch_body({"op": "replace", "path": "userName", "value": "root"})
    assert_scim_error(
        adopting.a.patch(f"{USERS}/{created['id']}", body, format="json"), 409, "uniqueness"
    )
    assert_untouched(adopting.root, "r")


# scim_link_users ------------------------------------------------------------------------


def link(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("scim_link_users", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_link_users_lists_what_it_would_link_and_refuses_staff(world):
    UserFactory(username="ann@acme.example")
    UserFactory(username="bea@acme.example")
    UserFactory(username="cy@globex.example")
    out, err = link("--tenant", str(world.org_a.pk), "--dry-run")
    assert f"Would link to {world.org_a}:" in out
    assert "  ann@acme.example" in out and "  bea@acme.example" in out
    assert "cy@globex.example" not in out
    assert "Refused 'root': a superuser account." in err
    assert "Refused 'staff@acme.example': a staff account." in err
    assert "Refused 'cy@globex.example': its login is outside the verified domains." in err
    assert "Would link 2 user(s); skipped 0; refused 3; 5 were unlinked." in out
    assert not ScimUser.objects.exists()

    out, _err = link("--tenant", str(world.org_a.pk))
    assert "Linked 2 user(s)" in out
    linked = ScimUser.objects.filter(tenant_id=str(world.org_a.pk))
    assert set(linked.values_list("user_name", flat=True)) == {
        "ann@acme.example",
        "bea@acme.example",
    }
    # Linked to A, so B's run never sees them; B gets only its own domain's user.
    out, _err = link("--tenant", str(world.org_b.pk))
    assert "  cy@globex.example" in out and "Linked 1 user(s)" in out


def test_link_users_without_policy_still_refuses_staff(world, scim_config):
    scim_config(DOMAIN_POLICY="off")
    UserFactory(username="dee@anywhere.example")
    out, err = link("--tenant", str(world.org_a.pk))
    assert "Refused 'root'" in err and "Refused 'staff@acme.example'" in err
    assert "Linked 1 user(s)" in out
    assert not ScimUser.objects.filter(user__in=[world.root, world.staff]).exists()
