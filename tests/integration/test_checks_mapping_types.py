"""System checks of the host models: the group model can take members and its mapped
fields, and every mapped field (users and groups) can hold the SCIM attribute's values.

Each misconfiguration here used to pass ``manage.py check`` and fail later: junk rows
written into a model that is not a group model, or a 500 on the first write.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from scim_provider.checks import check_group_model, check_user_mappings
from scim_provider.registry import registry

pytestmark = pytest.mark.django_db

auth_user_only = pytest.mark.skipif(
    settings.AUTH_USER_MODEL != "auth.User", reason="names fields of auth.User"
)


@pytest.fixture
def configure(settings):
    def configure(**values):
        settings.SCIM_PROVIDER = values
        registry.clear_cache()

    yield configure
    registry.clear_cache()


def test_defaults_pass(configure):
    configure()
    assert check_group_model() == [] and check_user_mappings() == []


@pytest.mark.parametrize("model", ["testapp.Team", "testapp.OrgTeam", "auth.Group"])
def test_group_models_with_members_pass(configure, model):
    configure(TENANT_MODEL="testapp.Organization", GROUP_MODEL=model, GROUP_TENANT_FIELD=None)
    assert [m.id for m in check_group_model() if m.id != "scim_provider.W005"] == []


def test_a_group_model_without_members_is_an_error(configure):
    """The tenant model as GROUP_MODEL: it has a name, but no members."""
    configure(GROUP_MODEL="testapp.Organization")
    (error,) = check_group_model()
    assert error.id == "scim_provider.E009"
    assert "many-to-many" in error.msg and "GROUP_MODEL = None" in error.hint


@pytest.mark.parametrize(
    ("group_fields", "fragment"),
    [
        ({"displayName": "title"}, "testapp.Team.title, which does not exist"),
        ({"nickName": "name"}, "'nickName' is not an attribute of the SCIM Group schema"),
    ],
)
def test_group_fields_must_exist(configure, group_fields, fragment):
    configure(GROUP_MODEL="testapp.Team", GROUP_FIELDS=group_fields)
    errors = check_group_model()
    assert [e.id for e in errors] == ["scim_provider.E010"]
    assert fragment in errors[0].msg


def test_the_default_name_field_must_exist_or_be_remapped(configure):
    configure(GROUP_MODEL="testapp.Profile")
    errors = [m for m in check_group_model() if m.id == "scim_provider.E010"]
    assert len(errors) == 1 and "GROUP_FIELDS maps displayName onto 'name'" in errors[0].hint


@pytest.mark.parametrize(
    ("user_fields", "attribute", "field"),
    [
        ({"active": "first_name"}, "'active' (boolean)", "auth.User.first_name (CharField)"),
        ({"title": "is_staff"}, "'title' (string)", "auth.User.is_staff (BooleanField)"),
        ({"userName": "id"}, "'userName' (string)", "auth.User.id (AutoField)"),
        ({"name": "last_name"}, "'name' (complex)", "auth.User.last_name (CharField)"),
        ({"emails.value": "email"}, "'emails.value' (multi-valued string)", "auth.User.email"),
        ({"displayName": "date_joined"}, "'displayName' (string)", "auth.User.date_joined"),
        ({"title": "groups"}, "'title' (string)", "auth.User.groups (ManyToManyField)"),
    ],
)
@auth_user_only
def test_user_fields_must_fit_the_attribute_type(configure, user_fields, attribute, field):
    configure(USER_FIELDS=user_fields)
    errors = check_user_mappings()
    assert [e.id for e in errors] == ["scim_provider.E011"], [e.msg for e in errors]
    assert attribute in errors[0].msg and field in errors[0].msg


@pytest.mark.parametrize(
    ("attribute", "spec", "ok"),
    [
        ("urn:acme:2.0:User:costCenter", {"type": "integer", "field": "profile__location"}, False),
        ("urn:acme:2.0:User:badge", {"type": "string", "field": "profile__location"}, True),
        ("urn:acme:2.0:User:vip", {"type": "boolean", "field": "is_staff"}, True),
        ("urn:acme:2.0:User:since", {"type": "dateTime", "field": "last_login"}, True),
        ("urn:acme:2.0:User:since", {"type": "dateTime", "field": "username"}, False),
    ],
)
@auth_user_only
def test_registered_attributes_must_fit(configure, attribute, spec, ok):
    configure(USER_ATTRIBUTES=[{"path": attribute, **spec}])
    ids = [e.id for e in check_user_mappings()]
    assert ids == ([] if ok else ["scim_provider.E011"])


def test_group_fields_must_fit_the_attribute_type(configure):
    configure(GROUP_MODEL="testapp.OrgTeam", GROUP_FIELDS={"displayName": "organization"})
    ids = [m.id for m in check_group_model()]
    assert "scim_provider.E011" in ids


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"GROUP_MODEL": "testapp.OrgTeam"}, "TENANT_MODEL is not set"),
        (
            {"TENANT_MODEL": "testapp.Organization", "GROUP_MODEL": "testapp.Team"},
            "testapp.Team has no field 'organization'",
        ),
        (
            {"TENANT_MODEL": "auth.User", "GROUP_MODEL": "testapp.OrgTeam"},
            "points to testapp.Organization, not to TENANT_MODEL (auth.User)",
        ),
        (
            {
                "TENANT_MODEL": "testapp.Organization",
                "GROUP_MODEL": "testapp.OrgTeam",
                "GROUP_TENANT_FIELD": "name",
            },
            "testapp.OrgTeam.name is not a foreign key",
        ),
    ],
)
def test_group_tenant_field_must_be_a_foreign_key_to_the_tenant(configure, values, fragment):
    configure(**{"GROUP_TENANT_FIELD": "organization", **values})
    errors = [m for m in check_group_model() if m.id == "scim_provider.E012"]
    assert len(errors) == 1 and fragment in errors[0].msg, [m.msg for m in check_group_model()]


def test_group_tenant_field_must_be_a_string(configure):
    from scim_provider.checks import check_settings

    configure(GROUP_TENANT_FIELD=3)
    assert [e.id for e in check_settings()] == ["scim_provider.E002"]
