"""Sliding-window rate limits on the shared cache (``RATE_LIMIT_CACHE``), without HTTP.

``hit(scope, ident, rate)`` counts events of ``ident`` and says whether they are allowed and,
if not, in how many whole seconds they would be (``Retry-After``). The DRF throttles of
``scim_provider.throttling`` and the request log's own limit (``requestlog``) use it.

A window is approximated from two fixed-window counters (the current and the previous
one, weighted by how much of it still overlaps the sliding window): one ``incr`` and one
``get`` per event, atomic on every shared backend. Callers go through
``sharedcache.fail_open``: with the cache down, everything is allowed (``ALLOW``).
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from dataclasses import dataclass

from .sharedcache import shared_cache

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


#: What a limit answers when the cache is down: allowed (fail open).
ALLOW = Decision(True)


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


def retry_after(previous: int, current: int, rate: Rate, elapsed: float, cost: int = 1) -> int:
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
    cache = shared_cache()
    key, previous_key, elapsed = _keys(scope, ident, rate, clock())
    previous = cache.get(previous_key) or 0
    current = _incr(cache, key, 2 * rate.period + 1, cost)
    weight = 1 - elapsed / rate.period
    if previous * weight + current <= rate.limit + EPSILON:
        return Decision(True)
    with contextlib.suppress(ValueError):
        cache.decr(key, cost)
    return Decision(False, retry_after(previous, current - cost, rate, elapsed, cost))
