"""Group signals: what is sent, with which keyword arguments, and that a receiver can refuse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from scim_provider import signals
from scim_provider.adapters.groups import GroupAdapter
from scim_provider.models import ScimGroup
from scim_provider.protocol import errors
from tests.conftest import assert_scim_error
from tests.integration.group_helpers import GROUPS, create_group, group_body, patch, user_pks

pytestmark = pytest.mark.django_db

GROUP_SIGNALS = (
    "group_created",
    "group_updated",
    "group_deleted",
    "members_added",
    "members_removed",
)


@contextmanager
def recording() -> Iterator[list[tuple[str, dict]]]:
    """Record every group signal as ``(name, kwargs)``."""
    sent: list[tuple[str, dict]] = []
    receivers = {}
    for name in GROUP_SIGNALS:

        def receiver(sender, _name=name, **kwargs):
            assert sender is GroupAdapter
            kwargs.pop("signal")
            sent.append((_name, kwargs))

        receivers[name] = receiver
        getattr(signals, name).connect(receiver)
    try:
        yield sent
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)


@pytest.fixture
def users(create_user):
    return [create_user() for _ in range(3)]


def test_create_with_members(users_client, users):
    with recording() as sent:
        created = create_group(users_client, "Eng", [users[0]["id"], users[1]["id"]])
    assert [name for name, _ in sent] == ["group_created", "members_added"]
    created_kwargs, added_kwargs = sent[0][1], sent[1][1]
    assert set(created_kwargs) == {"adapter", "group", "resource"}
    assert isinstance(created_kwargs["adapter"], GroupAdapter)
    assert created_kwargs["group"].scim_id.hex == created["id"].replace("-", "")
    assert created_kwargs["resource"]["displayName"] == "Eng"
    assert set(added_kwargs) == {"adapter", "group", "user_ids"}
    assert added_kwargs["user_ids"] == sorted(user_pks([users[0]["id"], users[1]["id"]]))


def test_create_without_members_sends_no_members_added(users_client):
    with recording() as sent:
        create_group(users_client, "Eng")
    assert [name for name, _ in sent] == ["group_created"]


def test_patch_members_and_rename(users_client, users):
    created = create_group(users_client, "Eng", [users[0]["id"]])
    with recording() as sent:
        response = patch(
            users_client,
            created["id"],
            {"op": "replace", "value": {"id": created["id"], "displayName": "R&D"}},
            {"op": "remove", "path": f'members[value eq "{users[0]["id"]}"]'},
            {"op": "add", "path": "members", "value": [{"value": users[1]["id"]}]},
        )
    assert response.status_code == 200
    names = [name for name, _ in sent]
    assert names == ["members_removed", "members_added", "group_updated"]
    by_name = dict(sent)
    assert by_name["members_removed"]["user_ids"] == sorted(user_pks([users[0]["id"]]))
    assert by_name["members_added"]["user_ids"] == sorted(user_pks([users[1]["id"]]))
    assert by_name["group_updated"]["changed"] == {"displayName"}
    assert by_name["group_updated"]["resource"]["displayName"] == "R&D"
    assert by_name["group_updated"]["group"].display_name == "R&D"


def test_nothing_sent_when_nothing_changes(users_client, users):
    created = create_group(users_client, "Eng", [users[0]["id"]])
    with recording() as sent:
        patch(
            users_client,
            created["id"],
            {"op": "replace", "value": {"id": created["id"], "displayName": "Eng"}},
            {"op": "add", "path": "members", "value": [{"value": users[0]["id"]}]},
            {"op": "remove", "path": f'members[value eq "{users[2]["id"]}"]'},
        )
    # Re-adding a member and removing a non-member: the signals name only real changes.
    assert sent == []


def test_only_real_changes_are_announced(users_client, users):
    created = create_group(users_client, "Eng", [users[0]["id"]])
    with recording() as sent:
        patch(
            users_client,
            created["id"],
            {"op": "add", "path": "members", "value": [{"value": u["id"]} for u in users[:2]]},
            {"op": "Remove", "path": "members", "value": [{"value": users[2]["id"]}]},
        )
    assert [(n, k["user_ids"]) for n, k in sent] == [
        ("members_added", sorted(user_pks([users[1]["id"]])))
    ]


def test_put_sends_the_difference(users_client, users):
    created = create_group(users_client, "Eng", [users[0]["id"], users[1]["id"]])
    with recording() as sent:
        response = users_client.put(
            f"{GROUPS}/{created['id']}",
            group_body("Eng", [users[1]["id"], users[2]["id"]]),
            format="json",
        )
    assert response.status_code == 200
    by_name = dict(sent)
    assert set(by_name) == {"members_removed", "members_added"}
    assert by_name["members_removed"]["user_ids"] == sorted(user_pks([users[0]["id"]]))
    assert by_name["members_added"]["user_ids"] == sorted(user_pks([users[2]["id"]]))


@pytest.mark.parametrize("mode", ["soft", "delete"])
def test_delete(users_client, users, scim_config, mode):
    scim_config(GROUP_DELETE_MODE=mode)
    created = create_group(users_client, "Eng", [users[0]["id"]])
    with recording() as sent:
        assert users_client.delete(f"{GROUPS}/{created['id']}").status_code == 204
    assert [name for name, _ in sent] == ["members_removed", "group_deleted"]
    assert sent[0][1]["user_ids"] == sorted(user_pks([users[0]["id"]]))
    assert set(sent[1][1]) == {"adapter", "group", "host_group", "hard"}
    assert sent[1][1]["hard"] is (mode == "delete")
    assert sent[1][1]["host_group"].name == "Eng"


def test_a_receiver_raising_a_scim_error_rolls_the_request_back(users_client, users):
    created = create_group(users_client, "Eng")

    def refuse(sender, user_ids, **kwargs):
        raise errors.InvalidValue("No more members, please.")

    signals.members_added.connect(refuse)
    try:
        response = patch(
            users_client,
            created["id"],
            {"op": "replace", "value": {"displayName": "Renamed"}},
            {"op": "add", "path": "members", "value": [{"value": users[0]["id"]}]},
        )
    finally:
        signals.members_added.disconnect(refuse)
    body = assert_scim_error(response, 400, "invalidValue")
    assert body["detail"] == "No more members, please."
    link = ScimGroup.objects.get(scim_id=created["id"])
    assert link.display_name == "Eng" and not link.memberships.exists()
