"""Custom attributes: ``registry.register()`` and ``USER_ATTRIBUTES`` (Okta profile editor)."""

from __future__ import annotations

import pytest

from scim_provider import registry
from scim_provider.models import ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import UserBodyFactory, patch_body
from tests.integration.conftest import USERS, host_user
from tests.testapp.models import Profile

pytestmark = pytest.mark.django_db

LAMBDATEST = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
ROLE = f"{LAMBDATEST}:OrganizationRole"


@pytest.fixture
def profile_attributes():
    registry.register("profile.location", field="profile__location", description="City")
    registry.register(ROLE, canonical_values=["Admin", "User", "Guest"], field="profile__role")
    yield
    registry.unregister("profile.location")
    registry.unregister(ROLE)


def okta_body(**changes):
    body = {"profile": {"location": "Paris"}, LAMBDATEST: {"OrganizationRole": "Admin"}}
    return UserBodyFactory(**{**body, **changes})


def test_round_trip_post_get_put(users_client, profile_attributes):
    response = users_client.post(USERS, okta_body(), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["profile"] == {"location": "Paris"}
    assert created[LAMBDATEST] == {"OrganizationRole": "Admin"}
    assert LAMBDATEST in created["schemas"]
    profile = Profile.objects.get(user=host_user(created["id"]))
    assert (profile.location, profile.role) == ("Paris", "Admin")
    assert "profile" not in ScimUser.objects.get(scim_id=created["id"]).attributes

    fetched = users_client.get(f"{USERS}/{created['id']}").json()
    assert fetched == created
    # Okta's PUT sends back what its GET returned, with the change.
    fetched["displayName"] = "Changed"
    put = users_client.put(f"{USERS}/{created['id']}", fetched, format="json").json()
    assert put["profile"] == {"location": "Paris"}
    assert put[LAMBDATEST] == {"OrganizationRole": "Admin"}


def test_profile_row_is_created_on_first_write(users_client, create_user, profile_attributes):
    user = create_user()
    assert not Profile.objects.exists()
    assert "profile" not in user
    response = users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body({"op": "add", "path": "profile.location", "value": "Lyon"}),
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["profile"] == {"location": "Lyon"}
    assert Profile.objects.get().location == "Lyon"


def test_canonical_values_are_enforced(users_client, profile_attributes):
    body = okta_body(**{LAMBDATEST: {"OrganizationRole": "Root"}})
    assert_scim_error(users_client.post(USERS, body, format="json"), 400, "invalidValue")
    assert not ScimUser.objects.exists() and not Profile.objects.exists()
    body = okta_body(**{LAMBDATEST: {"OrganizationRole": "guest"}})
    created = users_client.post(USERS, body, format="json").json()
    assert created[LAMBDATEST]["OrganizationRole"] == "Guest"
    response = users_client.patch(
        f"{USERS}/{created['id']}",
        patch_body({"op": "replace", "path": ROLE, "value": "Root"}),
        format="json",
    )
    assert_scim_error(response, 400, "invalidValue")
    assert Profile.objects.get().role == "Guest"


def test_registered_attributes_appear_in_schemas(users_client, profile_attributes):
    schemas = users_client.get(f"{SCIM}/Schemas").json()["Resources"]
    by_id = {schema["id"]: schema for schema in schemas}
    assert LAMBDATEST in by_id
    (role,) = by_id[LAMBDATEST]["attributes"]
    assert role["name"] == "OrganizationRole"
    assert role["canonicalValues"] == ["Admin", "User", "Guest"]
    core = by_id["urn:ietf:params:scim:schemas:core:2.0:User"]
    profile = next(a for a in core["attributes"] if a["name"] == "profile")
    assert profile["subAttributes"][0]["name"] == "location"
    user_type = users_client.get(f"{SCIM}/ResourceTypes/User").json()
    assert {"schema": LAMBDATEST, "required": False} in user_type["schemaExtensions"]


def test_registered_attributes_are_filterable(users_client, profile_attributes):
    paris = users_client.post(USERS, okta_body(), format="json").json()
    users_client.post(
        USERS,
        okta_body(profile={"location": "Berlin"}, **{LAMBDATEST: {"OrganizationRole": "User"}}),
        format="json",
    )
    for text in ('profile.location eq "paris"', f'{ROLE} eq "Admin"', 'profile.location sw "Pa"'):
        found = users_client.get(USERS, {"filter": text}).json()
        assert [u["id"] for u in found["Resources"]] == [paris["id"]], text
    by_location = users_client.get(USERS, {"sortBy": "profile.location"}).json()["Resources"]
    assert [u["profile"]["location"] for u in by_location] == ["Berlin", "Paris"]


def test_getter_setter_pair(users_client):
    def get_initials(user):
        return getattr(user, "_initials", None) or user.get_username()[:2].upper()

    def set_initials(user, value):
        user._initials = value

    written = []
    registry.register(
        "urn:ietf:params:scim:schemas:extension:acme:2.0:User:initials",
        getter=get_initials,
        setter=lambda user, value: (written.append(value), set_initials(user, value)),
    )
    try:
        body = UserBodyFactory(
            userName="zoe@example.com",
            **{"urn:ietf:params:scim:schemas:extension:acme:2.0:User": {"initials": "ZZ"}},
        )
        created = users_client.post(USERS, body, format="json").json()
        assert written == ["ZZ"]
        fetched = users_client.get(f"{USERS}/{created['id']}").json()
        assert fetched["urn:ietf:params:scim:schemas:extension:acme:2.0:User"] == {"initials": "ZO"}
        filtered = users_client.get(
            USERS,
            {"filter": 'urn:ietf:params:scim:schemas:extension:acme:2.0:User:initials eq "x"'},
        )
        assert_scim_error(filtered, 400, "invalidFilter")
    finally:
        registry.unregister("urn:ietf:params:scim:schemas:extension:acme:2.0:User:initials")


def test_unmapped_registered_attribute_is_kept_as_json(users_client):
    registry.register("profile.costCenter", type="integer")
    try:
        created = users_client.post(
            USERS, UserBodyFactory(profile={"costCenter": "42"}), format="json"
        ).json()
        assert created["profile"] == {"costCenter": 42}
        assert ScimUser.objects.get(scim_id=created["id"]).attributes["profile"] == {
            "costCenter": 42
        }
        found = users_client.get(USERS, {"filter": "profile.costCenter gt 41"}).json()
        assert found["totalResults"] == 1
        bad = users_client.post(
            USERS, UserBodyFactory(profile={"costCenter": "many"}), format="json"
        )
        assert_scim_error(bad, 400, "invalidValue")
    finally:
        registry.unregister("profile.costCenter")


def test_required_registered_attribute(users_client):
    registry.register("profile.location", field="profile__location", required=True)
    try:
        missing = users_client.post(USERS, UserBodyFactory(), format="json")
        assert_scim_error(missing, 400, "invalidValue")
        assert not ScimUser.objects.exists()
    finally:
        registry.unregister("profile.location")


def test_user_attributes_setting(users_client, scim_config):
    scim_config(
        USER_ATTRIBUTES=[
            {"path": "profile.location", "field": "profile__location"},
            {
                "path": ROLE,
                "canonical_values": ["Admin", "User", "Guest"],
                "field": "profile__role",
            },
        ]
    )
    created = users_client.post(USERS, okta_body(), format="json").json()
    assert created["profile"] == {"location": "Paris"}
    profile = Profile.objects.get()
    assert (profile.location, profile.role) == ("Paris", "Admin")
    body = okta_body(**{LAMBDATEST: {"OrganizationRole": "Root"}})
    assert_scim_error(users_client.post(USERS, body, format="json"), 400, "invalidValue")


def test_unregistered_attribute_is_dropped(users_client):
    created = users_client.post(
        USERS, UserBodyFactory(profile={"location": "Paris"}), format="json"
    ).json()
    assert "profile" not in created
    assert_scim_error(
        users_client.get(USERS, {"filter": 'profile.location eq "Paris"'}), 400, "invalidFilter"
    )


def mapping_errors():
    from scim_provider.checks import check_user_mappings

    return [(error.id, error.msg) for error in check_user_mappings()]


def test_check_e006_user_fields(scim_config):
    assert mapping_errors() == []
    scim_config(USER_FIELDS={"title": "job_title", "nickName": "profile__nick"})
    errors = mapping_errors()
    assert [e[0] for e in errors] == ["scim_provider.E006"] * 2
    assert "job_title" in errors[0][1] and "profile__nick" in errors[1][1]
    scim_config(USER_FIELDS={"noSuchAttribute": "email"})
    assert "noSuchAttribute" in mapping_errors()[0][1]
    scim_config(USER_FIELDS={"title": "profile__role", "name.givenName": None})
    assert mapping_errors() == []


def test_check_e006_registered_attributes(scim_config):
    registry.register("profile.location", field="profile__town")
    try:
        ((error_id, message),) = mapping_errors()
        assert error_id == "scim_provider.E006" and "profile__town" in message
    finally:
        registry.unregister("profile.location")
    scim_config(USER_ATTRIBUTES=[{"path": "profile.location", "field": "nowhere"}])
    assert [e[0] for e in mapping_errors()] == ["scim_provider.E006"]
