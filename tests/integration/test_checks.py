"""System checks reject unknown keys and bad values with stable ids."""

import pytest
from django.test import override_settings

from scim_provider.checks import check_settings


def ids(settings_value):
    with override_settings(SCIM_PROVIDER=settings_value):
        return [error.id for error in check_settings()]


def test_defaults_pass():
    assert ids({}) == []


def test_not_a_dict():
    assert ids(["MAX_PAGE_SIZE"]) == ["scim_provider.E001"]


def test_unknown_key_suggests_the_right_one():
    with override_settings(SCIM_PROVIDER={"MAX_PAGESIZE": 10}):
        (error,) = check_settings()
    assert error.id == "scim_provider.E001"
    assert "MAX_PAGE_SIZE" in error.hint


@pytest.mark.parametrize(
    "value",
    [
        {"MAX_PAGE_SIZE": 0},
        {"MAX_PAGE_SIZE": "100"},
        {"DEFAULT_PAGE_SIZE": True},
        {"LENIENCY": "loose"},
        {"TOKEN_PREFIX": "much_too_long_prefix_"},
        {"BASIC_AUTH_USERNAME": ""},
        {"ALLOW_UNAUTHENTICATED_DISCOVERY": "yes"},
        {"TOKEN_DEFAULT_EXPIRY_DAYS": -1},
        {"DEFAULT_PAGE_SIZE": 500, "MAX_PAGE_SIZE": 100},
    ],
)
def test_bad_values(value):
    assert ids(value) == ["scim_provider.E002"]


def test_bad_import_string():
    assert ids({"EXCEPTION_HANDLER": "nowhere.handler"}) == ["scim_provider.E003"]


def test_tenant_model_must_exist():
    assert ids({"TENANT_MODEL": "nowhere.Tenant"}) == ["scim_provider.E004"]
    assert ids({"TENANT_MODEL": "auth.Group"}) == []


def test_token_model_must_exist():
    with override_settings(SCIM_PROVIDER_TOKEN_MODEL="nowhere.Token"):
        assert [e.id for e in check_settings()] == ["scim_provider.E005"]


def test_settings_reload_when_changed():
    from scim_provider.conf import scim_settings

    assert scim_settings.MAX_PAGE_SIZE == 1000
    with override_settings(SCIM_PROVIDER={"MAX_PAGE_SIZE": 7}):
        assert scim_settings.MAX_PAGE_SIZE == 7
    assert scim_settings.MAX_PAGE_SIZE == 1000


def test_a_required_user_field_nothing_fills_warns():
    """W007: every provisioning would fail on a NOT NULL column; a receiver that fills it,
    or an adapter's new_user(), silences it."""
    from scim_provider import signals
    from scim_provider.checks import _unfilled_user_fields
    from tests.testapp.models import OrgTeam  # a model with a required foreign key

    (warning,) = _unfilled_user_fields(OrgTeam)
    assert warning.id == "scim_provider.W007" and "organization" in warning.msg

    def fill(sender, user, **kwargs):
        user.organization_id = 1

    signals.pre_user_save.connect(fill)
    try:
        assert _unfilled_user_fields(OrgTeam) == []
    finally:
        signals.pre_user_save.disconnect(fill)
