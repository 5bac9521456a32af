"""Rate limits on Django's cache framework (RFC 6585 §4: 429 with ``Retry-After``).

Sliding windows kept in the cache named by ``RATE_LIMIT_CACHE``, so that they hold across
processes and hosts when that cache is shared (Redis, Memcached):

* ``RATE_LIMIT`` (``"3000/min"``): requests per SCIM token (per client address for
  unauthenticated discovery). Checked after authentication, as a DRF throttle.
* ``TENANT_RATE_LIMIT`` (``"6000/min"``): requests per tenant, whatever token they use, so
  that creating more tokens does not multiply a tenant's budget.
  A ``/Bulk`` request counts as many requests as it has operations, against both limits.
* ``AUTH_FAILURE_RATE_LIMIT`` (``"30/min"``): failed authentications (401) per client
  address and per presented token key. Only a credential that *fails* is ever refused
  (429 instead of 401): a valid token is served from an address that others flood with bad
  ones, which matters because identity providers send every customer's traffic from a few
  shared addresses.
* ``SELF_SERVICE_RATE_LIMIT`` (``"600/min"``): requests to the self-service JSON API per
  signed-in user (``SelfServiceRateThrottle``), checked after the permission hook.
* ``REQUEST_LOG_UNAUTHENTICATED_RATE`` (``"10/min"``): request log rows written per client
  address for requests without a valid token (``requestlog``).

The windows themselves are ``scim_provider.ratelimit`` (no HTTP in it); this module holds
the DRF throttles and the failed-authentication limit.

A window is approximated from two fixed-window counters (the current and the previous
one, weighted by how much of it still overlaps the sliding window): one ``incr`` and one
``get`` per request, atomic on every shared backend. ``Retry-After`` is the whole number of
seconds until a request would be allowed again; Okta waits exactly that long.

The limiter fails open: if the cache is down, requests are served and the error is logged.
"""

from __future__ import annotations

from rest_framework.throttling import BaseThrottle

from . import tokens
from .conf import scim_settings
from .network import client_ip
from .protocol import errors
from .ratelimit import ALLOW, hit, parse_rate
from .sharedcache import fail_open


def _ip_key(request) -> str:
    return client_ip(request) or "unknown"


def presented_key(request) -> str | None:
    """The lookup key of the SCIM token the request presents (not secret), or None."""
    from rest_framework.exceptions import AuthenticationFailed

    from .authentication import credential_from_header

    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.strip():
        return None
    try:
        parsed = tokens.parse_token(credential_from_header(header))
    except AuthenticationFailed:
        return None
    return parsed.key if parsed is not None else None


def failed_authentication(request) -> errors.TooManyRequests | None:
    """Count a failed authentication against the client address and the presented token
    key; the 429 to answer instead of the 401 once either is over
    ``AUTH_FAILURE_RATE_LIMIT``, else None.

    Called only for a request whose credential did not authenticate: a valid token is never
    refused here, whatever other clients of its address did.
    """
    rate = parse_rate(scim_settings.AUTH_FAILURE_RATE_LIMIT)
    if rate is None:
        return None
    counted = [("auth", _ip_key(request))]
    key = presented_key(request)
    if key is not None:
        counted.append(("auth-key", key))
    decisions = fail_open(
        "failed-authentication limits",
        lambda _cache: [hit(scope, ident, rate) for scope, ident in counted],
        [],
    )
    refused = [decision for decision in decisions if not decision.allowed]
    if not refused:
        return None
    return errors.TooManyRequests(
        "Too many failed authentications from this address or with this token; "
        "retry after the number of seconds in Retry-After.",
        retry_after=max(d.retry_after for d in refused),
    )


class WindowThrottle(BaseThrottle):
    """A DRF throttle over ``hit()``'s sliding window: a subclass names its rate and who
    is counted. It fails open when the cache is down; DRF answers 429 with ``Retry-After``
    (whole seconds) when it refuses."""

    scope = ""
    setting = ""

    def __init__(self) -> None:
        self.retry_after = 0

    def ident(self, request) -> str | None:
        """Who is counted, or None for a request this throttle leaves alone."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = parse_rate(getattr(scim_settings, self.setting))
        ident = self.ident(request) if rate is not None else None
        if ident is None:
            return True
        cost = getattr(view, "throttle_cost", None)
        decision = fail_open(
            f"rate limits ({self.setting})",
            lambda _cache: hit(self.scope, ident, rate, cost(request) if cost else 1),
            ALLOW,
        )
        self.retry_after = decision.retry_after
        return decision.allowed

    def wait(self) -> float:
        return self.retry_after


class ScimRateThrottle(WindowThrottle):
    """``RATE_LIMIT`` per SCIM token (per address for unauthenticated discovery)."""

    scope = "requests"
    setting = "RATE_LIMIT"

    def ident(self, request) -> str:
        token = getattr(request, "auth", None)
        return f"token:{token.pk}" if getattr(token, "pk", None) else f"ip:{_ip_key(request)}"


class TenantRateThrottle(WindowThrottle):
    """``TENANT_RATE_LIMIT`` per tenant, over all of its tokens (tokens without a tenant are
    left to ``RATE_LIMIT``)."""

    scope = "tenant"
    setting = "TENANT_RATE_LIMIT"

    def ident(self, request) -> str | None:
        tenant_id = getattr(getattr(request, "auth", None), "tenant_id", "")
        return f"tenant:{tenant_id}" if tenant_id else None


class SelfServiceRateThrottle(WindowThrottle):
    """``SELF_SERVICE_RATE_LIMIT`` per signed-in user, on the self-service JSON API.

    Counted only for requests that passed authentication and the permission hook.
    """

    scope = "selfservice"
    setting = "SELF_SERVICE_RATE_LIMIT"

    def ident(self, request) -> str | None:
        user = getattr(request, "user", None)
        return f"user:{user.pk}" if user is not None and user.is_authenticated else None
