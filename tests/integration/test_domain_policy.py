"""DOMAIN_POLICY: a tenant's token provisions only its verified domains (issue 15).

Every test runs in ``world``: two tenants (A: acme.example, B: globex.example), a host
superuser ``root`` and a staff user, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from scim_provider import domains
from scim_provider.checks import check_security
from scim_provider.models import ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import patch_body
from tests.integration.tenant_world import *  # noqa: F403
from tests.integration.tenant_world import DNS, USERS, user_body

pytestmark = pytest.mark.django_db
BULK = f"{SCIM}/Bulk"


def test_inside_the_verified_domains(world):
    response = world.a.post(USERS, user_body("alice@acme.example"), format="json")
    assert response.status_code == 201, response.content
    assert ScimUser.objects.get(scim_id=response.json()["id"]).tenant_id == str(world.org_a.pk)


@pytest.mark.parametrize(
    ("user_name", "email", "named"),
    [
        ("bob@globex.example", "bob@globex.example", "globex.example"),  # B's domain
        ("carol@nowhere.example", "carol@nowhere.example", "nowhere.example"),
        ("alice@acme.example", "alice@globex.example", "globex.example"),  # the email
        ("alice@sub.acme.example", "alice@acme.example", "sub.acme.example"),  # subdomain
    ],
)
def test_outside_is_refused_naming_the_domain(world, user_name, email, named):
    before = world.snapshot()
    body = user_body(user_name, emails=[{"value": email, "primary": True}])
    error = assert_scim_error(world.a.post(USERS, body, format="json"), 403)
    assert named in error["detail"] and "not verified for this account" in error["detail"]
    assert world.snapshot() == before


def test_a_login_without_domain_is_refused(world):
    error = assert_scim_error(world.a.post(USERS, user_body("jdoe"), format="json"), 403)
    assert "'jdoe' has no domain" in error["detail"] and "acme.example" in error["detail"]


def test_the_answer_never_tells_whether_a_login_exists(world):
    """Probing another customer's people, or the host's accounts, gives the same answer
    whether they exist or not: the policy is checked before any lookup."""
    assert world.b.post(USERS, user_body("bob@globex.example"), format="json").status_code == 201

    def answer(user_name):
        response = world.a.post(USERS, user_body(user_name), format="json")
        body = response.json()
        return response.status_code, body["detail"].replace(user_name, "<login>")

    assert answer("bob@globex.example") == answer("nobody@globex.example")
    assert answer("root") == answer("nobody")
    assert answer("bob@globex.example")[0] == 403


def test_changing_user_name_or_email_is_confined_too(world):
    created = world.a.post(USERS, user_body("alice@acme.example"), format="json").json()
    path = f"{USERS}/{created['id']}"
    before = world.snapshot()
    moves = [
        patch_body({"op": "replace", "path": "userName", "value": "alice@globex.example"}),
        patch_body({"op": "replace", "value": {"userName": "root"}}),
        patch_body(
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@globex.example"}
        ),
    ]
    for body in moves:
        assert_scim_error(world.a.patch(path, body, format="json"), 403)
    put = {**created, "userName": "alice@globex.example"}
    assert_scim_error(world.a.put(path, put, format="json"), 403)
    assert world.snapshot() == before
    # What does not touch the login or the email is not concerned; a verified rename is fine.
    ok = patch_body({"op": "replace", "value": {"active": False, "displayName": "Alice"}})
    assert world.a.patch(path, ok, format="json").status_code == 200
    renamed = patch_body({"op": "replace", "path": "userName", "value": "alice.b@acme.example"})
    assert world.a.patch(path, renamed, format="json").json()["userName"] == "alice.b@acme.example"


def test_users_of_a_removed_domain_can_still_be_managed(world):
    created = world.a.post(USERS, user_body("dan@acme.example"), format="json").json()
    domains.remove_domain(domains.get_domain(world.org_a, "acme.example"))
    path = f"{USERS}/{created['id']}"
    body = patch_body({"op": "replace", "value": {"active": False}})
    assert world.a.patch(path, body, format="json").status_code == 200
    assert world.a.put(path, {**created, "active": False}, format="json").status_code == 200
    assert_scim_error(world.a.post(USERS, user_body("eve@acme.example"), format="json"), 403)


def test_bulk_operations_are_confined(world):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": "in",
                "data": user_body("f@acme.example"),
            },
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": "out",
                "data": user_body("g@globex.example"),
            },
            {
                "method": "PATCH",
                "path": "/Users/bulkId:in",
                "data": patch_body({"op": "replace", "path": "userName", "value": "root"}),
            },
        ],
    }
    results = world.a.post(BULK, body, format="json").json()["Operations"]
    assert [r["status"] for r in results] == ["201", "403", "403"]
    assert "globex.example" in results[1]["response"]["detail"]
    assert set(ScimUser.objects.values_list("user_name", flat=True)) == {"f@acme.example"}


def test_an_unverified_claim_is_not_enough_until_proved(world):
    row = domains.add_domain(world.org_a, "acme-labs.example")
    assert_scim_error(world.a.post(USERS, user_body("h@acme-labs.example"), format="json"), 403)
    DNS["acme-labs.example"] = ["v=spf1 -all", domains.txt_record(row)]
    domains.verify_domain(row)
    assert world.a.post(USERS, user_body("h@acme-labs.example"), format="json").status_code == 201


def test_tokens_without_a_tenant_are_not_confined(world):
    """The operator's own token (no tenant) is not a customer's: the policy is not for it."""
    response = world.operator.post(USERS, user_body("ops@anywhere.example"), format="json")
    assert response.status_code == 201


def test_policy_off(world, scim_config):
    scim_config(DOMAIN_POLICY="off")
    response = world.a.post(USERS, user_body("bob@globex.example"), format="json")
    assert response.status_code == 201
    warnings = [w.id for w in check_security()]
    assert "scim_provider.W004" in warnings


def test_w004_only_for_tenants_with_the_policy_off(settings):
    https = {"SECURE_SSL_REDIRECT": True}
    for key, value in https.items():
        setattr(settings, key, value)
    cases = [
        ({"TENANT_MODEL": "testapp.Organization"}, []),
        ({"TENANT_MODEL": "testapp.Organization", "DOMAIN_POLICY": "verified"}, []),
        ({"TENANT_MODEL": "testapp.Organization", "DOMAIN_POLICY": "off"}, ["W004"]),
        ({"DOMAIN_POLICY": "off"}, []),
    ]
    for value, expected in cases:
        settings.SCIM_PROVIDER = value
        assert [w.id.rsplit(".", 1)[1] for w in check_security()] == expected, value


def test_check_rejects_an_unknown_policy(settings):
    from scim_provider.checks import check_settings

    settings.SCIM_PROVIDER = {"DOMAIN_POLICY": "strict"}
    assert [e.id for e in check_settings()] == ["scim_provider.E002"]


def test_query_count_of_a_confined_create(world, django_assert_max_num_queries):
    """The policy costs one query (the tenant's verified domains) per write."""
    world.a.post(USERS, user_body("warm@acme.example"), format="json")
    with django_assert_max_num_queries(12):
        response = world.a.post(USERS, user_body("i@acme.example"), format="json")
    assert response.status_code == 201


# One login, one account: userName folded as the host folds logins --------------------------


def test_folded_logins_are_one_login(world):
    """``ｒｏｏｔ`` (full width) is ``root`` to Django's user models (NFKC): not a second login."""
    before = world.snapshot()
    assert_scim_error(
        world.operator.post(USERS, user_body("ｒｏｏｔ"), format="json"), 409, "uniqueness"
    )
    assert world.snapshot() == before
    created = world.a.post(USERS, user_body("ａｌｉｃｅ@acme.example"), format="json")
    assert created.status_code == 201
    assert created.json()["userName"] == "alice@acme.example"
    again = world.a.post(USERS, user_body("alice@acme.example"), format="json")
    assert_scim_error(again, 409, "uniqueness")
    found = world.a.get(USERS, {"filter": 'userName eq "alice@acme.example"'}).json()
    assert found["totalResults"] == 1


def test_a_rename_is_folded_too(world):
    created = world.a.post(USERS, user_body("j@acme.example"), format="json").json()
    body = patch_body({"op": "replace", "path": "userName", "value": "ｊｏｅ@acme.example"})
    renamed = world.a.patch(f"{USERS}/{created['id']}", body, format="json")
    assert renamed.status_code == 200 and renamed.json()["userName"] == "joe@acme.example"


def test_scim_domains_command_shows_the_policy_at_work(world, capsys):
    call_command("scim_domains", "--tenant", str(world.org_a.pk), "--add", "acme-eu.example")
    out = capsys.readouterr().out
    assert "acme-eu.example: not verified" in out and domains.TXT_PREFIX in out
    assert_scim_error(world.a.post(USERS, user_body("k@acme-eu.example"), format="json"), 403)
    call_command(
        "scim_domains", "--tenant", str(world.org_a.pk), "--add", "acme-eu.example", "--verified"
    )
    assert world.a.post(USERS, user_body("k@acme-eu.example"), format="json").status_code == 201
