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

A window is approximated from two fixed-window counters (the current and the previous
one, weighted by how much of it still overlaps the sliding window): one ``incr`` and one
``get`` per request, atomic on every shared backend. ``Retry-After`` is the whole number of
seconds until a request would be allowed again; Okta waits exactly that long.

The limiter fails open: if the cache is down, requests are served and the error is logged.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import re
import time
from dataclasses import dataclass

from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from . import tokens
from .conf import scim_settings
from .protocol import errors

logger = logging.getLogger("scim_provider")

#: The clock of every window; tests move it.
clock = time.time
#: Tolerance of the float arithmetic of the windows.
EPSILON = 1e-9

UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-zA-Z]+)\s*$")
KEY_PREFIX = "scim_provider:rl"


@dataclass(frozen=True)
class Rate:
    """``limit`` events per ``period`` seconds."""

    limit: int
    period: int


def parse_rate(value: str | None) -> Rate | None:
    """``"600/min"``, ``"25/s"``, ``"1000/10m"`` -> ``Rate``; None -> None (no limit).

    Raises ``ValueError`` for anything else.
    """
    if value is None:
        return None
    match = _RATE.match(value) if isinstance(value, str) else None
    if not match or match.group(3).lower() not in UNITS:
        raise ValueError(f"{value!r} is not a rate such as '600/min' or '25/s'")
    limit, multiplier = int(match.group(1)), int(match.group(2) or 1)
    if limit < 1 or multiplier < 1:
        raise ValueError(f"{value!r}: the number and the period must be positive")
    return Rate(limit, multiplier * UNITS[match.group(3).lower()])


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0


def _cache():
    return caches[scim_settings.RATE_LIMIT_CACHE]


def _keys(scope: str, ident: str, rate: Rate, now: float) -> tuple[str, str, float]:
    window = int(now // rate.period)
    base = f"{KEY_PREFIX}:{scope}:{ident}:{rate.period}"
    return f"{base}:{window}", f"{base}:{window - 1}", now - window * rate.period


def _incr(cache, key: str, timeout: int, delta: int = 1) -> int:
    try:
        return cache.incr(key, delta)
    except ValueError:  # not there yet
        if cache.add(key, delta, timeout):
            return delta
        try:
            return cache.incr(key, delta)
        except ValueError:  # a cache that keeps nothing (DummyCache)
            return delta


def retry_after(
    previous: int, current: int, rate: Rate, elapsed: float, cost: int = 1
) -> int:
    """Whole seconds until ``previous * weight + current + cost <= limit`` holds again."""
    limit, period = rate.limit, rate.period
    if previous > 0 and current + cost <= limit:
        wait = period * (1 - (limit - current - cost) / previous) - elapsed
        if wait < period - elapsed:
            return max(1, math.ceil(wait - EPSILON))
    # Not before the next window, where ``current`` becomes the decaying previous one.
    into_next = max(0.0, period * (1 - (limit - cost) / current)) if current > 0 else 0.0
    return max(1, math.ceil(period - elapsed + into_next - EPSILON))


def hit(scope: str, ident: str, rate: Rate, cost: int = 1) -> Decision:
    """Count ``cost`` events of ``ident``; refuse them (and count none) beyond ``rate``.

    A cost above the limit is counted as the limit: such a request waits for an empty
    window instead of never being allowed.
    """
    cost = max(1, min(cost, rate.limit))
    cache = _cache()
    key, previous_key, elapsed = _keys(scope, ident, rate, clock())
    previous = cache.get(previous_key) or 0
    current = _incr(cache, key, 2 * rate.period + 1, cost)
    weight = 1 - elapsed / rate.period
    if previous * weight + current <= rate.limit + EPSILON:
        return Decision(True)
    with contextlib.suppress(ValueError):
        cache.decr(key, cost)
    return Decision(False, retry_after(previous, current - cost, rate, elapsed, cost))


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or with ``NUM_PROXIES`` = n trusted proxies in
    front, the n-th address from the right of ``X-Forwarded-For``. None if not an address.
    """
    address = request.META.get("REMOTE_ADDR")
    proxies = scim_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


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
    try:
        decisions = [hit(scope, ident, rate) for scope, ident in counted]
    except Exception:  # the cache is down: fail open
        logger.exception("SCIM rate limiting is not available")
        return None
    refused = [decision for decision in decisions if not decision.allowed]
    if not refused:
        return None
    return errors.TooManyRequests(
        "Too many failed authentications from this address or with this token; "
        "retry after the number of seconds in Retry-After.",
        retry_after=max(d.retry_after for d in refused),
    )


def allow_unauthenticated_log(request) -> bool:
    """Whether a request without a valid token may write a request log row: at most
    ``REQUEST_LOG_UNAUTHENTICATED_RATE`` per client address (always, if the cache is down)."""
    rate = parse_rate(scim_settings.REQUEST_LOG_UNAUTHENTICATED_RATE)
    if rate is None:
        return True
    try:
        return hit("log", _ip_key(request), rate).allowed
    except Exception:  # the cache is down: fail open
        logger.exception("SCIM rate limiting is not available")
        return True


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
        try:
            decision = hit(self.scope, ident, rate, cost(request) if cost else 1)
        except Exception:  # the cache is down: fail open
            logger.exception("SCIM rate limiting (%s) is not available", self.setting)
            return True
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
