"""Roles from groups (ROLE_MAPPINGS): the seeds' TestMu AI and Testomat.io shapes over HTTP."""

from __future__ import annotations

import pytest

from scim_provider import registry, signals
from tests.conftest import SCIM, assert_scim_error
from tests.integration.conftest import host_user

LT_USER = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
LT_GROUP = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:Group"
TM_USER = "urn:ietf:params:scim:schemas:extension:testomat:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def patch(*operations):
    return {"schemas": [PATCH], "Operations": list(operations)}


@pytest.fixture
def testmu(scim_config):
    """TestMu AI: OrganizationRole (Admin > User > Guest) on Profile.role, from groups."""
    registry.register(
        f"{LT_USER}:OrganizationRole",
        canonical_values=["Admin", "User", "Guest"],
        field="profile__role",
    )
    registry.register(f"{LT_GROUP}:LambdatestRoles", resource="Group")
    scim_config(
        ROLE_MAPPINGS=[
            {
                "target": f"{LT_USER}:OrganizationRole",
                "roles": ["Admin", "User", "Guest"],
                "from": "group_attribute",
                "group_attribute": f"{LT_GROUP}:LambdatestRoles",
            }
        ]
    )
    yield
    registry.unregister(f"{LT_USER}:OrganizationRole")
    registry.unregister(f"{LT_GROUP}:LambdatestRoles", resource="Group")


@pytest.fixture
def testomat(scim_config):
    """Testomat.io: testomat_roles (multi-valued, kept as JSON) from group names, qa default."""
    registry.register(f"{TM_USER}:testomat_roles", multi_valued=True)
    scim_config(
        ROLE_MAPPINGS=[
            {
                "target": f"{TM_USER}:testomat_roles",
                "roles": ["manager", "billing", "read"],
                "from": "group_name",
                "names": {"manager": "manager", "billing": "billing", "read-only": "read"},
                "match": "contains",
                "multiple": True,
                "default": ["qa"],
            }
        ]
    )
    yield
    registry.unregister(f"{TM_USER}:testomat_roles")


def make_group(client, name, members=(), role=None):
    body = {"displayName": name, "members": [{"value": m} for m in members]}
    if role is not None:
        body[LT_GROUP] = {"LambdatestRoles": role}
    response = client.post(f"{SCIM}/Groups", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def role_of(user_id):
    return host_user(user_id).profile.role


@pytest.mark.django_db
def test_highest_group_role_wins_and_is_recomputed(users_client, create_user, testmu):
    alice = create_user()["id"]
    guests = make_group(users_client, "Guests", [alice], role="Guest")
    assert role_of(alice) == "Guest"
    admins = make_group(users_client, "Admins", [alice], role="admin")  # canonical spelling
    assert role_of(alice) == "Admin"
    # The API serves the derived attribute like any other.
    body = users_client.get(f"{SCIM}/Users/{alice}").json()
    assert body[LT_USER] == {"OrganizationRole": "Admin"}

    # Removing her from the Admin group recomputes: Guest is still granted.
    users_client.patch(
        f"{SCIM}/Groups/{admins}",
        patch({"op": "remove", "path": f'members[value eq "{alice}"]'}),
        format="json",
    )
    assert role_of(alice) == "Guest"

    # A group whose role changes recomputes its members.
    users_client.patch(
        f"{SCIM}/Groups/{guests}",
        patch({"op": "replace", "path": f"{LT_GROUP}:LambdatestRoles", "value": "User"}),
        format="json",
    )
    assert role_of(alice) == "User"


@pytest.mark.django_db
def test_role_kept_while_another_group_grants_it(users_client, create_user, testmu):
    bob = create_user()["id"]
    first = make_group(users_client, "Team A", [bob], role="Admin")
    make_group(users_client, "Team B", [bob], role="Admin")
    users_client.patch(
        f"{SCIM}/Groups/{first}",
        patch({"op": "Remove", "path": "members", "value": [{"value": bob}]}),
        format="json",
    )
    assert role_of(bob) == "Admin"


@pytest.mark.django_db
def test_deleting_a_group_unassigns_and_recomputes(users_client, create_user, testmu):
    carol = create_user()["id"]
    make_group(users_client, "Users", [carol], role="User")
    admins = make_group(users_client, "Admins", [carol], role="Admin")
    assert users_client.delete(f"{SCIM}/Groups/{admins}").status_code == 204
    assert role_of(carol) == "User"
    groups = users_client.get(f"{SCIM}/Users/{carol}").json()["groups"]
    assert [g["display"] for g in groups] == ["Users"]


@pytest.mark.django_db
def test_leaving_the_last_group_falls_back_to_the_role_the_idp_set(
    users_client, create_user, testmu
):
    dave = create_user(**{LT_USER: {"OrganizationRole": "User"}})["id"]
    assert role_of(dave) == "User"
    group = make_group(users_client, "Admins", [dave], role="Admin")
    assert role_of(dave) == "Admin"
    # Okta's GET-then-PUT round trip sends the computed role back: not taken as direct.
    body = users_client.get(f"{SCIM}/Users/{dave}").json()
    assert users_client.put(f"{SCIM}/Users/{dave}", body, format="json").status_code == 200
    users_client.delete(f"{SCIM}/Groups/{group}")
    assert role_of(dave) == "User"  # never a stale Admin


@pytest.mark.django_db
def test_direct_role_below_a_group_role_is_overridden_until_the_group_goes(
    users_client, create_user, testmu
):
    erin = create_user()["id"]
    group = make_group(users_client, "Admins", [erin], role="Admin")
    users_client.patch(
        f"{SCIM}/Users/{erin}",
        patch({"op": "replace", "path": f"{LT_USER}:OrganizationRole", "value": "Guest"}),
        format="json",
    )
    assert role_of(erin) == "Admin"  # the highest wins
    users_client.patch(
        f"{SCIM}/Groups/{group}",
        patch({"op": "remove", "path": f'members[value eq "{erin}"]'}),
        format="json",
    )
    assert role_of(erin) == "Guest"


@pytest.mark.django_db
def test_without_any_source_the_role_is_cleared(users_client, create_user, testmu):
    fay = create_user()["id"]
    group = make_group(users_client, "Admins", [fay], role="Admin")
    assert role_of(fay) == "Admin"
    users_client.delete(f"{SCIM}/Groups/{group}")
    assert role_of(fay) == ""
    assert LT_USER not in users_client.get(f"{SCIM}/Users/{fay}").json()


@pytest.mark.django_db
def test_invalid_direct_role_is_refused(users_client, create_user, testmu):
    response = users_client.post(
        f"{SCIM}/Users",
        {"userName": "eve@example.com", LT_USER: {"OrganizationRole": "Root"}},
        format="json",
    )
    assert_scim_error(response, 400, "invalidValue")


@pytest.mark.django_db
def test_group_name_roles_with_default(users_client, create_user, testomat):
    frank = create_user()["id"]
    assert users_client.get(f"{SCIM}/Users/{frank}").json()[TM_USER] == {"testomat_roles": ["qa"]}
    make_group(users_client, "Acme Managers", [frank])
    billing = make_group(users_client, "billing-team", [frank])
    make_group(users_client, "Everyone", [frank])
    roles = users_client.get(f"{SCIM}/Users/{frank}").json()[TM_USER]["testomat_roles"]
    assert roles == ["manager", "billing"]  # in the declared order

    # Renaming a group re-evaluates it.
    users_client.patch(
        f"{SCIM}/Groups/{billing}",
        patch({"op": "replace", "value": {"id": billing, "displayName": "Read-Only Crew"}}),
        format="json",
    )
    roles = users_client.get(f"{SCIM}/Users/{frank}").json()[TM_USER]["testomat_roles"]
    assert roles == ["manager", "read"]


@pytest.mark.django_db
def test_roles_changed_signal(users_client, create_user, testmu):
    seen = []

    def receiver(sender, target, values, **kwargs):
        seen.append((target, values))

    signals.roles_changed.connect(receiver)
    try:
        grace = create_user()["id"]
        make_group(users_client, "Admins", [grace], role="Admin")
    finally:
        signals.roles_changed.disconnect(receiver)
    user_pk = host_user(grace).pk
    assert seen == [(f"{LT_USER}:OrganizationRole", {user_pk: "Admin"})]


@pytest.mark.django_db
def test_role_recompute_costs_constant_queries(
    users_client, create_user, testmu, django_assert_max_num_queries
):
    """Adding 1 or 40 members to a role group costs the same number of queries."""
    ids = [create_user()["id"] for _ in range(41)]
    counts = []
    for size, name in ((1, "Solo"), (40, "Crowd")):
        group = make_group(users_client, name, role="Admin")
        members = ids[:size] if size == 1 else ids[1:]
        with django_assert_max_num_queries(20) as captured:
            response = users_client.patch(
                f"{SCIM}/Groups/{group}",
                patch({"op": "add", "path": "members", "value": [{"value": m} for m in members]}),
                format="json",
            )
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert {role_of(i) for i in ids} == {"Admin"}


@pytest.mark.django_db
def test_role_mapping_checks(scim_config):
    from scim_provider.checks import check_role_mappings, check_settings

    scim_config(ROLE_MAPPINGS=[{"target": "x", "roles": []}])
    assert [e.id for e in check_settings()] == ["scim_provider.E002"]
    scim_config(
        ROLE_MAPPINGS=[
            {
                "target": "urn:nope:2.0:User:role",
                "roles": ["a"],
                "from": "group_attribute",
                "group_attribute": "urn:nope:2.0:Group:role",
            }
        ]
    )
    assert [e.id for e in check_role_mappings()] == ["scim_provider.E007"] * 2
