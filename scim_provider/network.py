"""The client's address, as every part of SCIM sees it (authentication, the request log, the
audit log, throttling): one function, so that a proxy setting applies everywhere at once."""

from __future__ import annotations

import ipaddress

from .conf import scim_settings


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or with ``NUM_PROXIES`` = n trusted proxies in
    front, the n-th address from the right of ``X-Forwarded-For``. None if not an address.
    """
    meta = request.META
    address = meta.get("REMOTE_ADDR")
    proxies = scim_settings.NUM_PROXIES
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None
