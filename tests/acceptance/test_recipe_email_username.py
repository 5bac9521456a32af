"""Recipe ``email-username`` (MaestroQA, guides 000/001) replayed over HTTP, as Okta sends it."""

from __future__ import annotations

import pytest

from tests.acceptance.recipe_server import ERROR_URN, RecipeServer, okta_user


@pytest.fixture(scope="module")
def okta(tmp_path_factory):
    server = RecipeServer("email-username", tmp_path_factory.getbasetemp()).start()
    server.use_basic_auth("apikey")
    yield server
    server.stop()


def test_connector_configuration_with_basic_auth(okta):
    okta.test_api_credentials()
    okta.use_basic_auth("admin")
    try:
        response = okta.get("/Users?startIndex=1&count=2")
    finally:
        okta.use_basic_auth("apikey")
    assert response.status == 401
    assert response.body["schemas"] == [ERROR_URN] and response.body["detail"]


def test_create_with_custom_profile_attributes(okta):
    body = okta_user(
        "ada@maestro.example",
        "Ada",
        "Lovelace",
        profile={"location": "Paris", "attribute1": "CC-42"},
    )
    created = okta.provision(body)
    assert created["profile"] == {"location": "Paris", "attribute1": "CC-42"}
    assert okta.profile("ada@maestro.example")["location"] == "Paris"
    assert okta.profile("ada@maestro.example")["attribute1"] == "CC-42"
    # Okta's GET before its PUT sees them again, and they are filterable.
    assert okta.ok("GET", f"/Users/{created['id']}")["profile"]["attribute1"] == "CC-42"
    found = okta.ok("GET", "/Users?filter=profile.location%20eq%20%22paris%22")["Resources"]
    assert [u["id"] for u in found] == [created["id"]]


def test_username_must_be_the_email(okta):
    body = okta_user("grace@maestro.example", "Grace", "Hopper")
    body["emails"][0]["value"] = "grace.hopper@maestro.example"
    response = okta.post("/Users", body)
    assert response.status == 400 and response.body["scimType"] == "invalidValue"
    assert okta.sql("SELECT count(*) FROM auth_user WHERE username = ?", body["userName"]) == [(0,)]


def test_update_names_and_profile_by_put_but_never_the_login(okta):
    user = okta.provision(okta_user("alan@maestro.example", "Alan", "Turing"))
    response = okta.update_by_put(
        user["id"],
        name={"givenName": "Alan M.", "familyName": "Turing"},
        profile={"location": "Manchester", "attribute1": "CC-7"},
    )
    assert response.status == 200, response
    assert okta.host_user("alan@maestro.example")["first_name"] == "Alan M."
    assert okta.profile("alan@maestro.example") == {
        "location": "Manchester",
        "attribute1": "CC-7",
        "organization_role": "",
        "lambdatest_group": "",
    }
    # "Update application username on: Create and update": a new login is refused.
    emails = [{"primary": True, "value": "alan.turing@maestro.example", "type": "work"}]
    renamed = okta.update_by_put(user["id"], userName="alan.turing@maestro.example", emails=emails)
    assert renamed.status == 400 and renamed.body["scimType"] == "mutability"
    moved = okta.patch(
        f"/Users/{user['id']}",
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@maestro.example"},
    )
    # An email alone would no longer be the userName: refused before immutability applies.
    assert moved.status == 400 and moved.body["scimType"] == "invalidValue"
    assert okta.host_user("alan@maestro.example")["email"] == "alan@maestro.example"


def test_deactivate_reactivate_and_delete_never_deletes(okta):
    user = okta.provision(okta_user("edsger@maestro.example", "Edsger", "Dijkstra"))
    # OIN deactivation: PATCH active=false; still served, still found by the lookup.
    assert okta.set_active(user["id"], False)["active"] is False
    assert okta.host_user("edsger@maestro.example")["is_active"] == 0
    assert okta.lookup_user("EDSGER@maestro.example")[0]["active"] is False
    # "This functionality can also be used to reactivate a deactivated user."
    assert okta.set_active(user["id"], True)["active"] is True
    assert okta.host_user("edsger@maestro.example")["is_active"] == 1
    # App Integration Wizard apps deactivate with a PUT of the whole user.
    assert okta.update_by_put(user["id"], active=False).body["active"] is False
    assert okta.update_by_put(user["id"], active=True).body["active"] is True
    # DELETE deactivates: the host user stays.
    assert okta.delete(f"/Users/{user['id']}").status == 204
    assert okta.host_user("edsger@maestro.example")["is_active"] == 0
    assert okta.get(f"/Users/{user['id']}").status == 404
    # Assigning the person again brings the same account back.
    again = okta.provision(okta_user("edsger@maestro.example", "Edsger", "Dijkstra"))
    assert again["id"] == user["id"] and again["active"] is True
    assert okta.host_user("edsger@maestro.example")["is_active"] == 1
