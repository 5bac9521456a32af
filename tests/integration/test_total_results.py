"""``totalResults`` without a COUNT: last pages, and the count cache of large tenants."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from scim_provider import counts
from scim_provider.adapters import get_user_adapter
from scim_provider.registry import USER

pytestmark = pytest.mark.django_db

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def create(client, name):
    body = {"schemas": [USER_SCHEMA], "userName": name}
    response = client.post("/scim/v2/Users", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_last_page_and_lookup_need_no_count(scim_client, django_assert_num_queries):
    for n in range(3):
        create(scim_client, f"count{n}@example.com")
    page = scim_client.get("/scim/v2/Users?startIndex=2&count=10").json()
    assert (page["totalResults"], page["itemsPerPage"]) == (3, 2)
    full = scim_client.get("/scim/v2/Users?startIndex=1&count=2").json()
    assert (full["totalResults"], full["itemsPerPage"]) == (3, 2)
    beyond = scim_client.get("/scim/v2/Users?startIndex=10&count=2").json()
    assert (beyond["totalResults"], beyond["Resources"]) == (3, [])
    none = scim_client.get('/scim/v2/Users?filter=userName eq "nobody"').json()
    assert none["totalResults"] == 0
    zero = scim_client.get("/scim/v2/Users?count=0").json()
    assert (zero["totalResults"], zero["Resources"]) == (3, [])


def test_large_counts_are_cached_and_kept_up_to_date(
    scim_client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(counts, "CACHE_FROM", 2)
    cache = caches["default"]
    key = counts.cache_key(USER, "")
    cache.delete(key)
    ids = [create(scim_client, f"cached{n}@example.com") for n in range(3)]
    assert scim_client.get("/scim/v2/Users?count=1").json()["totalResults"] == 3
    assert cache.get(key) == 3
    with django_capture_on_commit_callbacks(execute=True):
        create(scim_client, "cached3@example.com")  # +1 on commit
    assert cache.get(key) == 4
    assert scim_client.get("/scim/v2/Users?count=1").json()["totalResults"] == 4
    with django_capture_on_commit_callbacks(execute=True):
        assert scim_client.delete(f"/scim/v2/Users/{ids[0]}").status_code == 204
    assert cache.get(key) is None  # dropped: recounted next time
    assert scim_client.get("/scim/v2/Users?count=1").json()["totalResults"] == 3
    cache.delete(key)


def test_small_counts_are_not_cached(scim_client):
    key = counts.cache_key(USER, "")
    caches["default"].delete(key)
    create(scim_client, "small@example.com")
    create(scim_client, "small2@example.com")
    assert scim_client.get("/scim/v2/Users?count=1").json()["totalResults"] == 2
    assert caches["default"].get(key) is None
    assert counts.total(get_user_adapter(""), get_user_adapter("").get_queryset()) == 2
