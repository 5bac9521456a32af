"""Recipe ``teams`` (Qualytics, guide 003) replayed over HTTP: pushed groups are host teams."""

from __future__ import annotations

import pytest

from tests.acceptance.recipe_server import RecipeServer, okta_user


@pytest.fixture(scope="module")
def okta(tmp_path_factory):
    server = RecipeServer("teams", tmp_path_factory.getbasetemp()).start()
    yield server
    server.stop()


def test_test_api_credentials(okta):
    okta.test_api_credentials()


def test_assign_people_then_push_groups(okta):
    okta.test_api_credentials()
    ann = okta.provision(okta_user("ann@qualytics.example", "Ann", "Lee"))
    bob = okta.provision(okta_user("bob@qualytics.example", "Bob", "Ray"))
    cid = okta.provision(okta_user("cid@qualytics.example", "Cid", "Moe"))

    # Push Groups > Find group by name > Save: POST with the current members.
    group = okta.push_group("Data Engineering", [ann, bob])
    assert okta.teams()["Data Engineering"]["members"] == {
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
    assert okta.teams()["Data Engineering"]["members"] == {
        "ann@qualytics.example",
        "cid@qualytics.example",
    }

    # Rename in Okta: the team is renamed, members kept.
    okta.patch(
        path, {"op": "replace", "value": {"id": group["id"], "displayName": "Data Platform"}}
    )
    teams = okta.teams()
    assert "Data Engineering" not in teams
    assert teams["Data Platform"]["members"] == {"ann@qualytics.example", "cid@qualytics.example"}

    # Full push: replace the member list.
    okta.patch(path, {"op": "replace", "path": "members", "value": [{"value": bob["id"]}]})
    assert okta.teams()["Data Platform"]["members"] == {"bob@qualytics.example"}

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
    assert okta.teams()["Data Platform"]["members"] == {
        "ann@qualytics.example",
        "bob@qualytics.example",
    }

    # A deactivated person stays a member until Okta removes them.
    okta.set_active(ann["id"], False)
    assert "ann@qualytics.example" in okta.teams()["Data Platform"]["members"]

    # Unlink with "Delete the group in the target app": the team goes.
    assert okta.delete(path).status == 204
    assert "Data Platform" not in okta.teams()
    assert okta.get(path).status == 404
    assert okta.sql("SELECT count(*) FROM auth_user WHERE username LIKE '%@qualytics.example'") == [
        (3,)
    ]


def test_two_groups_share_a_person(okta):
    dee = okta.provision(okta_user("dee@qualytics.example", "Dee", "Kay"))
    one = okta.push_group("Analysts", [dee])
    two = okta.push_group("Reviewers", [dee])
    okta.patch(f"/Groups/{one['id']}", {"op": "remove", "path": f'members[value eq "{dee["id"]}"]'})
    teams = okta.teams()
    assert teams["Analysts"]["members"] == set()
    assert teams["Reviewers"]["members"] == {"dee@qualytics.example"}
    user = okta.ok("GET", f"/Users/{dee['id']}?attributes=groups")
    assert [g["value"] for g in user["groups"]] == [two["id"]]
