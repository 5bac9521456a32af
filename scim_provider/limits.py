"""Size limits of SCIM requests, checked by ``ScimView`` before the resource views run.

* ``MAX_BODY_SIZE``: a declared ``Content-Length`` above it is refused before anything is
  read (413); the parsers refuse a body that turns out longer (``parsers.py``).
* ``MAX_MEMBERS_PER_REQUEST``: members in a Group POST/PUT body, or in the values of a
  Group PATCH's operations on ``members``, summed over the operations (400
  ``invalidValue``), so that one request cannot make the server resolve an unbounded
  number of users.

Filter length and depth (``FILTER_MAX_LENGTH``/``FILTER_MAX_DEPTH``), the page size
(``MAX_PAGE_SIZE``) and the number of PATCH operations (``MAX_PATCH_OPERATIONS``) are
checked where they are read: the filter parser, ``pagination``, the PATCH engine.
"""

from __future__ import annotations

from typing import Any

from .conf import scim_settings
from .protocol import errors

GROUP = "Group"


def check_content_length(request) -> None:
    """413 when the declared body is larger than ``MAX_BODY_SIZE``."""
    limit = scim_settings.MAX_BODY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # the server reads nothing of a body without a valid length
    if length > limit:
        raise errors.PayloadTooLarge(
            f"The request body has {length} bytes; at most {limit} are accepted."
        )


def _get(mapping: dict, name: str) -> Any:
    """``mapping[name]``, the key compared case-insensitively and without a schema URN."""
    for key, value in mapping.items():
        if isinstance(key, str) and key.rsplit(":", 1)[-1].lower() == name:
            return value
    return None


def _count(value: Any) -> int:
    if value is None:
        return 0
    return len(value) if isinstance(value, list) else 1


def count_members(body: Any, method: str) -> int:
    """How many members a Group request carries (0 for anything else)."""
    if not isinstance(body, dict):
        return 0
    if method in ("POST", "PUT"):
        return _count(_get(body, "members"))
    if method != "PATCH" or not isinstance(_get(body, "operations"), list):
        return 0
    total = 0
    for operation in _get(body, "operations"):
        if not isinstance(operation, dict):
            continue
        path, value = _get(operation, "path"), _get(operation, "value")
        if isinstance(path, str) and path.strip().lower().startswith("members"):
            total += _count(value)
        elif path is None and isinstance(value, dict):
            total += _count(_get(value, "members"))
    return total


def check_members(request, view) -> None:
    """400 when a Group request carries more than ``MAX_MEMBERS_PER_REQUEST`` members."""
    enforce_member_limit(getattr(view, "resource", None), request.method, request.data)


def enforce_member_limit(resource: str | None, method: str, body: Any) -> None:
    """The member limit for one operation (an HTTP request or a Bulk operation)."""
    if resource != GROUP or method not in ("POST", "PUT", "PATCH"):
        return
    limit = scim_settings.MAX_MEMBERS_PER_REQUEST
    count = count_members(body, method)
    if count > limit:
        raise errors.InvalidValue(
            f"This request carries {count} members; at most {limit} are accepted in one "
            "request (MAX_MEMBERS_PER_REQUEST). Send them in several PATCH requests."
        )
