"""Membership at scale (issue 6): a member change costs the same queries whatever its size.

Big groups are seeded with ``bulk_create``. Counts are taken over HTTP and compared: adding
(or removing) 1 or 500 members to a group of 2,000 runs the *same* number of queries. In
the test transaction the view's ``atomic`` is a savepoint (two more queries than the
production ``BEGIN``/``COMMIT``, which are not counted); the ``transaction=True`` tests
measure the production figure.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from scim_provider.adapters.groups import MEMBERS_CHUNK_SIZE
from tests.integration.group_helpers import (
    GROUPS,
    MEMBERSHIP_TABLE,
    create_group,
    host_member_ids,
    ids,
    make_users,
    member_ids,
    patch,
    seed_members,
)

pytestmark = pytest.mark.django_db

SIZE = 2000
REQUEST_LOG_TABLE = "scim_provider_scimrequestlog"
# PATCH in the test transaction: token, SAVEPOINT, lock the group, resolve ids, insert
# (or delete) memberships, the same for the host table, bump the version, RELEASE, and
# read the members back for the 200 answer.
MAX_IN_TEST = 10
MAX_IN_PRODUCTION = 8


@pytest.fixture
def big(users_client):
    """``(group, members, outsiders)``: a group of 2,000 and 501 provisioned non-members."""
    users = make_users(SIZE + 501)
    group = create_group(users_client, "Everyone")
    seed_members(group["id"], users[:SIZE])
    return group, users[:SIZE], users[SIZE:]


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


def measure(client, group_id: str, *operations, **params) -> list[str]:
    """The SQL of one PATCH, but for the request log's row (one per request, any size)."""
    with CaptureQueriesContext(connection) as context:
        response = patch(client, group_id, *operations, **params)
    assert response.status_code in (200, 204), response.content
    return [q["sql"] for q in context.captured_queries if REQUEST_LOG_TABLE not in q["sql"]]


def work(queries: list[str]) -> list[str]:
    """``queries`` without ``BEGIN``/``COMMIT`` (what a production count leaves out)."""
    return [sql for sql in queries if sql.upper() not in TRANSACTION_CONTROL]


def add(users) -> dict:
    return {"op": "add", "path": "members", "value": [{"value": v} for v in ids(users)]}


def remove_filtered(user) -> dict:
    return {"op": "remove", "path": f'members[value eq "{user.scim_id}"]'}


def remove_list(users) -> dict:
    return {"op": "Remove", "path": "members", "value": [{"value": v} for v in ids(users)]}


def test_adding_1_or_500_members_costs_the_same(users_client, big, scim_config):
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    group, members, outsiders = big
    one = measure(users_client, group["id"], add(outsiders[:1]))
    many = measure(users_client, group["id"], add(outsiders[1:]))
    assert len(one) == len(many) <= MAX_IN_TEST, (one, many)
    assert len(member_ids(group["id"])) == SIZE + 501
    assert len(host_member_ids(group["id"])) == SIZE + 501


def test_removing_1_or_500_members_costs_the_same(users_client, big, scim_config):
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    group, members, _outsiders = big
    one = measure(users_client, group["id"], remove_filtered(members[0]))
    many = measure(users_client, group["id"], remove_list(members[1:501]))
    assert len(one) == len(many) <= MAX_IN_TEST, (one, many)
    assert member_ids(group["id"]) == set(ids(members[501:]))
    assert host_member_ids(group["id"]) == {u.user_id for u in members[501:]}


def test_okta_push_of_many_removals_and_additions_is_constant(users_client, big, scim_config):
    """Okta's shape: one ``remove`` op per member, then one ``add`` with the list."""
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    group, members, outsiders = big
    rename = {"op": "replace", "value": {"id": group["id"], "displayName": "Everyone"}}
    small = measure(
        users_client, group["id"], rename, remove_filtered(members[0]), add(outsiders[:1])
    )
    large = measure(
        users_client,
        group["id"],
        rename,
        *[remove_filtered(u) for u in members[1:201]],
        add(outsiders[1:201]),
    )
    assert len(small) == len(large) <= MAX_IN_TEST, (small, large)
    assert len(member_ids(group["id"])) == SIZE


def test_the_200_answer_reads_the_members_in_one_more_query(users_client, big):
    group, _members, outsiders = big
    queries = measure(users_client, group["id"], add(outsiders[:500]))
    assert len(queries) <= MAX_IN_TEST + 1
    assert sum(MEMBERSHIP_TABLE in sql and sql.startswith("SELECT") for sql in queries) == 1


def test_no_query_loads_the_existing_members_on_add_or_remove(users_client, big, scim_config):
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    group, members, outsiders = big
    for queries in (
        measure(users_client, group["id"], add(outsiders[:500])),
        measure(users_client, group["id"], remove_list(members[:500])),
    ):
        reads = [sql for sql in queries if sql.startswith("SELECT") and MEMBERSHIP_TABLE in sql]
        # The only reads of the membership table are the NOT EXISTS of the insert.
        assert reads == [], reads


def test_full_replacement_of_10_or_1000_members_costs_the_same(users_client, big, scim_config):
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    group, members, outsiders = big

    def replace(users):
        return {"op": "replace", "path": "members", "value": [{"value": v} for v in ids(users)]}

    # Both replacements remove some members and add others.
    few = measure(users_client, group["id"], replace(members[1:6] + outsiders[:5]))
    assert member_ids(group["id"]) == set(ids(members[1:6] + outsiders[:5]))
    many = measure(users_client, group["id"], replace(members[:504] + outsiders[5:501]))
    assert len(few) == len(many) <= MAX_IN_TEST + 1, (few, many)
    assert member_ids(group["id"]) == set(ids(members[:504] + outsiders[5:501]))


@pytest.mark.django_db(transaction=True)
def test_production_counts_without_the_test_savepoint(users_client, scim_config):
    """With a real transaction (BEGIN/COMMIT are not counted): the issue's ≤ 8."""
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    users = make_users(SIZE + 501)
    group = create_group(users_client, "Everyone")
    seed_members(group["id"], users[:SIZE])
    outsiders = users[SIZE:]
    counts = {
        "add 1": measure(users_client, group["id"], add(outsiders[:1])),
        "add 500": measure(users_client, group["id"], add(outsiders[1:])),
        "remove 1": measure(users_client, group["id"], remove_filtered(users[0])),
        "remove 500": measure(users_client, group["id"], remove_list(users[1:501])),
    }
    sizes = {name: len(work(queries)) for name, queries in counts.items()}
    assert len(set(sizes.values())) == 1 and max(sizes.values()) <= MAX_IN_PRODUCTION, sizes
    assert len({len(queries) for queries in counts.values()}) == 1


def test_more_members_than_a_chunk_in_one_patch(users_client, scim_config):
    """Past ``MEMBERS_CHUNK_SIZE`` ids, one more statement per chunk: still no per-member query."""
    scim_config(GROUP_PATCH_RESPONSE="no_content")
    count = MEMBERS_CHUNK_SIZE + 10
    users = make_users(count)
    group = create_group(users_client, "Huge")
    queries = measure(users_client, group["id"], add(users))
    assert len(queries) <= MAX_IN_TEST + 3
    assert len(member_ids(group["id"])) == count == len(host_member_ids(group["id"]))


# Reading -------------------------------------------------------------------------------


def test_get_without_members_does_not_touch_the_membership_table(users_client, big):
    group, _members, _outsiders = big
    for params in ({"excludedAttributes": "members"}, {"attributes": "displayName"}):
        with CaptureQueriesContext(connection) as context:
            response = users_client.get(f"{GROUPS}/{group['id']}", params)
        assert response.status_code == 200 and "members" not in response.json()
        touched = [q["sql"] for q in context.captured_queries if MEMBERSHIP_TABLE in q["sql"]]
        assert touched == []


def test_list_without_members_does_not_touch_the_membership_table(users_client, big):
    for n in range(5):
        create_group(users_client, f"Group {n}")
    for params in (
        {"excludedAttributes": "members"},
        {"excludedAttributes": "members", "filter": 'displayName eq "everyone"'},
    ):
        with CaptureQueriesContext(connection) as context:
            response = users_client.get(GROUPS, params)
        assert response.status_code == 200
        assert all("members" not in g for g in response.json()["Resources"])
        touched = [q["sql"] for q in context.captured_queries if MEMBERSHIP_TABLE in q["sql"]]
        assert touched == []


def test_get_with_members_is_a_constant_number_of_queries(
    users_client, big, django_assert_max_num_queries
):
    group, members, _outsiders = big
    small = create_group(users_client, "Small", ids(members[:2]))
    with CaptureQueriesContext(connection) as two:
        assert len(users_client.get(f"{GROUPS}/{small['id']}").json()["members"]) == 2
    with django_assert_max_num_queries(len(two.captured_queries)):
        response = users_client.get(f"{GROUPS}/{group['id']}")
    assert len(response.json()["members"]) == SIZE


def test_list_with_members_is_a_constant_number_of_queries(
    users_client, big, django_assert_max_num_queries
):
    group, members, _outsiders = big
    for n in range(10):
        create_group(users_client, f"Group {n}", ids(members[n * 10 : n * 10 + 10]))
    with CaptureQueriesContext(connection) as one:
        users_client.get(GROUPS, {"count": 1})
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = users_client.get(GROUPS, {"count": 100}).json()
    assert body["totalResults"] == 11
    assert [len(g.get("members", [])) for g in body["Resources"]] == [SIZE] + [10] * 10


def test_auto_answers_with_the_group_until_it_is_too_large(users_client, scim_config):
    """GROUP_PATCH_RESPONSE="auto" (default): 200 with the members up to the limit, then
    204 — the bounded read of the members decides, no extra query."""
    scim_config(GROUP_PATCH_RESPONSE_MAX_MEMBERS=3)
    users = make_users(5)
    group = create_group(users_client, "Limit", [u.scim_id for u in users[:2]])
    grow = patch(
        users_client,
        group["id"],
        {"op": "add", "path": "members", "value": [{"value": str(users[2].scim_id)}]},
    )
    assert grow.status_code == 200
    assert len(grow.json()["members"]) == 3
    with CaptureQueriesContext(connection) as at_limit:
        over = patch(
            users_client,
            group["id"],
            {"op": "add", "path": "members", "value": [{"value": str(users[3].scim_id)}]},
        )
    assert over.status_code == 204 and not over.content
    assert member_ids(group["id"]) == {str(u.scim_id) for u in users[:4]}
    selected = users_client.patch(
        f"{GROUPS}/{group['id']}?excludedAttributes=members",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": str(users[4].scim_id)}]}
            ],
        },
        format="json",
    )
    assert selected.status_code == 200 and "members" not in selected.json()
    assert len(at_limit.captured_queries) <= MAX_IN_TEST


def test_auto_counts_and_lists_only_live_members_in_the_order_they_joined(
    users_client, scim_config
):
    """The bounded read skips soft-deleted users (their links keep the membership row) and
    keeps the joining order, whichever users they are."""
    scim_config(GROUP_PATCH_RESPONSE_MAX_MEMBERS=3)
    users = make_users(5)
    joined = [users[4], users[0], users[3]]  # not in primary-key order
    group = create_group(users_client, "Live", [])
    for user in joined:
        patch(users_client, group["id"], add([user]))
    users[0].deleted_at = timezone.now()
    users[0].save(update_fields=["deleted_at"])
    grow = patch(users_client, group["id"], add([users[2]]))
    assert grow.status_code == 200  # three live members: at the limit, not over it
    assert [m["value"] for m in grow.json()["members"]] == [
        str(u.scim_id) for u in (users[4], users[3], users[2])
    ]
    assert patch(users_client, group["id"], add([users[1]])).status_code == 204
