"""Signals: sent with their documented keyword arguments, inside the request's transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from scim_provider import signals
from scim_provider.adapters import UserAdapter
from scim_provider.models import ScimUser
from scim_provider.protocol import errors
from tests.conftest import assert_scim_error
from tests.factories import ENTERPRISE_URN, UserBodyFactory, patch_body
from tests.integration.conftest import USERS, host_user

pytestmark = pytest.mark.django_db

DOCUMENTED = {
    "pre_user_save": {"adapter", "user", "resource", "created"},
    "user_provisioned": {"adapter", "user", "link", "resource", "adopted"},
    "user_updated": {"adapter", "user", "link", "resource", "changed"},
    "user_deactivated": {"adapter", "user", "link"},
    "user_reactivated": {"adapter", "user", "link"},
    "user_deleted": {"adapter", "user", "link", "hard"},
}


@pytest.fixture
def fired():
    calls: list[tuple[str, object, dict]] = []
    receivers = {}
    for name in DOCUMENTED:

        def receiver(sender, signal, name=name, **kwargs):
            calls.append((name, sender, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    yield calls
    for name, receiver in receivers.items():
        getattr(signals, name).disconnect(receiver)


def test_every_signal_with_its_documented_kwargs(users_client, fired):
    created = users_client.post(USERS, UserBodyFactory(), format="json").json()
    url = f"{USERS}/{created['id']}"
    users_client.patch(
        url, patch_body({"op": "replace", "path": "title", "value": "X"}), format="json"
    )
    users_client.patch(
        url, patch_body({"op": "replace", "value": {"active": False}}), format="json"
    )
    users_client.patch(url, patch_body({"op": "replace", "value": {"active": True}}), format="json")
    users_client.delete(url)
    assert [name for name, _s, _k in fired] == [
        "pre_user_save",
        "user_provisioned",
        "pre_user_save",
        "user_updated",
        "pre_user_save",
        "user_updated",
        "user_deactivated",
        "pre_user_save",
        "user_updated",
        "user_reactivated",
        "pre_user_save",
        "user_deactivated",
        "user_deleted",
    ]
    for name, sender, kwargs in fired:
        assert set(kwargs) == DOCUMENTED[name], name
        assert sender is UserAdapter
        assert isinstance(kwargs["adapter"], UserAdapter)
        assert isinstance(kwargs["user"], get_user_model())
        if "link" in kwargs:
            assert isinstance(kwargs["link"], ScimUser)
            assert str(kwargs["link"].scim_id) == created["id"]
    provisioned = next(k for n, _s, k in fired if n == "user_provisioned")
    assert provisioned["adopted"] is False
    assert provisioned["resource"]["userName"] == created["userName"]
    assert next(k for n, _s, k in fired if n == "pre_user_save")["created"] is True


def test_user_updated_lists_the_changed_paths(users_client, create_user, fired):
    user = create_user()
    fired.clear()
    users_client.patch(
        f"{USERS}/{user['id']}",
        patch_body(
            {"op": "replace", "path": "name.givenName", "value": "New"},
            {"op": "add", "path": f"{ENTERPRISE_URN}:department", "value": "R&D"},
            {"op": "replace", "path": "displayName", "value": user["displayName"]},
        ),
        format="json",
    )
    (updated,) = [k for n, _s, k in fired if n == "user_updated"]
    assert updated["changed"] == {"name.givenName", f"{ENTERPRISE_URN}:department"}


def test_no_change_sends_no_update(users_client, create_user, fired):
    user = create_user()
    fired.clear()
    users_client.put(f"{USERS}/{user['id']}", user, format="json")
    assert fired == []


def test_pre_user_save_may_adjust_the_user(users_client):
    def uppercase(sender, user, resource, created, **kwargs):
        if created:
            user.is_active = False

    signals.pre_user_save.connect(uppercase)
    try:
        created = users_client.post(USERS, UserBodyFactory(), format="json").json()
    finally:
        signals.pre_user_save.disconnect(uppercase)
    assert host_user(created["id"]).is_active is False
    assert created["active"] is False


@pytest.mark.parametrize("when", ["create", "update"])
def test_pre_user_save_raising_refuses_the_change(users_client, create_user, when):
    user = create_user(userName="keep@example.com") if when == "update" else None

    def refuse(sender, resource, **kwargs):
        if resource.get("title") == "Forbidden":
            raise errors.InvalidValue("Titles are managed by HR.")

    signals.pre_user_save.connect(refuse)
    try:
        if when == "create":
            response = users_client.post(USERS, UserBodyFactory(title="Forbidden"), format="json")
        else:
            response = users_client.patch(
                f"{USERS}/{user['id']}",
                patch_body(
                    {"op": "replace", "path": "displayName", "value": "Changed"},
                    {"op": "replace", "path": "title", "value": "Forbidden"},
                ),
                format="json",
            )
    finally:
        signals.pre_user_save.disconnect(refuse)
    body = assert_scim_error(response, 400, "invalidValue")
    assert body["detail"] == "Titles are managed by HR."
    if when == "create":
        assert not ScimUser.objects.exists() and not get_user_model().objects.exists()
    else:
        assert users_client.get(f"{USERS}/{user['id']}").json() == user


def test_receiver_error_after_the_save_rolls_back(users_client, create_user):
    def fail(sender, **kwargs):
        raise errors.Forbidden("Provisioning is paused.")

    signals.user_provisioned.connect(fail)
    try:
        response = users_client.post(USERS, UserBodyFactory(), format="json")
    finally:
        signals.user_provisioned.disconnect(fail)
    assert_scim_error(response, 403)
    assert not ScimUser.objects.exists() and not get_user_model().objects.exists()


def test_side_effects_on_commit(users_client, django_capture_on_commit_callbacks):
    sent = []

    def notify(sender, user, **kwargs):
        from django.db import transaction

        transaction.on_commit(lambda: sent.append(user.get_username()))

    signals.user_provisioned.connect(notify)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            users_client.post(USERS, UserBodyFactory(userName="hi@example.com"), format="json")
    finally:
        signals.user_provisioned.disconnect(notify)
    assert sent == ["hi@example.com"]
