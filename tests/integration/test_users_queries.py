"""Query counts: constant whatever the table and page size (issue 5 "Tests and numbers").

Each request is made once before it is counted: the first of a shape is compiled
(``scim_provider.compiled``), and on SQLite Django probes its JSON support once.

Writes run with ``transaction=True``: the request's ``atomic`` is then a real transaction,
as in production, rather than a savepoint inside the test's; its BEGIN and COMMIT are
counted. A PATCH: token, the locked link (and groups), the user, the profile, the link.
A create: token, the userName check, the user, the link, its emails (``ScimValue``), the new
link's groups.
"""

from __future__ import annotations

import pytest

from scim_provider import registry
from tests.factories import ScimUserFactory, patch_body
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile_location():
    registry.register("profile.location", field="profile__location")
    yield
    registry.unregister("profile.location")


@pytest.mark.parametrize("size", [5, 150])
def test_list_page(users_client, django_assert_max_num_queries, size, profile_location):
    ScimUserFactory.create_batch(size)
    users_client.get(USERS, {"count": 100})
    with django_assert_max_num_queries(3):  # token, page (and groups), count
        response = users_client.get(USERS, {"count": 100})
    body = response.json()
    assert body["totalResults"] == size and body["itemsPerPage"] == min(size, 100)


def test_filtered_lookup(users_client, django_assert_max_num_queries, profile_location):
    links = ScimUserFactory.create_batch(30)
    name = links[7].user_name_key
    users_client.get(USERS, {"filter": 'userName eq "nobody"', "startIndex": 1, "count": 100})
    with django_assert_max_num_queries(2):  # token, page (and groups); no count: one page
        response = users_client.get(
            USERS, {"filter": f'userName eq "{name.upper()}"', "startIndex": 1, "count": 100}
        )
    assert response.json()["totalResults"] == 1


def test_get_by_id(users_client, django_assert_max_num_queries, profile_location):
    link = ScimUserFactory()
    users_client.get(f"{USERS}/{link.scim_id}")
    with django_assert_max_num_queries(2):  # token, link (and groups)
        assert users_client.get(f"{USERS}/{link.scim_id}").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_patch_and_put(users_client, create_user, django_assert_max_num_queries, profile_location):
    user = create_user()
    url = f"{USERS}/{user['id']}"
    with django_assert_max_num_queries(7):
        response = users_client.patch(
            url,
            patch_body(
                {"op": "replace", "path": "displayName", "value": "X"},
                {"op": "replace", "path": "active", "value": "False"},
                {"op": "add", "path": "profile.location", "value": "Paris"},
            ),
            format="json",
        )
    assert response.status_code == 200
    body = {**response.json(), "title": "Boss", "active": True}
    with django_assert_max_num_queries(7):
        assert users_client.put(url, body, format="json").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_create(users_client, create_user, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        create_user()
