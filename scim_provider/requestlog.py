"""The request log: one ``ScimRequestLog`` row per SCIM request, as ``REQUEST_LOG`` asks.

``REQUEST_LOG`` is ``"off"``, ``"errors"`` (status 400 and above), ``"writes"`` (errors and
every POST/PUT/PATCH/DELETE: the provisioning history) or ``"all"``; the default is
``"errors"``, which costs nothing on a successful request.
``ScimView.dispatch`` calls ``record()`` once the request's transaction has closed, so a
rolled-back request is logged too, with one ``INSERT`` and no other query.

What is never stored: the token (only its non-secret prefix), query parameters whose name
suggests a secret (``access_token``, ``password``, ...) or whose value is a SCIM token,
``password`` and every attribute registered with ``sensitive=True``, wherever they appear
in the body: top level, extension objects, URN-qualified or dotted keys, PATCH values
(with or without a ``path``), the ``data`` of each Bulk operation (a resource body for POST
and PUT, a PatchOp for PATCH). Each is replaced by ``"[redacted]"``; a filter naming such an
attribute is replaced whole, and a secret of the body quoted in the error detail is cut
out of it. Other filter values are kept: they name the users being looked up (personal
data, like the bodies), not secrets.

Requests without a valid token (401, 413, 429 before authentication) write at most
``REQUEST_LOG_UNAUTHENTICATED_RATE`` rows per client address, so that a stranger cannot
fill the table.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from django.db import models
from django.utils import timezone
from rest_framework.request import Empty

from . import tokens
from .conf import scim_settings
from .models import AbstractScimToken, ScimRequestLog
from .network import client_ip
from .protocol.errors import ERROR_SCHEMA
from .ratelimit import ALLOW, hit, parse_rate
from .registry import GROUP, USER, registry
from .sharedcache import fail_open

logger = logging.getLogger("scim_provider")

LOG_MODES = ("off", "errors", "writes", "all")
REDACTED = "[redacted]"
#: Attributes redacted whatever the registry says.
ALWAYS_SENSITIVE = frozenset({"password"})
#: Query parameter names that suggest a secret.
SECRET_PARAMETER = re.compile(
    r"token|secret|passw|api.?key|auth|signature|session|credential", re.IGNORECASE
)
#: Largest redacted body kept, serialized; a larger one is replaced by its size.
MAX_LOGGED_BODY = 64 * 1024
MAX_QUERY = 4000


def should_log(method: str, status: int) -> bool:
    mode = scim_settings.REQUEST_LOG
    if mode == "all":
        return True
    if mode == "off":
        return False
    return status >= 400 or (mode == "writes" and method not in ("GET", "HEAD", "OPTIONS"))


# Redaction ----------------------------------------------------------------------------


def normalize_path(path: str) -> str:
    """``urn:...:User:name.givenName`` / ``emails[type eq "work"].value`` -> ``name.givenname``
    / ``emails.value``: lower case, no value filter, no schema URN."""
    path = re.sub(r"\[[^\]]*\]", "", path.strip().lower())
    if path.startswith("urn:"):
        path = path.rsplit(":", 1)[-1]
    return path


def sensitive_names(resource: str | None = None) -> frozenset[str]:
    """Normalized paths to redact for ``resource`` (both resource types when unknown)."""
    names = set(ALWAYS_SENSITIVE)
    for name in (resource,) if resource in (USER, GROUP) else (USER, GROUP):
        names.update(normalize_path(path) for path in registry.sensitive_paths(name))
    return frozenset(names)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def redact(value: Any, names: frozenset[str], prefixes: tuple[str, ...] = ("",)) -> Any:
    """``value`` with every attribute in ``names`` replaced by ``"[redacted]"``.

    ``prefixes`` are the attribute paths ``value`` may sit at: a key ``urn:...:X`` is either
    a schema extension (its keys are top-level attributes) or the attribute ``X``.
    """
    if isinstance(value, list):
        return [redact(item, names, prefixes) for item in value]
    if not isinstance(value, dict):
        return value
    redacted = {}
    for key, item in value.items():
        name = str(key).lower()
        if name.startswith("urn:"):
            name = name.rsplit(":", 1)[-1]
            here = tuple(_join(p, name) for p in prefixes)
            inside = ("", *here)
        else:
            here = inside = tuple(_join(p, name) for p in prefixes)
        if any(path in names for path in here):
            redacted[key] = REDACTED
        else:
            redacted[key] = redact(item, names, inside)
    return redacted


def _targets(path: str, names: frozenset[str]) -> bool:
    parts = normalize_path(path).split(".")
    return any(".".join(parts[:i]) in names for i in range(1, len(parts) + 1))


def redact_operation(operation: Any, names: frozenset[str]) -> Any:
    """A PATCH operation with its value redacted when its path targets a sensitive attribute."""
    if not isinstance(operation, dict):
        return redact(operation, names)
    path = next((v for k, v in operation.items() if str(k).lower() == "path"), None)
    if isinstance(path, str) and path.strip():
        if _targets(path, names):
            return {k: REDACTED if str(k).lower() == "value" else v for k, v in operation.items()}
        prefixes = (normalize_path(path),)
    else:
        prefixes = ("",)
    return {
        k: redact(v, names, prefixes) if str(k).lower() == "value" else v
        for k, v in operation.items()
    }


def names_secret(text: str, names: frozenset[str]) -> bool:
    """Whether the filter ``text`` mentions a sensitive attribute (its value is a secret)."""
    words = {normalize_path(word) for word in re.findall(r"[\w:.$-]+", text)}
    return any(_targets(word, names) for word in words if word)


def redact_body(body: Any, resource: str | None = None) -> Any:
    """The request body ``body`` as it may be logged (a resource, a PatchOp or a
    SearchRequest)."""
    names = sensitive_names(resource)
    if not isinstance(body, dict):
        return redact(body, names)
    redacted = {}
    for key, value in body.items():
        if str(key).lower() == "operations" and isinstance(value, list):
            redacted[key] = [redact_operation(op, names) for op in value]
        elif str(key).lower() == "filter" and isinstance(value, str) and names_secret(value, names):
            redacted[key] = REDACTED
        else:
            redacted[key] = redact({key: value}, names)[key]
    return redacted


def _get(mapping: dict, name: str) -> Any:
    return next((v for k, v in mapping.items() if str(k).lower() == name), None)


def redact_bulk(body: Any) -> Any:
    """A BulkRequest as it may be logged: each operation's ``data`` redacted as what it
    is, a resource body (POST, PUT) or a PatchOp (PATCH), for the resource type its
    ``path`` names."""
    if not isinstance(body, dict):
        return redact(body, sensitive_names())
    redacted = {}
    for key, value in body.items():
        if str(key).lower() == "operations" and isinstance(value, list):
            redacted[key] = [_redact_bulk_operation(op) for op in value]
        else:
            redacted[key] = redact({key: value}, sensitive_names())[key]
    return redacted


def _redact_bulk_operation(operation: Any) -> Any:
    if not isinstance(operation, dict):
        return redact(operation, sensitive_names())
    path = _get(operation, "path")
    endpoint = path.strip("/").split("/")[0].lower() if isinstance(path, str) else ""
    resource = {"users": USER, "groups": GROUP}.get(endpoint)
    patch = str(_get(operation, "method") or "").upper() == "PATCH"
    redacted = {}
    for key, value in operation.items():
        if str(key).lower() != "data":
            redacted[key] = value
        elif patch or not isinstance(value, dict):
            redacted[key] = redact_body(value, resource)
        else:
            redacted[key] = redact(value, sensitive_names(resource))
    return redacted


def redact_query(query_string: str) -> str:
    """The query string, decoded, with secret-looking parameters redacted (and filters
    that compare a sensitive attribute)."""
    names = sensitive_names()
    pairs = []
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        if (
            SECRET_PARAMETER.search(name)
            or tokens.parse_token(value.strip()) is not None
            or (name.lower() == "filter" and names_secret(value, names))
        ):
            value = REDACTED
        pairs.append(f"{name}={value}")
    return _clean("&".join(pairs), MAX_QUERY)


def redacted_values(original: Any, redacted: Any) -> set[str]:
    """The strings of ``original`` that its redacted copy ``redacted`` replaced."""
    if redacted == REDACTED and original != REDACTED:
        found: set[str] = set()
        stack = [original]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif item is not None and not isinstance(item, bool):
                found.add(str(item))
        return found
    if isinstance(original, dict) and isinstance(redacted, dict):
        return set().union(*(redacted_values(v, redacted.get(k)) for k, v in original.items()))
    if isinstance(original, list) and isinstance(redacted, list):
        pairs = zip(original, redacted, strict=True)
        return set().union(*(redacted_values(item, copy) for item, copy in pairs))
    return set()


#: Shorter secrets are not cut out of error details (they would cut ordinary words).
MIN_SCRUBBED = 4


def scrub(text: str, secrets: set[str]) -> str:
    """``text`` without any of ``secrets`` (longest first)."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SCRUBBED:
            text = text.replace(secret, REDACTED)
    return text


def _clean(text: Any, length: int) -> str:
    """Text a database column can hold: no NUL, at most ``length`` characters."""
    return str(text or "").replace("\x00", "")[:length]


# Recording ----------------------------------------------------------------------------


def parsed_body(request) -> Any:
    """The body of ``request`` if it was parsed (a non-empty object or list), else None."""
    data = getattr(request, "_full_data", Empty)
    if data is Empty or not isinstance(data, (dict, list)) or not data:
        return None
    return data


def logged_body(data: Any, redacted: Any) -> Any:
    """What the log keeps of a parsed body: nothing, the redacted copy, or the body."""
    if data is None or not scim_settings.REQUEST_LOG_BODIES:
        return None
    body = redacted if scim_settings.REQUEST_LOG_REDACT else data
    size = len(json.dumps(body, default=str))
    if size > MAX_LOGGED_BODY:
        return {"[truncated]": f"{size} bytes"}
    return body


def resource_of(view, response) -> tuple[str, str]:
    """``(resource type, SCIM id)`` of the request, as far as it is known."""
    resource = getattr(view, "resource", "") if hasattr(view, "get_adapter") else ""
    scim_id = (getattr(view, "kwargs", None) or {}).get("scim_id") or ""
    data = getattr(response, "data", None)
    if not scim_id and response.status_code == 201 and isinstance(data, dict):
        scim_id = data.get("id") or ""
    return resource, _clean(scim_id, 64)


def build_entry(view, request, response, duration_ms: int) -> ScimRequestLog:
    # ``_auth``, not ``auth``: a request refused before authentication is not authenticated now.
    token = getattr(request, "_auth", None)
    if not isinstance(token, AbstractScimToken):
        token = None
    resource, scim_id = resource_of(view, response)
    entry = ScimRequestLog(
        created_at=timezone.now(),
        method=_clean(request.method, 10),
        path=_clean(request.path, 500),
        query=redact_query(request.META.get("QUERY_STRING", "")),
        status=response.status_code,
        duration_ms=max(0, duration_ms),
        token_pk=str(token.pk) if token is not None else "",
        token_prefix=token.display_prefix if token is not None else "",
        tenant_id=token.tenant_id if token is not None else "",
        resource_type=resource,
        resource_id=scim_id,
        client_ip=client_ip(request),
    )
    body = parsed_body(request)
    redacted = None
    if body is not None and getattr(view, "is_bulk", False):
        redacted = redact_bulk(body)
    elif body is not None:
        redacted = redact_body(body, resource or None)
    entry.request_body = logged_body(body, redacted)
    data = getattr(response, "data", None)
    is_error = response.status_code >= 400 and isinstance(data, dict)
    if is_error and ERROR_SCHEMA in (data.get("schemas") or ()):
        entry.scim_type = _clean(data.get("scimType"), 32)
        detail = str(data.get("detail") or "")
        if body is not None and scim_settings.REQUEST_LOG_REDACT:
            detail = scrub(detail, redacted_values(body, redacted))
        entry.error_detail = _clean(detail, 2000)
    return entry


def record(view, request, response, duration_ms: int) -> ScimRequestLog | None:
    """Write the log row of a finished request, if ``REQUEST_LOG`` wants it: one INSERT.

    Never fails the request: an error (the table missing, the database down) is logged.
    """
    if not should_log(request.method, response.status_code):
        return None
    authenticated = isinstance(getattr(request, "_auth", None), AbstractScimToken)
    if not authenticated and not allow_unauthenticated_log(request):
        return None
    try:
        entry = build_entry(view, request, response, duration_ms)
        entry.save(force_insert=True)
    except Exception:
        logger.exception("Could not write the SCIM request log")
        return None
    return entry


# Retention ----------------------------------------------------------------------------


def purge(
    older_than_days: int | None = None,
    *,
    batch_size: int = 1000,
    dry_run: bool = False,
    now=None,
    progress=None,
) -> int:
    """Delete log rows older than ``older_than_days`` (``REQUEST_LOG_MAX_AGE_DAYS``) in
    batches of ``batch_size``; return how many were (or, with ``dry_run``, would be) deleted.

    ``progress(deleted_so_far)`` is called after each batch.
    """
    from datetime import timedelta

    days = scim_settings.REQUEST_LOG_MAX_AGE_DAYS if older_than_days is None else older_than_days
    if days is None:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = ScimRequestLog.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return old.count()
    deleted = 0
    while True:
        ids = list(old.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        deleted += ScimRequestLog.objects.filter(pk__in=ids).delete()[0]
        if progress is not None:
            progress(deleted)


def history(scim_id: str, resource: str = USER) -> models.QuerySet:
    """The log rows of one user or group, newest first: its provisioning history."""
    return ScimRequestLog.objects.filter(resource_type=resource, resource_id=str(scim_id))


def allow_unauthenticated_log(request) -> bool:
    """Whether a request without a valid token may write a request log row: at most
    ``REQUEST_LOG_UNAUTHENTICATED_RATE`` per client address (always, if the cache is down)."""
    rate = parse_rate(scim_settings.REQUEST_LOG_UNAUTHENTICATED_RATE)
    if rate is None:
        return True
    address = client_ip(request) or "unknown"
    decision = fail_open("request log limits", lambda _cache: hit("log", address, rate), ALLOW)
    return decision.allowed
