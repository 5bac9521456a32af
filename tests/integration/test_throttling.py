"""Rate limits: per token and per address for failed authentication, 429 with Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.test import APIClient

from scim_provider import network, ratelimit, services
from scim_provider.ratelimit import Rate, parse_rate
from tests.conftest import SCIM, assert_scim_error

pytestmark = pytest.mark.django_db

CONFIG = f"{SCIM}/ServiceProviderConfig"


def client_for(plaintext: str, address: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/min", Rate(600, 60)),
        ("25/s", Rate(25, 1)),
        ("25/sec", Rate(25, 1)),
        ("1000/10m", Rate(1000, 600)),
        (" 5 / Hour ", Rate(5, 3600)),
        ("7/day", Rate(7, 86400)),
        (None, None),
    ],
)
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "600", "600/fortnight", "0/min", "-1/s", "1/0s", 600])
def test_parse_rate_rejects(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_token_limit_gives_429_with_integer_retry_after(scim_config, scim_plaintext, frozen_clock):
    scim_config(RATE_LIMIT="3/min")
    client = client_for(scim_plaintext)
    for _ in range(3):
        assert client.get(CONFIG).status_code == 200
    response = client.get(CONFIG)
    body = assert_scim_error(response, 429)
    assert "Retry-After" in body["detail"]
    retry_after = response["Retry-After"]
    assert retry_after.isdigit() and 1 <= int(retry_after) <= 120

    # Exactly Retry-After seconds later (what Okta waits), the token is served again.
    frozen_clock.now += int(retry_after) - 1
    assert client.get(CONFIG).status_code == 429
    frozen_clock.now += 1
    assert client.get(CONFIG).status_code == 200


def test_refused_requests_do_not_count(scim_config, scim_plaintext, frozen_clock):
    scim_config(RATE_LIMIT="2/min")
    client = client_for(scim_plaintext)
    assert [client.get(CONFIG).status_code for _ in range(10)] == [200, 200] + [429] * 8
    frozen_clock.now += 120
    assert client.get(CONFIG).status_code == 200


def test_sliding_window_weighs_the_previous_window(scim_config, scim_plaintext, frozen_clock):
    scim_config(RATE_LIMIT="10/min")
    client = client_for(scim_plaintext)
    frozen_clock.now += 50  # late in the first minute
    assert all(client.get(CONFIG).status_code == 200 for _ in range(10))
    frozen_clock.now += 15  # 5 s into the next minute: 10 * 55/60 still count
    assert client.get(CONFIG).status_code == 429
    frozen_clock.now += 25  # 30 s in: 5 count, 5 more are allowed
    assert [client.get(CONFIG).status_code for _ in range(6)] == [200] * 5 + [429]


def test_each_token_has_its_own_budget(scim_config, scim_plaintext, frozen_clock):
    scim_config(RATE_LIMIT="2/min")
    _, other_plaintext = services.create_token("other")
    first, second = client_for(scim_plaintext), client_for(other_plaintext)
    assert [first.get(CONFIG).status_code for _ in range(3)] == [200, 200, 429]
    assert [second.get(CONFIG).status_code for _ in range(3)] == [200, 200, 429]


def test_every_endpoint_and_method_counts(scim_config, scim_plaintext, frozen_clock):
    scim_config(RATE_LIMIT="3/min")
    client = client_for(scim_plaintext)
    client.get(f"{SCIM}/Users")
    client.post(f"{SCIM}/Users", {"userName": "a@example.com"}, format="json")
    client.get(f"{SCIM}/Nope")
    assert_scim_error(client.delete(f"{SCIM}/Groups/x"), 429)


def test_no_limit(scim_config, scim_plaintext):
    scim_config(RATE_LIMIT=None)
    client = client_for(scim_plaintext)
    assert all(client.get(CONFIG).status_code == 200 for _ in range(50))


def test_failed_authentication_limit_per_address(scim_config, scim_plaintext, frozen_clock):
    scim_config(AUTH_FAILURE_RATE_LIMIT="3/min")
    attacker = client_for("scim_" + "x" * 50, "203.0.113.9")
    assert [attacker.get(CONFIG).status_code for _ in range(5)] == [401, 401, 401, 429, 429]
    response = attacker.get(CONFIG)
    assert_scim_error(response, 429)
    assert int(response["Retry-After"]) >= 1
    # Only failing credentials are refused: a valid token from that address is served.
    assert client_for(scim_plaintext, "203.0.113.9").get(CONFIG).status_code == 200
    assert attacker.get(CONFIG).status_code == 429
    # Other addresses are not affected.
    assert client_for("scim_" + "y" * 50, "198.51.100.1").get(CONFIG).status_code == 401
    frozen_clock.now += 120
    assert attacker.get(CONFIG).status_code == 401


def test_missing_credentials_count_as_failures(scim_config, frozen_clock):
    scim_config(AUTH_FAILURE_RATE_LIMIT="2/min")
    client = APIClient(REMOTE_ADDR="203.0.113.10")
    assert [client.get(CONFIG).status_code for _ in range(3)] == [401, 401, 429]


def bad_token() -> str:
    """A well-formed token that does not exist, with a key of its own."""
    from scim_provider import tokens

    return tokens.generate_token("scim_")


def test_forwarded_address_with_trusted_proxies(scim_config, frozen_clock):
    scim_config(AUTH_FAILURE_RATE_LIMIT="1/min", NUM_PROXIES=1)

    def attempt(forwarded: str) -> int:
        client = client_for(bad_token(), "10.0.0.1")  # the load balancer
        return client.get(CONFIG, HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert attempt("198.51.100.7") == 401
    assert attempt("198.51.100.7") == 429
    # A spoofed left-most hop does not escape: only the proxy's own entry is trusted.
    assert attempt("1.2.3.4, 198.51.100.7") == 429
    assert attempt("198.51.100.8") == 401


def test_failures_are_counted_per_presented_token_key(scim_config, frozen_clock):
    """Guessing the secret of one token (its key is not secret) is limited whatever the
    addresses; other keys from those addresses are not."""
    scim_config(AUTH_FAILURE_RATE_LIMIT="3/min")
    guessed = bad_token()
    statuses = [
        client_for(guessed[:-5] + f"{n:05d}", f"198.51.100.{n}").get(CONFIG).status_code
        for n in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    assert client_for(bad_token(), "198.51.100.9").get(CONFIG).status_code == 401


def test_a_valid_token_is_never_refused_for_failures(scim_config, scim_token, frozen_clock):
    """One tenant's broken integration floods a shared egress address, and even sends
    another token's key with a wrong secret: the valid tokens of every tenant keep working
    from that address (identity providers send every customer's traffic from a few)."""
    from tests.factories import OrganizationFactory

    scim_config(
        AUTH_FAILURE_RATE_LIMIT="30/min", TENANT_MODEL="testapp.Organization", RATE_LIMIT=None
    )
    shared = "203.0.113.50"
    valid = {
        org.pk: services.create_token("Okta", tenant=org)[1]
        for org in OrganizationFactory.create_batch(2)
    }
    broken = client_for(bad_token(), shared)
    assert {broken.get(CONFIG).status_code for _ in range(45)} == {401, 429}
    assert broken.get(CONFIG).status_code == 429
    for plaintext in valid.values():
        wrong_secret = plaintext[:-5] + ("00000" if plaintext[-5:] != "00000" else "11111")
        assert client_for(wrong_secret, shared).get(CONFIG).status_code == 429
        client = client_for(plaintext, shared)
        assert all(client.get(f"{SCIM}/Users").status_code == 200 for _ in range(5))


def test_tenant_limit_spans_its_tokens(scim_config, frozen_clock):
    from tests.factories import OrganizationFactory

    scim_config(RATE_LIMIT="10/min", TENANT_RATE_LIMIT="4/min", TENANT_MODEL="testapp.Organization")
    org, other = OrganizationFactory.create_batch(2)
    first, second = (client_for(services.create_token(n, tenant=org)[1]) for n in "ab")
    assert [first.get(CONFIG).status_code for _ in range(3)] == [200] * 3
    assert [second.get(CONFIG).status_code for _ in range(2)] == [200, 429]
    assert_scim_error(first.get(CONFIG), 429)
    # Another tenant, and a token without a tenant, have budgets of their own.
    assert client_for(services.create_token("c", tenant=other)[1]).get(CONFIG).status_code == 200
    assert client_for(services.create_token("d")[1]).get(CONFIG).status_code == 200


def bulk_of(count: int) -> dict:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {
                "method": "POST",
                "path": "/Users",
                "bulkId": f"u{n}",
                "data": {"userName": f"bulk{n}@example.com"},
            }
            for n in range(count)
        ],
    }


def test_bulk_counts_each_operation(scim_config, scim_plaintext, frozen_clock):
    from scim_provider.models import ScimUser

    scim_config(RATE_LIMIT="10/min")
    client = client_for(scim_plaintext)
    assert client.post(f"{SCIM}/Bulk", bulk_of(6), format="json").status_code == 200
    refused = client.post(f"{SCIM}/Bulk", bulk_of(5), format="json")
    assert_scim_error(refused, 429)
    assert ScimUser.objects.count() == 6  # the refused Bulk ran nothing
    assert [client.get(CONFIG).status_code for _ in range(5)] == [200] * 4 + [429]
    # A Bulk larger than the whole budget waits for an empty window, then runs.
    frozen_clock.now += 180
    assert client.post(f"{SCIM}/Bulk", bulk_of(12), format="json").status_code == 200
    assert client.get(CONFIG).status_code == 429


def test_bulk_counts_against_the_tenant_limit(scim_config, frozen_clock):
    from tests.factories import OrganizationFactory

    scim_config(
        RATE_LIMIT=None,
        TENANT_RATE_LIMIT="8/min",
        TENANT_MODEL="testapp.Organization",
        DOMAIN_POLICY="off",
    )
    org = OrganizationFactory()
    first, second = (client_for(services.create_token(n, tenant=org)[1]) for n in "ab")
    assert first.post(f"{SCIM}/Bulk", bulk_of(7), format="json").status_code == 200
    assert second.get(CONFIG).status_code == 200
    assert second.get(CONFIG).status_code == 429


@pytest.mark.parametrize(
    ("meta", "proxies", "expected"),
    [
        ({"REMOTE_ADDR": "127.0.0.1"}, None, "127.0.0.1"),
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "9.9.9.9"}, None, "127.0.0.1"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "9.9.9.9, 8.8.8.8"}, 1, "8.8.8.8"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "9.9.9.9, 8.8.8.8"}, 2, "9.9.9.9"),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "8.8.8.8"}, 3, "8.8.8.8"),
        ({"REMOTE_ADDR": "not an address"}, None, None),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "junk"}, 1, None),
        ({}, None, None),
    ],
)
def test_client_ip(scim_config, rf, meta, proxies, expected):
    scim_config(NUM_PROXIES=proxies)
    request = rf.get("/", **meta)
    if "REMOTE_ADDR" not in meta:
        del request.META["REMOTE_ADDR"]
    assert network.client_ip(request) == expected


def test_one_address_everywhere_behind_a_proxy(scim_config, scim_plaintext):
    """Authentication (the token's last use), the request log and throttling all see the
    address NUM_PROXIES says, not the proxy's."""
    from scim_provider.models import ScimRequestLog, ScimToken

    scim_config(NUM_PROXIES=1, REQUEST_LOG="all")
    client = APIClient(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="203.0.113.7")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {scim_plaintext}")
    assert client.get(f"{SCIM}/Users").status_code == 200
    assert ScimToken.objects.get().last_used_ip == "203.0.113.7"
    assert ScimRequestLog.objects.get(path=f"{SCIM}/Users").client_ip == "203.0.113.7"


def test_limits_are_shared_through_the_cache(scim_config, scim_plaintext, frozen_clock):
    """Two "processes" share the budget when they share the cache: counters live only there."""
    from django.core.cache import caches

    scim_config(RATE_LIMIT="2/min")
    client = client_for(scim_plaintext)
    assert client.get(CONFIG).status_code == 200
    keys = [k for k in caches["default"]._cache if ratelimit.KEY_PREFIX in str(k)]
    assert keys, "the counter is in the cache"
    assert client_for(scim_plaintext).get(CONFIG).status_code == 200
    assert client_for(scim_plaintext).get(CONFIG).status_code == 429
    caches["default"].clear()  # a new window or a flushed cache
    assert client.get(CONFIG).status_code == 200


def test_cache_failure_fails_open(scim_config, scim_plaintext, settings):
    settings.CACHES = {
        **settings.CACHES,
        "broken": {"BACKEND": "tests.integration.test_throttling.BrokenCache"},
    }
    scim_config(RATE_LIMIT="1/min", AUTH_FAILURE_RATE_LIMIT="1/min", RATE_LIMIT_CACHE="broken")
    client = client_for(scim_plaintext)
    assert [client.get(CONFIG).status_code for _ in range(3)] == [200, 200, 200]
    bad = client_for("scim_" + "x" * 50)
    assert [bad.get(CONFIG).status_code for _ in range(3)] == [401, 401, 401]


def test_retry_after_function():
    rate = Rate(10, 60)
    # Nothing before: wait for the next window, then part of it.
    assert ratelimit.retry_after(0, 10, rate, elapsed=0) == 60 + 6
    # Previous window full, 5 in this one, 30 s in: 10 * 30/60 + 5 = 10 count; after 6 s
    # more, 10 * 24/60 + 5 + 1 = 10 fits.
    assert ratelimit.retry_after(10, 5, rate, elapsed=30) == 6


class BrokenCache(LocMemCache):
    """A cache whose server is down."""

    def __init__(self, name="broken", params=None):
        super().__init__(name, params or {})

    def _fail(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    get = get_many = incr = decr = add = set = _fail
