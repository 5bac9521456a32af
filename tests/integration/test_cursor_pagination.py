"""Cursor pagination (RFC 9865): keyset pages, signed cursors bound to token, tenant, query."""

from __future__ import annotations

import re
import time

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scim_provider import services
from scim_provider.models import ScimGroup, ScimUser
from tests.conftest import SCIM, assert_scim_error
from tests.factories import ScimUserFactory, UserFactory
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db

GROUPS = f"{SCIM}/Groups"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]+")


@pytest.fixture
def many(db):
    return ScimUserFactory.create_batch(250)


def cursor_page(client, url=USERS, **params) -> dict:
    params.setdefault("cursor", "")
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert "startIndex" not in body
    assert body["itemsPerPage"] == len(body["Resources"])
    if "nextCursor" in body:
        assert UNRESERVED.fullmatch(body["nextCursor"])
    return body


def walk(client, url=USERS, **params) -> list[dict]:
    """Every page of a cursor walk, from the empty cursor to the page without nextCursor."""
    pages = [cursor_page(client, url, **params)]
    while "nextCursor" in pages[-1]:
        pages.append(cursor_page(client, url, **{**params, "cursor": pages[-1]["nextCursor"]}))
        assert len(pages) < 100
    return pages


def ids(pages: list[dict]) -> list[str]:
    return [resource["id"] for page in pages for resource in page["Resources"]]


def test_walk_of_250_users_by_100_sees_each_once_in_three_pages(users_client, many):
    pages = walk(users_client, count=100)
    assert [len(page["Resources"]) for page in pages] == [100, 100, 50]
    seen = ids(pages)
    assert len(seen) == len(set(seen)) == 250
    assert set(seen) == {str(link.scim_id) for link in many}
    assert "nextCursor" not in pages[-1]
    # totalResults costs a COUNT: on the first page only (CURSOR_TOTAL_RESULTS = "first").
    assert pages[0]["totalResults"] == 250
    assert all("totalResults" not in page for page in pages[1:])


def test_search_body_walks_with_a_cursor_key(users_client, many):
    def search(body):
        response = users_client.post(
            f"{USERS}/.search", {"schemas": [SEARCH_URN], **body}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    pages = [search({"cursor": "", "count": 100})]
    while "nextCursor" in pages[-1]:
        pages.append(search({"cursor": pages[-1]["nextCursor"], "count": 100}))
    assert len(pages) == 3
    assert len(set(ids(pages))) == 250


def test_groups_walk(users_client):
    for n in range(7):
        ScimGroup.objects.create(display_name=f"Team {n}", display_name_key=f"team {n}")
    pages = walk(users_client, GROUPS, count=3)
    assert [len(page["Resources"]) for page in pages] == [3, 3, 1]
    assert sorted(r["displayName"] for p in pages for r in p["Resources"]) == [
        f"Team {n}" for n in range(7)
    ]


def test_keyset_neither_skips_nor_repeats_when_rows_change_between_pages(users_client):
    links = ScimUserFactory.create_batch(6)
    first = cursor_page(users_client, count=3)
    ScimUser.objects.filter(pk=links[0].pk).delete()  # a row of the page already served
    late = ScimUserFactory()  # a row created after the walk began
    second = cursor_page(users_client, count=3, cursor=first["nextCursor"])
    assert [r["id"] for r in second["Resources"]] == [str(link.scim_id) for link in links[3:]]
    third = cursor_page(users_client, count=3, cursor=second["nextCursor"])
    assert [r["id"] for r in third["Resources"]] == [str(late.scim_id)]


def test_each_page_costs_the_same_queries_and_only_the_first_counts(users_client, many):
    cursor, counts = "", []
    for _ in range(3):
        with CaptureQueriesContext(connection) as captured:
            body = cursor_page(users_client, count=100, cursor=cursor)
        counts.append(sum("COUNT(" in q["sql"].upper() for q in captured.captured_queries))
        assert len(captured.captured_queries) <= 4, [q["sql"] for q in captured]
        cursor = body.get("nextCursor", "")
    assert counts == [1, 0, 0]


def test_tampered_cursor_is_invalid(users_client, many):
    cursor = cursor_page(users_client, count=100)["nextCursor"]
    middle = len(cursor) // 2
    flipped = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    for bad in (flipped, cursor[:-1], "not-a-cursor", cursor + "x"):
        response = users_client.get(USERS, {"cursor": bad, "count": 100})
        assert_scim_error(response, 400, "invalidCursor")


def test_cursor_older_than_cursor_timeout_is_expired(users_client, many, scim_config, monkeypatch):
    scim_config(CURSOR_TIMEOUT=60)
    issued_at = int(time.time()) - 61
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(issued_at)
    )
    cursor = cursor_page(users_client, count=100)["nextCursor"]
    monkeypatch.undo()
    response = users_client.get(USERS, {"cursor": cursor, "count": 100})
    assert_scim_error(response, 400, "expiredCursor")
    # Within the timeout, the same kind of cursor is fine.
    fresh = cursor_page(users_client, count=100)["nextCursor"]
    assert cursor_page(users_client, count=100, cursor=fresh)["Resources"]


def test_cursor_of_another_token_is_invalid(users_client, many):
    cursor = cursor_page(users_client, count=100)["nextCursor"]
    _token, plaintext = services.create_token("another")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert_scim_error(other.get(USERS, {"cursor": cursor}), 400, "invalidCursor")
    assert cursor_page(other, count=100)["totalResults"] == 250  # its own walk works


def test_cursor_of_another_tenant_is_invalid(tenant_clients):
    client_a, client_b = tenant_clients
    for client in (client_a, client_b):
        for _ in range(3):
            ScimUserFactory(tenant_id=client.tenant_id)
    cursor = cursor_page(client_a, count=2)["nextCursor"]
    assert_scim_error(client_b.get(USERS, {"cursor": cursor}), 400, "invalidCursor")
    assert len(ids(walk(client_b, count=2))) == 3


def test_cursor_is_bound_to_its_filter_and_resource_type(users_client, many):
    wanted = ScimUserFactory.create_batch(5, external_id="special")
    pages = walk(users_client, count=2, filter='externalId eq "special"')
    assert [len(page["Resources"]) for page in pages] == [2, 2, 1]
    assert set(ids(pages)) == {str(link.scim_id) for link in wanted}
    assert pages[0]["totalResults"] == 5

    cursor = cursor_page(users_client, count=2, filter='externalId eq "special"')["nextCursor"]
    for params in (
        {"filter": 'externalId eq "other"'},
        {},
        {"filter": 'externalId eq "special"', "attributes": "userName"},
    ):
        response = users_client.get(USERS, {"cursor": cursor, "count": 2, **params})
        assert_scim_error(response, 400, "invalidCursor")
    assert_scim_error(users_client.get(GROUPS, {"cursor": cursor}), 400, "invalidCursor")
    # count may change from page to page.
    same = {"filter": 'externalId eq "special"', "cursor": cursor, "count": 10}
    assert len(cursor_page(users_client, **same)["Resources"]) == 3


def test_attributes_apply_to_cursor_pages(users_client, many):
    body = cursor_page(users_client, count=5, attributes="userName")
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}
    following = cursor_page(users_client, count=5, attributes="userName", cursor=body["nextCursor"])
    assert len(following["Resources"]) == 5


@pytest.mark.parametrize(
    "params, scim_type",
    [
        ({"cursor": "", "sortBy": "userName"}, "invalidValue"),
        ({"cursor": "", "startIndex": "1"}, "invalidValue"),
        ({"cursor": "", "count": "many"}, "invalidValue"),
    ],
)
def test_refused_combinations(users_client, params, scim_type):
    assert_scim_error(users_client.get(USERS, params), 400, scim_type)


def test_count_zero_gives_the_total_and_no_cursor(users_client, many):
    body = cursor_page(users_client, count=0)
    assert body["Resources"] == [] and body["totalResults"] == 250
    assert "nextCursor" not in body


def test_count_is_clamped_to_max_page_size(users_client, many, scim_config):
    scim_config(MAX_PAGE_SIZE=40, DEFAULT_PAGE_SIZE=20)
    assert len(cursor_page(users_client, count=1000)["Resources"]) == 40
    assert len(cursor_page(users_client)["Resources"]) == 20


@pytest.mark.parametrize("mode, expected", [("always", [3, 3, 3]), ("never", [None] * 3)])
def test_cursor_total_results_setting(users_client, scim_config, mode, expected):
    scim_config(CURSOR_TOTAL_RESULTS=mode)
    ScimUserFactory.create_batch(3)
    pages = walk(users_client, count=1)
    assert [page.get("totalResults") for page in pages] == expected


def test_default_pagination_cursor(users_client, scim_config):
    scim_config(DEFAULT_PAGINATION="cursor")
    ScimUserFactory.create_batch(3)
    body = users_client.get(USERS, {"count": 2}).json()
    assert "nextCursor" in body and "startIndex" not in body
    # startIndex still pages by index (Okta).
    indexed = users_client.get(USERS, {"startIndex": 2, "count": 2}).json()
    assert indexed["startIndex"] == 2 and indexed["totalResults"] == 3
    assert "nextCursor" not in indexed


def test_index_paging_is_unchanged_without_a_cursor(users_client, many):
    body = users_client.get(USERS, {"startIndex": 101, "count": 100}).json()
    assert body["startIndex"] == 101 and body["totalResults"] == 250
    assert len(body["Resources"]) == 100 and "nextCursor" not in body


def test_cursor_pagination_can_be_turned_off(users_client, scim_config):
    scim_config(CURSOR_PAGINATION=False)
    assert_scim_error(users_client.get(USERS, {"cursor": ""}), 400, "invalidCursor")
    config = users_client.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["pagination"]["cursor"] is False


def test_service_provider_config_advertises_pagination(users_client, scim_config):
    scim_config(CURSOR_TIMEOUT=600, MAX_PAGE_SIZE=500, DEFAULT_PAGE_SIZE=50)
    config = users_client.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 50,
        "maxPageSize": 500,
        "cursorTimeout": 600,
    }


def test_cursor_needs_no_host_user_queries_per_row(users_client, django_assert_max_num_queries):
    UserFactory.create_batch(3)  # unlinked host users are not listed
    ScimUserFactory.create_batch(30)
    with django_assert_max_num_queries(4):
        body = cursor_page(users_client, count=30)
    assert len(body["Resources"]) == 30 and "nextCursor" not in body
