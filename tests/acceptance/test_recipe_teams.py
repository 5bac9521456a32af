"""Recipe ``teams`` (Qualytics, guide 003) replayed over HTTP: pushed groups are the teams of
the organization whose token pushed them (``recipes.OrganizationTeam``: a required
``organization``, names unique per organization)."""

from __future__ import annotations

import pytest

from tests.acceptance.recipe_server import ERROR_URN, RecipeServer, okta_user


@pytest.fixture(scope="module")
def okta(tmp_path_factory):
    server = RecipeServer("teams", tmp_path_factory.getbasetemp()).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def orgs(okta):
    """Two organizations' tokens: ``{name: (org id, Authorization header)}``."""
    found = {}
    for name in ("Qualytics", "Globex"):
        org_id = okta.use_organization(name)
        found[name] = (org_id, okta.authorization)
        # DOMAIN_POLICY (default "verified"): each organization's people are in its domain.
        domain = f"{name.lower()}.example"
        okta.manage("scim_domains", "--tenant", str(org_id), "--add", domain, "--verified")
    return found


def act_as(okta, orgs, name: str) -> str:
    org_id, okta.authorization = orgs[name]
    return org_id


def test_test_api_credentials(okta, orgs):
    act_as(okta, orgs, "Qualytics")
    okta.test_api_credentials()


def test_assign_people_then_push_groups(okta, orgs):
    org = act_as(okta, orgs, "Qualytics")
    okta.test_api_credentials()
    ann = okta.provision(okta_user("ann@qualytics.example", "Ann", "Lee"))
    bob = okta.provision(okta_user("bob@qualytics.example", "Bob", "Ray"))
    cid = okta.provision(okta_user("cid@qualytics.example", "Cid", "Moe"))

    # Push Groups > Find group by name > Save: POST with the current members.
    group = okta.push_group("Data Engineering", [ann, bob])
    assert okta.organization_teams(org)["Data Engineering"] == {
        "ann@qualytics.example",
        "bob@qualytics.example",
    }
    assert okta.group_members(group["id"]) == {ann["id"], bob["id"]}

    # Membership changes (OIN): the rename op is sent with every update, then removes/adds.
    path = f"/Groups/{group['id']}"
    okta.ok(
        "PATCH",
        path,
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "replace", "value": {"id": group["id"], "displayName": "Data Engineering"}},
                {"op": "remove", "path": f'members[value eq "{bob["id"]}"]'},
                {
                    "op": "add",
                    "path": "members",
                    "value": [{"value": cid["id"], "display": cid["userName"]}],
                },
            ],
        },
    )
    assert okta.organization_teams(org)["Data Engineering"] == {
        "ann@qualytics.example",
        "cid@qualytics.example",
    }

    # Rename in Okta: the team is renamed, members kept.
    okta.patch(
        path, {"op": "replace", "value": {"id": group["id"], "displayName": "Data Platform"}}
    )
    teams = okta.organization_teams(org)
    assert "Data Engineering" not in teams
    assert teams["Data Platform"] == {"ann@qualytics.example", "cid@qualytics.example"}

    # Full push: replace the member list.
    okta.patch(path, {"op": "replace", "path": "members", "value": [{"value": bob["id"]}]})
    assert okta.organization_teams(org)["Data Platform"] == {"bob@qualytics.example"}

    # Users pushed by an AIW app: PUT of the whole group.
    okta.ok(
        "PUT",
        path,
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": group["id"],
            "displayName": "Data Platform",
            "members": [{"value": ann["id"]}, {"value": bob["id"]}],
        },
    )
    assert okta.organization_teams(org)["Data Platform"] == {
        "ann@qualytics.example",
        "bob@qualytics.example",
    }

    # A deactivated person stays a member until Okta removes them.
    okta.set_active(ann["id"], False)
    assert "ann@qualytics.example" in okta.organization_teams(org)["Data Platform"]

    # Unlink with "Delete the group in the target app": the team goes.
    assert okta.delete(path).status == 204
    assert "Data Platform" not in okta.organization_teams(org)
    assert okta.get(path).status == 404
    assert okta.sql("SELECT count(*) FROM auth_user WHERE username LIKE '%@qualytics.example'") == [
        (3,)
    ]

    # Pushed again: a new team of the organization, with the members of the push.
    again = okta.push_group("Data Platform", [bob])
    assert again["id"] != group["id"]
    assert okta.organization_teams(org)["Data Platform"] == {"bob@qualytics.example"}


def test_two_organizations_push_teams_of_the_same_name(okta, orgs):
    qualytics = act_as(okta, orgs, "Qualytics")
    dee = okta.provision(okta_user("dee@qualytics.example", "Dee", "Kay"))
    one = okta.push_group("Analysts", [dee])
    globex = act_as(okta, orgs, "Globex")
    eve = okta.provision(okta_user("eve@globex.example", "Eve", "Hart"))
    other = okta.push_group("Analysts", [eve])
    assert other["id"] != one["id"]
    assert okta.organization_teams(qualytics)["Analysts"] == {"dee@qualytics.example"}
    assert okta.organization_teams(globex)["Analysts"] == {"eve@globex.example"}
    # Globex cannot see, rename or fill Qualytics' group.
    assert okta.get(f"/Groups/{one['id']}").status == 404
    response = okta.patch(
        f"/Groups/{one['id']}", {"op": "replace", "value": {"displayName": "Taken"}}
    )
    assert response.status == 404 and response.body["schemas"] == [ERROR_URN]
    assert okta.organization_teams(qualytics)["Analysts"] == {"dee@qualytics.example"}


def test_two_groups_share_a_person(okta, orgs):
    org = act_as(okta, orgs, "Qualytics")
    fay = okta.provision(okta_user("fay@qualytics.example", "Fay", "Kay"))
    one = okta.push_group("Auditors", [fay])
    two = okta.push_group("Reviewers", [fay])
    okta.patch(f"/Groups/{one['id']}", {"op": "remove", "path": f'members[value eq "{fay["id"]}"]'})
    teams = okta.organization_teams(org)
    assert teams["Auditors"] == set()
    assert teams["Reviewers"] == {"fay@qualytics.example"}
    user = okta.ok("GET", f"/Users/{fay['id']}?attributes=groups")
    assert [g["value"] for g in user["groups"]] == [two["id"]]


def test_a_token_without_organization_is_told_why(okta):
    """The template token is bound to no organization: it may read, not create teams."""
    okta.authorization = f"Bearer {okta.template_token}"
    okta.test_api_credentials()
    response = okta.post(
        "/Groups",
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Nobody's"},
    )
    assert response.status == 403, response
    assert "tenant" in response.body["detail"]
