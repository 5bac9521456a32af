"""Rate limits on Django's cache framework (RFC 6585 §4: 429 with ``Retry-After``).

Two limits, both sliding windows kept in the cache named by ``RATE_LIMIT_CACHE``, so that
they hold across processes and hosts when that cache is shared (Redis, Memcached):

* ``RATE_LIMIT`` (``"3000/min"``): requests per SCIM token (per client address for
  unauthenticated discovery). Checked after authentication, as a DRF throttle.
* ``AUTH_FAILURE_RATE_LIMIT`` (``"30/min"``): failed authentications (401) per client
  address. Once over it, the address gets 429 before its credentials are even looked at.
* ``SELF_SERVICE_RATE_LIMIT`` (``"600/min"``): requests to the self-service JSON API per
  signed-in user (``SelfServiceRateThrottle``), checked after the permission hook.

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


def _incr(cache, key: str, timeout: int) -> int:
    try:
        return cache.incr(key)
    except ValueError:  # not there yet
        if cache.add(key, 1, timeout):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # a cache that keeps nothing (DummyCache)
            return 1


def retry_after(previous: int, current: int, rate: Rate, elapsed: float) -> int:
    """Whole seconds until ``previous * weight + current + 1 <= limit`` holds again."""
    limit, period = rate.limit, rate.period
    if previous > 0 and current + 1 <= limit:
        wait = period * (1 - (limit - current - 1) / previous) - elapsed
        if wait < period - elapsed:
            return max(1, math.ceil(wait - EPSILON))
    # Not before the next window, where ``current`` becomes the decaying previous one.
    into_next = max(0.0, period * (1 - (limit - 1) / current)) if current > 0 else 0.0
    return max(1, math.ceil(period - elapsed + into_next - EPSILON))


def hit(scope: str, ident: str, rate: Rate) -> Decision:
    """Count one event of ``ident``; refuse it (and do not count it) beyond ``rate``."""
    cache = _cache()
    key, previous_key, elapsed = _keys(scope, ident, rate, clock())
    previous = cache.get(previous_key) or 0
    current = _incr(cache, key, 2 * rate.period + 1)
    weight = 1 - elapsed / rate.period
    if previous * weight + current <= rate.limit + EPSILON:
        return Decision(True)
    with contextlib.suppress(ValueError):
        cache.decr(key)
    return Decision(False, retry_after(previous, current - 1, rate, elapsed))


def peek(scope: str, ident: str, rate: Rate) -> Decision:
    """Whether one more event of ``ident`` would stay within ``rate``, counting nothing."""
    cache = _cache()
    key, previous_key, elapsed = _keys(scope, ident, rate, clock())
    values = cache.get_many([key, previous_key])
    previous, current = values.get(previous_key) or 0, values.get(key) or 0
    if previous * (1 - elapsed / rate.period) + current + 1 <= rate.limit + EPSILON:
        return Decision(True)
    return Decision(False, retry_after(previous, current, rate, elapsed))


def record(scope: str, ident: str, rate: Rate) -> None:
    """Count one event of ``ident``, whatever the limit."""
    key, _, _ = _keys(scope, ident, rate, clock())
    _incr(_cache(), key, 2 * rate.period + 1)


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


def check_auth_failures(request) -> None:
    """429 for a client address over ``AUTH_FAILURE_RATE_LIMIT``, before authentication."""
    rate = parse_rate(scim_settings.AUTH_FAILURE_RATE_LIMIT)
    if rate is None:
        return
    try:
        decision = peek("auth", _ip_key(request), rate)
    except Exception:  # the cache is down: fail open
        logger.exception("SCIM rate limiting is not available")
        return
    if not decision.allowed:
        raise errors.TooManyRequests(
            "Too many failed authentications from this address; "
            "retry after the number of seconds in Retry-After.",
            retry_after=decision.retry_after,
        )


def record_auth_failure(request) -> None:
    rate = parse_rate(scim_settings.AUTH_FAILURE_RATE_LIMIT)
    if rate is not None:
        record("auth", _ip_key(request), rate)


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
        try:
            decision = hit(self.scope, ident, rate)
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


class SelfServiceRateThrottle(WindowThrottle):
    """``SELF_SERVICE_RATE_LIMIT`` per signed-in user, on the self-service JSON API.

    Counted only for requests that passed authentication and the permission hook.
    """

    scope = "selfservice"
    setting = "SELF_SERVICE_RATE_LIMIT"

    def ident(self, request) -> str | None:
        user = getattr(request, "user", None)
        return f"user:{user.pk}" if user is not None and user.is_authenticated else None
