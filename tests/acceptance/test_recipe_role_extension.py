"""Recipe ``role-extension`` (TestMu AI / LambdaTest, guide 004) replayed over HTTP."""

from __future__ import annotations

import pytest

from tests.acceptance.recipe_server import RecipeServer, okta_user

LT_USER = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
LT_GROUP = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:Group"


@pytest.fixture(scope="module")
def okta(tmp_path_factory):
    server = RecipeServer("role-extension", tmp_path_factory.getbasetemp()).start()
    yield server
    server.stop()


def role(okta, user) -> str | None:
    return okta.ok("GET", f"/Users/{user['id']}").get(LT_USER, {}).get("OrganizationRole")


def lt_group(okta, name: str, lt_role: str, members) -> dict:
    return okta.push_group(name, members, **{LT_GROUP: {"LambdatestRoles": lt_role}})


def test_test_connection_and_schemas(okta):
    okta.test_api_credentials()
    schemas = {s["id"]: s for s in okta.ok("GET", "/Schemas")["Resources"]}
    role_attribute = next(
        a for a in schemas[LT_USER]["attributes"] if a["name"] == "OrganizationRole"
    )
    assert role_attribute["canonicalValues"] == ["Admin", "User", "Guest"]
    group_attributes = [a["name"] for a in schemas[LT_GROUP]["attributes"]]
    assert group_attributes == ["LambdatestRoles"]
    core = {
        a["name"]: a for a in schemas["urn:ietf:params:scim:schemas:core:2.0:User"]["attributes"]
    }
    assert core["userName"]["required"] and core["userName"]["uniqueness"] == "server"
    assert core["active"]["required"]
    name = {a["name"]: a for a in core["name"]["subAttributes"]}
    assert name["givenName"]["required"] and name["familyName"]["required"]


@pytest.mark.parametrize(
    "missing",
    [["active"], ["name", "givenName"], ["name", "familyName"], ["name"], ["userName"]],
)
def test_required_attributes(okta, missing):
    body = okta_user("req@testmu.example", "Req", "Uired")
    target = body
    for key in missing[:-1]:
        target = target[key]
    del target[missing[-1]]
    response = okta.post("/Users", body)
    assert response.status == 400, response
    assert response.body["scimType"] == "invalidValue"


def test_user_extension_attributes(okta):
    body = okta_user(
        "uma@testmu.example",
        "Uma",
        "Ito",
        **{LT_USER: {"OrganizationRole": "guest", "LambdatestGroup": "QA Team"}},
    )
    user = okta.provision(body)
    assert user[LT_USER] == {"OrganizationRole": "Guest", "LambdatestGroup": "QA Team"}
    assert LT_USER in user["schemas"]
    assert okta.profile("uma@testmu.example")["organization_role"] == "Guest"
    assert okta.profile("uma@testmu.example")["lambdatest_group"] == "QA Team"
    # Okta's enum is Admin, Guest, User: anything else is refused.
    bad = okta.update_by_put(user["id"], **{LT_USER: {"OrganizationRole": "Owner"}})
    assert bad.status == 400 and bad.body["scimType"] == "invalidValue"
    # Required on every write, not only on create.
    current = okta.ok("GET", f"/Users/{user['id']}")
    del current["name"]["familyName"]
    assert okta.put(f"/Users/{user['id']}", current).status == 400
    removed = okta.patch(f"/Users/{user['id']}", {"op": "remove", "path": "active"})
    assert removed.status == 400
    # userName is unique, case-insensitively.
    twin = okta.post("/Users", okta_user("UMA@testmu.example", "Uma", "Ito"))
    assert twin.status == 409 and twin.body["scimType"] == "uniqueness"


def test_what_happens_after_pushing(okta):
    """The guide's table: push, add, remove, rename, unlink/delete."""
    ada = okta.provision(okta_user("ada@testmu.example", "Ada", "Byron"))
    bo = okta.provision(okta_user("bo@testmu.example", "Bo", "Li"))

    # Push a group: created, members synced, the group's role applied.
    users = lt_group(okta, "QA Engineers", "User", [ada, bo])
    assert role(okta, ada) == role(okta, bo) == "User"
    assert okta.teams()["QA Engineers"]["members"] == {"ada@testmu.example", "bo@testmu.example"}

    # The highest role wins: Admin > User > Guest.
    admins = lt_group(okta, "Platform Admins", "Admin", [ada])
    guests = lt_group(okta, "Contractors", "Guest", [ada, bo])
    assert role(okta, ada) == "Admin"
    assert role(okta, bo) == "User"
    assert okta.profile("ada@testmu.example")["organization_role"] == "Admin"

    # Add member to group: added to the mapped team, role recomputed.
    okta.patch(
        f"/Groups/{admins['id']}",
        {"op": "add", "path": "members", "value": [{"value": bo["id"], "display": bo["userName"]}]},
    )
    assert role(okta, bo) == "Admin"
    assert okta.teams()["Platform Admins"]["members"] == {"ada@testmu.example", "bo@testmu.example"}

    # A second Admin group: removal from one keeps Admin (another group grants it).
    more_admins = lt_group(okta, "SRE", "Admin", [bo])
    okta.patch(
        f"/Groups/{admins['id']}", {"op": "remove", "path": f'members[value eq "{bo["id"]}"]'}
    )
    assert role(okta, bo) == "Admin"
    assert okta.teams()["Platform Admins"]["members"] == {"ada@testmu.example"}
    okta.patch(
        f"/Groups/{more_admins['id']}", {"op": "remove", "path": f'members[value eq "{bo["id"]}"]'}
    )
    assert role(okta, bo) == "User"

    # The group's role changes in Okta: its members' roles follow.
    okta.patch(
        f"/Groups/{users['id']}",
        {"op": "replace", "path": f"{LT_GROUP}:LambdatestRoles", "value": "Guest"},
    )
    assert role(okta, bo) == "Guest"
    okta.patch(
        f"/Groups/{users['id']}",
        {"op": "replace", "path": f"{LT_GROUP}:LambdatestRoles", "value": "User"},
    )
    assert role(okta, bo) == "User"

    # Rename group in Okta: the team is renamed to match.
    okta.patch(
        f"/Groups/{admins['id']}",
        {"op": "replace", "value": {"id": admins["id"], "displayName": "Org Admins"}},
    )
    teams = okta.teams()
    assert "Platform Admins" not in teams
    assert teams["Org Admins"] == {"archived": False, "members": {"ada@testmu.example"}}
    assert role(okta, ada) == "Admin"

    # Unlink/delete pushed group: soft-deleted, members unassigned, roles recomputed.
    assert okta.delete(f"/Groups/{admins['id']}").status == 204
    assert okta.get(f"/Groups/{admins['id']}").status == 404
    assert okta.teams()["Org Admins"] == {"archived": True, "members": set()}
    assert role(okta, ada) == "User"
    assert okta.delete(f"/Groups/{users['id']}").status == 204
    assert role(okta, ada) == role(okta, bo) == "Guest"
    assert okta.group_members(guests["id"]) == {ada["id"], bo["id"]}

    # Pushing the group again brings the team back.
    again = lt_group(okta, "Org Admins", "Admin", [bo])
    assert again["id"] != admins["id"]
    assert okta.teams()["Org Admins"] == {"archived": False, "members": {"bo@testmu.example"}}
    assert role(okta, bo) == "Admin"

    # No group grants a role any more, and Okta set none on the user: with ``default``
    # unset (None) the role is cleared, as docs/roles.md says; nothing stale is kept.
    assert okta.delete(f"/Groups/{guests['id']}").status == 204
    assert okta.delete(f"/Groups/{again['id']}").status == 204
    assert role(okta, ada) is None and role(okta, bo) is None


def test_a_role_okta_set_on_the_user_is_what_remains(okta):
    """A direct role (set in Okta's profile) is what a user falls back to after groups."""
    cy = okta.provision(
        okta_user("cy@testmu.example", "Cy", "Po", **{LT_USER: {"OrganizationRole": "Guest"}})
    )
    admins = lt_group(okta, "Release Admins", "Admin", [cy])
    assert role(okta, cy) == "Admin"
    okta.patch(
        f"/Groups/{admins['id']}", {"op": "remove", "path": f'members[value eq "{cy["id"]}"]'}
    )
    assert role(okta, cy) == "Guest"
