"""Group mappings: pushed groups -> host entities, reference-counted (TestMu AI guide 004)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.models import ScimAuditEntry, ScimGroup, ScimGroupMapping
from scim_provider.selfservice import groupmaps, mappables
from tests.conftest import SCIM
from tests.factories import PATCH_URN, ScimUserFactory
from tests.integration.selfservice_helpers import *  # noqa: F403
from tests.testapp.models import Team

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


@pytest.fixture
def org(tenants):
    return tenants[0]


@pytest.fixture
def idp(org):
    """A SCIM client of ``org``, as Okta would be."""
    _, plaintext = services.create_token("Okta", tenant=org)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def users(org, count):
    return ScimUserFactory.create_batch(count, tenant_id=str(org.pk))


def push(idp, name, members=()):
    body = {
        "schemas": [GROUP_URN],
        "displayName": name,
        "members": [{"value": str(u.scim_id)} for u in members],
    }
    response = idp.post(f"{SCIM}/Groups", body, format="json")
    assert response.status_code == 201, response.content
    return ScimGroup.objects.get(scim_id=response.json()["id"])


def patch_members(idp, group, op, members):
    body = {
        "schemas": [PATCH_URN],
        "Operations": [
            {"op": op, "path": "members", "value": [{"value": str(u.scim_id)} for u in members]}
            if op == "add"
            else {"op": "remove", "path": f'members[value eq "{members[0].scim_id}"]'}
        ],
    }
    response = idp.patch(f"{SCIM}/Groups/{group.scim_id}", body, format="json")
    assert response.status_code in (200, 204), response.content


def rename(idp, group, name):
    body = {
        "schemas": [PATCH_URN],
        "Operations": [{"op": "replace", "value": {"displayName": name}}],
    }
    response = idp.patch(f"{SCIM}/Groups/{group.scim_id}", body, format="json")
    assert response.status_code in (200, 204), response.content
    group.refresh_from_db()


def team_members(team) -> set[int]:
    return set(team.members.values_list("pk", flat=True))


def pks(links) -> set[int]:
    return {link.user_id for link in links}


def test_a_direct_mapping_adds_members_at_once_and_follows_the_idp(org, idp, teams_mappable):
    u1, u2, u3 = users(org, 3)
    team = Team.objects.create(name="Platform")
    engineering = push(idp, "Engineering", [u1, u2])
    mapping, created = groupmaps.map_group(str(org.pk), engineering, "team", str(team.pk))
    assert created and mapping.rule is None
    assert team_members(team) == pks([u1, u2])
    patch_members(idp, engineering, "add", [u3])
    assert team_members(team) == pks([u1, u2, u3])
    patch_members(idp, engineering, "remove", [u1])
    assert team_members(team) == pks([u2, u3])
    # Mapping again is a no-op.
    assert groupmaps.map_group(str(org.pk), engineering, "team", str(team.pk))[1] is False


def test_membership_is_reference_counted_across_groups(org, idp, teams_mappable):
    u1, u2, u3 = users(org, 3)
    team = Team.objects.create(name="Platform")
    g1 = push(idp, "Backend", [u1, u2])
    g2 = push(idp, "Frontend", [u2, u3])
    for group in (g1, g2):
        groupmaps.map_group(str(org.pk), group, "team", str(team.pk))
    assert team_members(team) == pks([u1, u2, u3])
    patch_members(idp, g1, "remove", [u2])  # still in Frontend: stays
    assert team_members(team) == pks([u1, u2, u3])
    patch_members(idp, g1, "remove", [u1])  # no other group maps u1 there: leaves
    assert team_members(team) == pks([u2, u3])
    response = idp.delete(f"{SCIM}/Groups/{g2.scim_id}")  # unlink: members safely unassigned
    assert response.status_code == 204
    assert team_members(team) == set()
    assert not ScimGroupMapping.objects.filter(group=g2).exists()


def test_unmapping_removes_only_uncovered_members_and_never_manual_ones(
    org, idp, teams_mappable, plain_user, monkeypatch
):
    recomputed = []
    monkeypatch.setattr(
        "scim_provider.roles.recompute_roles", lambda tenant_id, ids: recomputed.append(set(ids))
    )
    u1, u2 = users(org, 2)
    team = Team.objects.create(name="Platform")
    team.members.add(plain_user)  # added by hand in the host
    g1 = push(idp, "Backend", [u1, u2])
    g2 = push(idp, "Frontend", [u2])
    m1, _ = groupmaps.map_group(str(org.pk), g1, "team", str(team.pk))
    groupmaps.map_group(str(org.pk), g2, "team", str(team.pk))
    groupmaps.unmap_group(str(org.pk), m1.pk)
    assert team_members(team) == pks([u2]) | {plain_user.pk}
    assert recomputed[-1] == pks([u1, u2])  # roles recomputed for the users concerned
    assert ScimAuditEntry.objects.filter(action="mapping_removed").count() == 1


def test_one_group_maps_to_several_entities(org, idp, teams_mappable):
    u1, u2 = users(org, 2)
    a, b = Team.objects.create(name="A"), Team.objects.create(name="B")
    group = push(idp, "Everyone", [u1, u2])
    groupmaps.map_group(str(org.pk), group, "team", str(a.pk))
    groupmaps.map_group(str(org.pk), group, "team", str(b.pk))
    patch_members(idp, group, "remove", [u1])
    assert team_members(a) == team_members(b) == pks([u2])


def test_rules_map_matching_groups_now_on_push_and_on_rename(org, idp, teams_mappable):
    u1, u2, u3, u4 = users(org, 4)
    team = Team.objects.create(name="Eng")
    engineering = push(idp, "Engineering", [u1])
    sales = push(idp, "Sales", [u2])
    rule = groupmaps.add_rule(str(org.pk), "prefix", "eng", "team", str(team.pk))
    assert team_members(team) == pks([u1])
    assert set(rule.mappings.values_list("group_id", flat=True)) == {engineering.pk}
    # A newly pushed group is evaluated against the rules.
    push(idp, "ENG-Platform", [u3])
    assert team_members(team) == pks([u1, u3])
    # Renamed into the rule...
    rename(idp, sales, "Eng Sales")
    assert team_members(team) == pks([u1, u2, u3])
    # ...and out of it: its members leave (u4 stays: also in ENG-Platform later).
    patch_members(idp, engineering, "add", [u4])
    rename(idp, engineering, "Product")
    assert team_members(team) == pks([u2, u3])
    groupmaps.remove_rule(str(org.pk), rule.pk)
    assert team_members(team) == set()
    assert not ScimGroupMapping.objects.exists()


@pytest.mark.parametrize(
    ("match", "pattern", "name", "expected"),
    [
        ("exact", "Sales", "sales", True),
        ("exact", "Sales", "Sales EU", False),
        ("contains", "ops", "DevOps EU", True),
        ("prefix", "eng", "engineering", True),
        ("prefix", "eng", "reengineering", False),
        ("glob", "team-*-admins", "Team-Berlin-Admins", True),
        ("glob", "team-?", "team-12", False),
    ],
)
def test_rule_matching(match, pattern, name, expected):
    assert groupmaps.rule_matches(match, pattern, name) is expected


def test_direct_and_rule_mappings_to_the_same_entity_count_once(org, idp, teams_mappable):
    (u1,) = users(org, 1)
    team = Team.objects.create(name="Eng")
    group = push(idp, "Engineering", [u1])
    direct, _ = groupmaps.map_group(str(org.pk), group, "team", str(team.pk))
    rule = groupmaps.add_rule(str(org.pk), "exact", "engineering", "team", str(team.pk))
    groupmaps.unmap_group(str(org.pk), direct.pk)
    assert team_members(team) == pks([u1])  # the rule still maps the group there
    groupmaps.remove_rule(str(org.pk), rule.pk)
    assert team_members(team) == set()


def test_renaming_a_directly_mapped_group_renames_the_entity(org, idp, teams_mappable):
    team = Team.objects.create(name="Old name")
    group = push(idp, "Old name")
    groupmaps.map_group(str(org.pk), group, "team", str(team.pk))
    rename(idp, group, "New name")
    team.refresh_from_db()
    assert team.name == "New name"


def test_tenants_cannot_map_across(tenants, teams_mappable):
    org_a, org_b = tenants
    mappables.register_m2m(
        "team",
        Team,
        "members",
        queryset=lambda tenant_id: Team.objects.filter(name__startswith=f"{tenant_id}:"),
    )
    own = Team.objects.create(name=f"{org_a.pk}:own")
    foreign = Team.objects.create(name=f"{org_b.pk}:theirs")
    group_b = ScimGroup.objects.create(
        tenant_id=str(org_b.pk), display_name="B", display_name_key="b"
    )
    group_a = ScimGroup.objects.create(
        tenant_id=str(org_a.pk), display_name="A", display_name_key="a"
    )
    with pytest.raises(groupmaps.MappingError):
        groupmaps.map_group(str(org_a.pk), group_b, "team", str(own.pk))
    with pytest.raises(groupmaps.MappingError):
        groupmaps.map_group(str(org_a.pk), group_a, "team", str(foreign.pk))
    with pytest.raises(groupmaps.MappingError):
        groupmaps.add_rule(str(org_a.pk), "contains", "x", "team", str(foreign.pk))
    with pytest.raises(groupmaps.MappingError):
        groupmaps.map_group(str(org_a.pk), group_a, "unknown-kind", str(own.pk))
    mapping, _ = groupmaps.map_group(str(org_a.pk), group_a, "team", str(own.pk))
    with pytest.raises(groupmaps.MappingError):
        groupmaps.unmap_group(str(org_b.pk), mapping.pk)
    with pytest.raises(groupmaps.MappingError):
        groupmaps.get_group(str(org_a.pk), group_b.scim_id)
    assert groupmaps.get_group(str(org_a.pk), group_a.scim_id) == group_a


def test_mapping_costs_constant_queries_per_entity(org, idp, teams_mappable):
    team_small, team_big = Team.objects.create(name="S"), Team.objects.create(name="B")
    small = push(idp, "Small", users(org, 3))
    big = push(idp, "Big", users(org, 60))
    counts = []
    for group, team in ((small, team_small), (big, team_big)):
        with CaptureQueriesContext(connection) as queries:
            groupmaps.map_group(str(org.pk), group, "team", str(team.pk))
        counts.append(len(queries))
    assert team_big.members.count() == 60
    assert counts[0] == counts[1], counts


def test_idp_member_changes_cost_constant_queries(org, idp, teams_mappable):
    team = Team.objects.create(name="T")
    group = push(idp, "G")
    groupmaps.map_group(str(org.pk), group, "team", str(team.pk))
    counts = []
    for batch in (users(org, 2), users(org, 40)):
        with CaptureQueriesContext(connection) as queries:
            patch_members(idp, group, "add", batch)
        counts.append(len(queries))
    assert team.members.count() == 42
    assert counts[0] == counts[1], counts


def test_nothing_is_queried_while_no_kind_is_registered(org, idp):
    (u1,) = users(org, 1)
    group = push(idp, "G")
    with CaptureQueriesContext(connection) as with_none:
        patch_members(idp, group, "add", [u1])
    assert not any("scim_provider_scimgroupmapping" in q["sql"] for q in with_none.captured_queries)


# Resync (``groupmaps.resync_tenants``, ``manage.py scim_groupmaps_resync``) ---------------


def test_resync_puts_members_back_and_dry_run_changes_nothing(tenants, idp, teams_mappable, capsys):
    from django.core.management import call_command

    org, other = tenants
    u1, u2 = users(org, 2)
    team = Team.objects.create(name="Platform")
    gone = Team.objects.create(name="Gone")
    group = push(idp, "Engineering", [u1, u2])
    groupmaps.map_group(str(org.pk), group, "team", str(team.pk))
    mapping, _ = groupmaps.map_group(str(org.pk), group, "team", str(gone.pk))
    ScimGroupMapping.objects.filter(pk=mapping.pk).update(target_id="999999")  # entity deleted
    team.members.clear()  # edited by hand in the host

    [report] = groupmaps.resync_tenants(dry_run=True)
    assert report.tenant_id == str(org.pk)
    assert report.applied == {("team", str(team.pk)): 2}
    assert report.skipped == [("team", "999999")] and report.users == 2
    assert team_members(team) == set()  # a dry run changes nothing

    assert groupmaps.resync_tenants([str(other.pk)]) == [groupmaps.ResyncReport(str(other.pk))]
    assert team_members(team) == set()

    call_command("scim_groupmaps_resync", "--tenant", str(org.pk), "--dry-run")
    assert team_members(team) == set()
    captured = capsys.readouterr()
    assert f"team:{team.pk}  2 user(s)" in captured.out and "Would apply 1" in captured.out
    assert "team:999999  skipped" in captured.err

    call_command("scim_groupmaps_resync")
    assert team_members(team) == pks([u1, u2])
    assert "Applied 1 mapping target(s) to 2 membership(s) in 1 tenant(s)" in (
        capsys.readouterr().out
    )


def test_resync_plan_costs_two_queries(org, idp, teams_mappable):
    team = Team.objects.create(name="Platform")
    for name in ("A", "B", "C"):
        group = push(idp, name, users(org, 3))
        groupmaps.map_group(str(org.pk), group, "team", str(team.pk))
    with CaptureQueriesContext(connection) as queries:
        plan = groupmaps.resync_plan(str(org.pk))
    assert len(queries) == 2 and len(plan[("team", str(team.pk))]) == 9


def test_resync_command_refuses_an_unknown_tenant(tenants):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No organization"):
        call_command("scim_groupmaps_resync", "--tenant", "424242")
