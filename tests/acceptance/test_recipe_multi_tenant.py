"""Recipe ``multi-tenant`` replayed over HTTP: an organization's Okta provisions only its
verified domain, never takes over the host's staff or superuser, adopts its own people."""

from __future__ import annotations

import pytest

from tests.acceptance.recipe_server import RecipeServer, okta_user

SETUP = """
from django.contrib.auth.models import User
from example_project.organizations.models import Organization
Organization.objects.create(name="Acme", slug="acme")
Organization.objects.create(name="Globex", slug="globex")
User.objects.create_superuser("root", "root@acme.example", "root-password")
User.objects.create_user("ops@acme.example", "ops@acme.example", "ops-password", is_staff=True)
User.objects.create_user("cy@acme.example", "cy@acme.example", "cy-password")
"""


@pytest.fixture(scope="module")
def okta(tmp_path_factory):
    server = RecipeServer("multi-tenant", tmp_path_factory.getbasetemp())
    server.manage("shell", "-c", SETUP)
    token = server.manage("scim_create_token", "--name", "Acme Okta", "--tenant", "1")
    server.authorization = f"Bearer {token.strip().splitlines()[-1]}"
    out = server.manage("scim_domains", "--tenant", "1", "--add", "acme.example", "--verified")
    assert "acme.example: verified" in out
    server.start()
    yield server
    server.stop()


def test_test_api_credentials(okta):
    okta.test_api_credentials()


def test_the_organization_provisions_its_own_domain_only(okta):
    ann = okta.provision(okta_user("ann@acme.example", "Ann", "Lee"))
    assert okta.host_user("ann@acme.example")["is_active"]

    refused = okta.post("/Users", okta_user("bob@globex.example", "Bob", "Ray"))
    assert refused.status == 403
    assert "globex.example" in refused.body["detail"]
    assert not okta.sql("SELECT 1 FROM auth_user WHERE username = 'bob@globex.example'")

    rename = okta.patch(
        f"/Users/{ann['id']}", {"op": "replace", "path": "userName", "value": "ann@globex.example"}
    )
    assert rename.status == 403
    assert okta.ok("GET", f"/Users/{ann['id']}")["userName"] == "ann@acme.example"


def test_the_host_superuser_and_staff_are_never_taken_over(okta):
    root = okta.post("/Users", okta_user("root", "Root", "Admin", password="taken"))
    nobody = okta.post("/Users", okta_user("nobody", "No", "Body", password="taken"))
    assert root.status == nobody.status == 403  # the same answer: existence is not told
    staff = okta.post("/Users", okta_user("ops@acme.example", "Ops", "Staff", active=False))
    assert staff.status == 409
    ops = okta.host_user("ops@acme.example")
    assert ops["is_active"] and ops["email"] == "ops@acme.example"
    assert okta.host_user("root")["is_active"]
    linked = okta.sql(
        "SELECT COUNT(*) FROM scim_provider_scimuser s JOIN auth_user u ON u.id = s.user_id"
        " WHERE u.username IN ('root', 'ops@acme.example')"
    )
    assert linked == [(0,)]


def test_an_existing_account_of_the_domain_is_adopted(okta):
    before = okta.host_user("cy@acme.example")
    cy = okta.provision(okta_user("cy@acme.example", "Cy", "Moe"))
    assert okta.host_user("cy@acme.example")["id"] == before["id"]
    assert okta.ok("GET", f"/Users/{cy['id']}")["name"]["givenName"] == "Cy"
