"""Recipe ``basic`` (the example project's default) replayed over HTTP: ``auth.User``, pushed
groups mirrored onto ``auth.Group``, tokens bound to an ``Organization``."""

from __future__ import annotations

import pytest

from tests.acceptance.recipe_server import RecipeServer, okta_user


@pytest.fixture(scope="module")
def okta(tmp_path_factory):
    server = RecipeServer("basic", tmp_path_factory.getbasetemp()).start()
    yield server
    server.stop()


def auth_groups(okta) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for group_id, name in okta.sql("SELECT id, name FROM auth_group"):
        rows = okta.sql(
            "SELECT u.username FROM auth_user_groups m JOIN auth_user u ON u.id = m.user_id"
            " WHERE m.group_id = ?",
            group_id,
        )
        groups[name] = {username for (username,) in rows}
    return groups


def test_okta_user_and_group_lifecycle(okta):
    okta.test_api_credentials()
    user = okta.provision(okta_user("jo@basic.example", "Jo", "March"))
    assert okta.host_user("jo@basic.example")["email"] == "jo@basic.example"
    assert okta.lookup_user("JO@BASIC.EXAMPLE")[0]["id"] == user["id"]

    updated = okta.update_by_put(
        user["id"], name={"givenName": "Josephine", "familyName": "March"}, title="Writer"
    )
    assert updated.status == 200 and updated.body["title"] == "Writer"
    assert okta.host_user("jo@basic.example")["first_name"] == "Josephine"

    assert okta.set_active(user["id"], False)["active"] is False
    assert okta.host_user("jo@basic.example")["is_active"] == 0
    assert okta.set_active(user["id"], True)["active"] is True

    group = okta.push_group("Writers", [user])
    assert auth_groups(okta)["Writers"] == {"jo@basic.example"}
    okta.patch(
        f"/Groups/{group['id']}",
        {"op": "replace", "value": {"id": group["id"], "displayName": "Authors"}},
    )
    assert auth_groups(okta)["Authors"] == {"jo@basic.example"}
    okta.patch(
        f"/Groups/{group['id']}", {"op": "remove", "path": f'members[value eq "{user["id"]}"]'}
    )
    assert auth_groups(okta)["Authors"] == set()


def test_tenant_tokens_see_only_their_organization(okta):
    okta.sql("INSERT INTO organizations_organization (name, slug) VALUES ('Acme', 'acme')")
    (org_id,) = okta.sql("SELECT id FROM organizations_organization WHERE slug = 'acme'")[0]
    token = okta.manage("scim_create_token", "--name", "Acme Okta", "--tenant", str(org_id))
    # DOMAIN_POLICY (default "verified"): the organization's people are in its own domain.
    okta.manage("scim_domains", "--tenant", str(org_id), "--add", "basic.example", "--verified")
    shared = okta.provision(okta_user("meg@basic.example", "Meg", "March"))

    okta.authorization = f"Bearer {token.strip().splitlines()[-1].strip()}"
    try:
        okta.test_api_credentials()
        assert okta.lookup_user("meg@basic.example") == []
        amy = okta.provision(okta_user("amy@basic.example", "Amy", "March"))
        assert okta.get(f"/Users/{shared['id']}").status == 404
        listed = okta.ok("GET", "/Users?startIndex=1&count=100")
        assert [u["id"] for u in listed["Resources"]] == [amy["id"]]
        okta.push_group("Writers", [amy])
        # Host group names carry the tenant, so two organizations can push "Writers".
        assert auth_groups(okta)[f"{org_id}: Writers"] == {"amy@basic.example"}
    finally:
        okta.authorization = f"Bearer {okta.token}"
