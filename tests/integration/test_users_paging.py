"""Paging (RFC 7644 §3.4.2.4): startIndex/count, stable order, the IdPs' import loops."""

from __future__ import annotations

import pytest

from tests.conftest import assert_scim_error
from tests.factories import ScimUserFactory
from tests.integration.conftest import USERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve(db):
    return ScimUserFactory.create_batch(12)


def page(client, **params):
    response = client.get(USERS, params)
    assert response.status_code == 200, response.content
    body = response.json()
    for key in ("totalResults", "startIndex", "itemsPerPage"):
        assert type(body[key]) is int
    assert body["itemsPerPage"] == len(body["Resources"])
    return body


def test_okta_import_loop_sees_every_user_exactly_once(users_client, twelve):
    seen, start = [], 1
    while True:
        body = page(users_client, startIndex=start, count=5)
        assert body["startIndex"] == start
        assert body["totalResults"] == 12
        seen += [user["id"] for user in body["Resources"]]
        start += 5
        if start > body["totalResults"]:
            break
    assert len(seen) == len(set(seen)) == 12
    assert set(seen) == {str(link.scim_id) for link in twelve}


def test_entra_count_5_loop(users_client, twelve):
    seen, start = [], 1
    for _ in range(10):
        body = page(users_client, startIndex=start, count=5)
        assert body["startIndex"] == start
        if not body["Resources"]:
            break
        seen += [user["id"] for user in body["Resources"]]
        start += len(body["Resources"])
    assert len(seen) == len(set(seen)) == 12


def test_order_is_the_same_whatever_the_page_size(users_client, twelve):
    whole = [u["id"] for u in page(users_client, count=100)["Resources"]]
    pieces = []
    for start in range(1, 13, 3):
        pieces += [u["id"] for u in page(users_client, startIndex=start, count=3)["Resources"]]
    assert pieces == whole
    assert whole == [str(link.scim_id) for link in twelve]


def test_okta_test_connection_probe(users_client, twelve):
    body = page(users_client, startIndex=1, count=2)
    assert body["totalResults"] == 12 and len(body["Resources"]) == 2


def test_empty_table(users_client):
    body = page(users_client, startIndex=1, count=100)
    assert body["totalResults"] == 0 and body["Resources"] == [] and body["startIndex"] == 1


def test_count_zero_gives_the_total_only(users_client, twelve):
    body = page(users_client, count=0)
    assert body["totalResults"] == 12 and body["Resources"] == []


def test_negative_count_is_read_as_zero(users_client, twelve):
    body = page(users_client, count=-3)
    assert body["totalResults"] == 12 and body["Resources"] == []


@pytest.mark.parametrize("start", [0, -5])
def test_start_index_below_one_is_one(users_client, twelve, start):
    body = page(users_client, startIndex=start, count=2)
    assert body["startIndex"] == 1
    assert [u["id"] for u in body["Resources"]] == [str(link.scim_id) for link in twelve[:2]]


def test_start_index_past_the_end(users_client, twelve):
    body = page(users_client, startIndex=50, count=10)
    assert body["totalResults"] == 12 and body["Resources"] == [] and body["startIndex"] == 50


def test_count_is_clamped_to_max_page_size(users_client, twelve, scim_config):
    scim_config(MAX_PAGE_SIZE=4, DEFAULT_PAGE_SIZE=4)
    body = page(users_client, count=1000)
    assert body["itemsPerPage"] == 4 and body["totalResults"] == 12
    config = users_client.get("/scim/v2/ServiceProviderConfig").json()
    assert config["filter"]["maxResults"] == 4


def test_default_page_size(users_client, twelve, scim_config):
    scim_config(DEFAULT_PAGE_SIZE=5)
    assert page(users_client)["itemsPerPage"] == 5


@pytest.mark.parametrize(
    "params", [{"count": "ten"}, {"startIndex": "1.5"}, {"count": "1e3"}, {"startIndex": "x"}]
)
def test_non_integer_is_400(users_client, twelve, params):
    assert_scim_error(users_client.get(USERS, params), 400, "invalidValue")


def test_paging_a_filter(users_client, twelve):
    body = page(users_client, filter='userName ew "@example.com"', startIndex=11, count=5)
    assert body["totalResults"] == 12 and body["itemsPerPage"] == 2


def test_search_body_paging(users_client, twelve):
    response = users_client.post(
        f"{USERS}/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "startIndex": 4,
            "count": 4,
        },
        format="json",
    )
    body = response.json()
    assert body["startIndex"] == 4 and body["itemsPerPage"] == 4
    assert_scim_error(
        users_client.post(
            f"{USERS}/.search",
            {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": True},
            format="json",
        ),
        400,
        "invalidValue",
    )


def test_unknown_query_parameters_are_ignored(users_client, twelve):
    response = users_client.get(f"{USERS}?aadOptscim062020&startIndex=1&count=3")
    assert response.status_code == 200 and response.json()["itemsPerPage"] == 3


def test_sequential_pages_continue_from_a_bookmark_not_an_offset(users_client, twelve):
    """Okta's import loop: page n+1 reads ``pk > last`` (a range scan at any depth)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = page(users_client, startIndex=1, count=5)
    with CaptureQueriesContext(connection) as captured:
        second = page(users_client, startIndex=6, count=5)
    sql = " ".join(q["sql"] for q in captured.captured_queries if "scimuser" in q["sql"])
    assert "OFFSET" not in sql.upper()
    # The same rows as OFFSET paging gives a client that jumps there directly.
    from rest_framework.test import APIClient

    from scim_provider import services

    _token, other = services.create_token("another client")
    jumper = APIClient()
    jumper.credentials(HTTP_AUTHORIZATION=f"Bearer {other}")
    direct = page(jumper, startIndex=6, count=5)
    assert [r["id"] for r in second["Resources"]] == [r["id"] for r in direct["Resources"]]
    assert not {r["id"] for r in first["Resources"]} & {r["id"] for r in second["Resources"]}
    assert second["totalResults"] == direct["totalResults"] == 12
