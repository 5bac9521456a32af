"""Recipe ``roles-from-groups`` (Testomat.io, guide 002) replayed over HTTP."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from tests.acceptance.recipe_server import RecipeServer, okta_user

ROLES_URN = "urn:ietf:params:scim:schemas:extension:testomat:2.0:User"


@pytest.fixture(scope="module")
def okta(tmp_path_factory):
    server = RecipeServer("roles-from-groups", tmp_path_factory.getbasetemp()).start()
    yield server
    server.stop()


def roles(okta, user) -> list[str]:
    return okta.ok("GET", f"/Users/{user['id']}")[ROLES_URN]["testomat_roles"]


def okta_testomat_user(email: str, given: str, family: str, password: str = "1mz050nq") -> dict:
    # Attribute mappings: userName <- user.email, name.formatted <- first + " " + last.
    body = okta_user(email, given, family, password=password)
    body["name"]["formatted"] = f"{given} {family}"
    return body


def test_test_api_credentials(okta):
    okta.test_api_credentials()


def test_user_lifecycle_keeps_formatted_name_and_syncs_the_password(okta):
    user = okta.provision(okta_testomat_user("kim@testomat.example", "Kim", "Doe", "S3cret-pass!"))
    assert user["name"]["formatted"] == "Kim Doe"
    assert user[ROLES_URN]["testomat_roles"] == ["qa"]  # no group: the default role
    host = okta.host_user("kim@testomat.example")
    assert PBKDF2PasswordHasher().verify("S3cret-pass!", host["password"])

    # Update a user's name in Okta: GET then PUT; formatted round-trips.
    response = okta.update_by_put(
        user["id"], name={"givenName": "Kimberly", "familyName": "Doe", "formatted": "Kimberly Doe"}
    )
    assert response.status == 200 and response.body["name"]["formatted"] == "Kimberly Doe"
    assert okta.host_user("kim@testomat.example")["first_name"] == "Kimberly"

    # Sync Okta Password: a PATCH of the password.
    okta.ok(
        "PATCH",
        f"/Users/{user['id']}",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "value": {"password": "N3w-pass!"}}],
        },
    )
    host = okta.host_user("kim@testomat.example")
    assert PBKDF2PasswordHasher().verify("N3w-pass!", host["password"])
    assert not PBKDF2PasswordHasher().verify("S3cret-pass!", host["password"])

    # userName must be the email.
    wrong = okta_testomat_user("lee@testomat.example", "Lee", "Roe")
    wrong["emails"][0]["value"] = "other@testomat.example"
    assert okta.post("/Users", wrong).status == 400

    okta.set_active(user["id"], False)
    assert okta.host_user("kim@testomat.example")["is_active"] == 0


def test_roles_follow_pushed_groups(okta):
    mia = okta.provision(okta_testomat_user("mia@testomat.example", "Mia", "Wong"))
    ned = okta.provision(okta_testomat_user("ned@testomat.example", "Ned", "Park"))
    assert roles(okta, mia) == roles(okta, ned) == ["qa"]

    managers = okta.push_group("Acme managers", [mia])
    billing = okta.push_group("billing-team", [mia, ned])
    readers = okta.push_group("Read-Only Auditors", [ned])
    everyone = okta.push_group("Everyone", [mia, ned])
    assert roles(okta, mia) == ["manager", "billing"]
    assert roles(okta, ned) == ["billing", "read"]

    # Pushed groups are teams with their members.
    teams = okta.teams()
    assert teams["Acme managers"]["members"] == {"mia@testomat.example"}
    assert teams["Everyone"]["members"] == {"mia@testomat.example", "ned@testomat.example"}

    # Removed from a group: its role goes.
    okta.patch(
        f"/Groups/{billing['id']}", {"op": "remove", "path": f'members[value eq "{mia["id"]}"]'}
    )
    assert roles(okta, mia) == ["manager"]
    assert okta.teams()["billing-team"]["members"] == {"ned@testomat.example"}

    # Renamed so that it no longer says "manager": the role goes; the team is renamed.
    okta.patch(
        f"/Groups/{managers['id']}",
        {"op": "replace", "value": {"id": managers["id"], "displayName": "Acme leads"}},
    )
    assert roles(okta, mia) == ["qa"]
    assert okta.teams()["Acme leads"]["members"] == {"mia@testomat.example"}

    # Deleted: its members lose its role, the team goes.
    assert okta.delete(f"/Groups/{readers['id']}").status == 204
    assert roles(okta, ned) == ["billing"]
    assert "Read-Only Auditors" not in okta.teams()
    assert okta.group_members(everyone["id"]) == {mia["id"], ned["id"]}

    # Okta's GET-then-PUT of a user keeps the computed roles.
    assert okta.update_by_put(ned["id"], displayName="Ned P.").status == 200
    assert roles(okta, ned) == ["billing"]
