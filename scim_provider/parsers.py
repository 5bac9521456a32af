"""Request bodies: ``application/scim+json`` and plain ``application/json`` (RFC 7644 §3.1).

Both parse strictly (no ``NaN``/``Infinity``) whatever the host's ``REST_FRAMEWORK`` says.
"""

from __future__ import annotations

from rest_framework.parsers import JSONParser


class ScimJSONParser(JSONParser):
    media_type = "application/scim+json"
    strict = True


class PlainJSONParser(ScimJSONParser):
    """Okta's SPEC test POSTs with ``Content-Type: application/json``."""

    media_type = "application/json"
