"""Groups mirrored onto a tenant-owned host model (``GROUP_TENANT_FIELD``), and a group link
that remembers which host model its key belongs to (``ScimGroup.host_group_model``).

``testapp.OrgTeam`` is what a multi-tenant product has: a NOT NULL foreign key to its
``Organization`` and ``unique(organization, name)``. Two organizations push groups of the
same name; each gets its own team, named plainly, and never touches the other's.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.adapters.groups import GroupAdapter
from scim_provider.models import ScimGroup
from tests.conftest import SCIM, assert_scim_error
from tests.integration.group_helpers import (
    GROUPS,
    create_group,
    group_body,
    host_member_ids,
    patch,
    user_pks,
)
from tests.testapp.models import Organization, OrgTeam

pytestmark = pytest.mark.django_db

TEAM = "testapp.OrgTeam"


@pytest.fixture
def org_teams(tenant_clients, scim_config):
    scim_config(GROUP_MODEL=TEAM, GROUP_TENANT_FIELD="organization")
    return tenant_clients


def team_of(group_id: str) -> OrgTeam:
    link = ScimGroup.objects.get(scim_id=group_id)
    assert link.host_group_model == "testapp.orgteam"
    return OrgTeam.objects.get(pk=link.host_group_id)


def teams(client) -> dict[str, set[int]]:
    """The organization's teams: name -> host user pks of the members."""
    rows = OrgTeam.objects.filter(organization_id=client.tenant_id).prefetch_related("members")
    return {team.name: {u.pk for u in team.members.all()} for team in rows}


def test_each_tenant_gets_its_own_team_under_the_plain_name(org_teams, create_user):
    client_a, client_b = org_teams
    user_a, user_b = create_user(client_a), create_user(client_b)
    group_a = create_group(client_a, "Engineering", [user_a["id"]])
    group_b = create_group(client_b, "Engineering", [user_b["id"]])

    team_a, team_b = team_of(group_a["id"]), team_of(group_b["id"])
    assert (team_a.name, str(team_a.organization_id)) == ("Engineering", client_a.tenant_id)
    assert (team_b.name, str(team_b.organization_id)) == ("Engineering", client_b.tenant_id)
    assert teams(client_a) == {"Engineering": user_pks([user_a["id"]])}
    assert teams(client_b) == {"Engineering": user_pks([user_b["id"]])}


def test_okta_flow_rename_members_delete_and_push_again(org_teams, create_user, scim_config):
    client_a, client_b = org_teams
    ann, bob = create_user(client_a), create_user(client_a)
    other = create_user(client_b)
    create_group(client_b, "Platform", [other["id"]])
    group = create_group(client_a, "Engineering", [ann["id"]])
    team = team_of(group["id"])

    # Okta's membership update: the rename op with the same name, then removes and adds.
    response = patch(
        client_a,
        group["id"],
        {"op": "replace", "value": {"id": group["id"], "displayName": "Engineering"}},
        {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'},
        {"op": "add", "path": "members", "value": [{"value": bob["id"]}]},
    )
    assert response.status_code == 200, response.content
    assert teams(client_a) == {"Engineering": user_pks([bob["id"]])}

    # Rename onto a name the other organization uses: no clash, same team.
    response = patch(
        client_a, group["id"], {"op": "replace", "value": {"displayName": "Platform"}}
    )
    assert response.status_code == 200, response.content
    assert team_of(group["id"]).pk == team.pk
    assert teams(client_a) == {"Platform": user_pks([bob["id"]])}
    assert teams(client_b) == {"Platform": user_pks([other["id"]])}

    # Soft delete keeps the emptied team; pushing the name again reuses it, although the
    # other organization has a team of that name too.
    assert client_a.delete(f"{GROUPS}/{group['id']}").status_code == 204
    assert teams(client_a) == {"Platform": set()}
    again = create_group(client_a, "Platform", [ann["id"]])
    assert again["id"] != group["id"]
    assert team_of(again["id"]).pk == team.pk
    assert teams(client_a) == {"Platform": user_pks([ann["id"]])}
    assert teams(client_b) == {"Platform": user_pks([other["id"]])}

    # Hard delete removes the team; a new push makes a new one.
    scim_config(GROUP_DELETE_MODE="delete")
    assert client_a.delete(f"{GROUPS}/{again['id']}").status_code == 204
    assert teams(client_a) == {}
    third = create_group(client_a, "Platform", [bob["id"]])
    assert team_of(third["id"]).pk != team.pk
    assert teams(client_a) == {"Platform": user_pks([bob["id"]])}
    assert OrgTeam.objects.count() == 2


def test_another_tenants_team_of_the_name_is_never_taken_over(org_teams):
    client_a, client_b = org_teams
    # A team that SCIM did not create, in organization A: a push of its name is a 409...
    OrgTeam.objects.create(organization_id=client_a.tenant_id, name="Admins")
    assert_scim_error(
        client_a.post(GROUPS, group_body("Admins"), format="json"), 409, "uniqueness"
    )
    # ... while organization B creates its own.
    group_b = create_group(client_b, "Admins")
    assert str(team_of(group_b["id"]).organization_id) == client_b.tenant_id


def test_a_token_without_tenant_cannot_create_tenant_owned_teams(
    org_teams, scim_client, scim_config
):
    response = scim_client.post(GROUPS, group_body("Engineering"), format="json")
    body = assert_scim_error(response, 403)
    assert "tenant" in body["detail"]
    assert not ScimGroup.objects.exists() and not OrgTeam.objects.exists()


def test_the_tenant_prefix_stays_without_a_tenant_field(tenant_clients, create_user):
    client_a, _client_b = tenant_clients
    group = create_group(client_a, "Engineering")
    link = ScimGroup.objects.get(scim_id=group["id"])
    assert link.host_group_model == "auth.group"
    assert Group.objects.get(pk=link.host_group_id).name == f"{client_a.tenant_id}: Engineering"


# A key recorded under another GROUP_MODEL --------------------------------------------------


def test_a_key_of_a_previous_group_model_is_never_read_as_one_of_the_new(
    tenant_clients, create_user, scim_config
):
    """Tenant A's group was mirrored onto ``auth.Group`` #k; after ``GROUP_MODEL`` changes,
    ``OrgTeam`` #k is tenant B's team: A's rename, member changes and delete leave it alone,
    and A's group gets a team of its own with its members."""
    client_a, client_b = tenant_clients
    ann, bob = create_user(client_a), create_user(client_a)
    old = create_group(client_a, "Engineering", [ann["id"]])
    link = ScimGroup.objects.get(scim_id=old["id"])
    old_group = Group.objects.get(pk=link.host_group_id)

    scim_config(GROUP_MODEL=TEAM, GROUP_TENANT_FIELD="organization")
    victim = OrgTeam.objects.create(
        pk=int(link.host_group_id), organization_id=client_b.tenant_id, name="Secret"
    )
    other = create_user(client_b)
    victim.members.add(user_pks([other["id"]]).pop())

    response = patch(client_a, old["id"], {"op": "replace", "value": {"displayName": "Hacked"}})
    assert response.status_code == 200, response.content
    response = patch(
        client_a, old["id"], {"op": "add", "path": "members", "value": [{"value": bob["id"]}]}
    )
    assert response.status_code == 200, response.content

    victim.refresh_from_db()
    assert victim.name == "Secret" and str(victim.organization_id) == client_b.tenant_id
    assert set(victim.members.values_list("pk", flat=True)) == user_pks([other["id"]])
    team = team_of(old["id"])
    assert team.pk != victim.pk
    assert (team.name, str(team.organization_id)) == ("Hacked", client_a.tenant_id)
    assert host_member_ids(old["id"], TEAM) == user_pks([ann["id"], bob["id"]])
    # The row of the previous model is not written either.
    old_group.refresh_from_db()
    assert old_group.name == f"{client_a.tenant_id}: Engineering"

    assert client_a.delete(f"{GROUPS}/{old['id']}").status_code == 204
    victim.refresh_from_db()
    assert victim.members.count() == 1


def test_a_members_only_patch_rebinds_a_stale_link(tenant_clients, create_user, scim_config):
    client_a, _client_b = tenant_clients
    ann = create_user(client_a)
    group = create_group(client_a, "Engineering", [ann["id"]])
    scim_config(GROUP_MODEL=TEAM, GROUP_TENANT_FIELD="organization")
    response = patch(
        client_a, group["id"], {"op": "remove", "path": f'members[value eq "{ann["id"]}"]'}
    )
    assert response.status_code == 200, response.content
    assert team_of(group["id"]).name == "Engineering"
    assert host_member_ids(group["id"], TEAM) == set()


def test_migration_backfills_the_host_model_of_existing_links(tenant_clients, settings):
    client_a, _client_b = tenant_clients
    mirrored = create_group(client_a, "Mirrored")
    ScimGroup.objects.update(host_group_model="")
    unmirrored = ScimGroup.objects.create(
        tenant_id=client_a.tenant_id, display_name="Bare", display_name_key="bare"
    )
    migration = importlib.import_module("scim_provider.migrations.0009_group_host_model")
    migration.backfill(global_apps, None)
    assert ScimGroup.objects.get(scim_id=mirrored["id"]).host_group_model == "auth.group"
    unmirrored.refresh_from_db()
    assert unmirrored.host_group_model == ""


def test_check_warns_when_the_tenant_field_is_left_unfilled(settings):
    from scim_provider.checks import check_group_model

    settings.SCIM_PROVIDER = {"TENANT_MODEL": "testapp.Organization", "GROUP_MODEL": TEAM}
    (warning,) = check_group_model()
    assert warning.id == "scim_provider.W005"
    assert "GROUP_TENANT_FIELD = 'organization'" in warning.hint
    settings.SCIM_PROVIDER = {**settings.SCIM_PROVIDER, "GROUP_TENANT_FIELD": "organization"}
    assert check_group_model() == []


def test_new_host_group_is_the_hook_for_other_required_fields(settings, tenant_clients):
    """An adapter that fills the tenant itself (no GROUP_TENANT_FIELD) silences W005 and
    works: the documented alternative to the setting."""
    from scim_provider.checks import check_group_model

    settings.SCIM_PROVIDER = {
        **settings.SCIM_PROVIDER,
        "GROUP_MODEL": TEAM,
        "GROUP_ADAPTER": "tests.integration.test_groups_tenant_owned.OwnTenantAdapter",
    }
    assert check_group_model() == []
    client_a, client_b = tenant_clients
    group_a = create_group(client_a, "Ops")
    group_b = create_group(client_b, "Ops")
    assert str(team_of(group_a["id"]).organization_id) == client_a.tenant_id
    assert str(team_of(group_b["id"]).organization_id) == client_b.tenant_id


def test_tokens_of_the_tenant_model_reach_the_team(org_teams):
    """The organization's own token, made by ``services.create_token(tenant=...)``."""
    org = Organization.objects.create(name="Acme")
    _token, plaintext = services.create_token("acme", tenant=org)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = client.post(f"{SCIM}/Groups", group_body("Sales"), format="json")
    assert response.status_code == 201, response.content
    assert OrgTeam.objects.get(name="Sales").organization == org


class OwnTenantAdapter(GroupAdapter):
    """Fills ``OrgTeam.organization`` and names teams plainly, without the setting."""

    def new_host_group(self, resource):
        return OrgTeam(organization_id=int(self.tenant_id))

    def get_host_group_queryset(self):
        return super().get_host_group_queryset().filter(organization_id=int(self.tenant_id))

    def host_display_name(self, display_name: str) -> str:
        return display_name
