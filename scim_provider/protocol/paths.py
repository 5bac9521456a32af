"""Attribute paths (RFC 7644 §3.10) and PATCH paths (RFC 7644 §3.5.2).

``attrPath = [URI ":"] ATTRNAME *1subAttr``: a schema URN is split from the
attribute at its *last* colon (URNs contain dots, as in ``2.0``), then the
attribute from its sub-attribute at the first dot::

    urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value
    └──────────────────── urn ─────────────────────────────┘ └attr─┘ └sub┘

``ATTRNAME = ALPHA *("-" / "_" / DIGIT / ALPHA)``; ``$ref`` is accepted too
(RFC 7643 §2.4 names the sub-attribute so).

``PATH = attrPath / valuePath [subAttr]`` (RFC 7644 §3.5.2), e.g.
``members[value eq "2819c223"]`` or ``emails[type eq "work"].value``. The
value filter is parsed by :mod:`scim_provider.protocol.filters`, which shares
this module's grammar for names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scim_provider.protocol.errors import InvalidPath

if TYPE_CHECKING:
    from scim_provider.protocol.filters import Filter

__all__ = [
    "ATTRIBUTE_PATH",
    "AttributePath",
    "PatchPath",
    "parse_attribute_path",
    "parse_patch_path",
]

NAME = r"(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)"

# The URI may contain colons and dots; the greedy URI group backtracks to the
# last colon, as an ATTRNAME has none.
ATTRIBUTE_PATH = re.compile(
    rf"(?:(?P<urn>[A-Za-z][A-Za-z0-9+.:/%_-]*):)?(?P<attribute>{NAME})(?:\.(?P<sub>{NAME}))?"
)


@dataclass(frozen=True)
class AttributePath:
    """An ``attrPath``: names as written; compare them case-insensitively."""

    attribute: str
    sub_attribute: str | None = None
    urn: str | None = None

    def __str__(self) -> str:
        text = f"{self.urn}:{self.attribute}" if self.urn else self.attribute
        return f"{text}.{self.sub_attribute}" if self.sub_attribute else text


def attribute_path_from_match(match: re.Match[str]) -> AttributePath:
    """The ``AttributePath`` of an ``ATTRIBUTE_PATH`` match."""
    return AttributePath(match["attribute"], match["sub"], match["urn"])


def parse_attribute_path(text: str) -> AttributePath:
    """Parse ``name.givenName`` or ``urn:...:User:manager.value``; raise ``InvalidPath``."""
    match = ATTRIBUTE_PATH.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InvalidPath(f"Invalid attribute path {_quote(text)}")
    return attribute_path_from_match(match)


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path``: an attribute, optionally narrowed by a value filter."""

    attribute: AttributePath
    value_filter: Filter | None = None
    sub_attribute: str | None = None


def parse_patch_path(text: str) -> PatchPath:
    """Parse a PATCH ``path``; raise ``InvalidPath`` naming the position of the error."""
    # filters.py imports this module, so import it where it is needed.
    from scim_provider.protocol.filters import parse_patch_path as parse

    return parse(text)


def _quote(text: object, limit: int = 100) -> str:
    """``text`` quoted for an error detail, cut to ``limit`` characters."""
    text = str(text)
    return repr(text if len(text) <= limit else text[:limit] + "...")
