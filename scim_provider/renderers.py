"""Responses are always ``application/scim+json`` (RFC 7644 §3.1), whatever ``Accept`` says."""

from __future__ import annotations

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer


class ScimJSONRenderer(JSONRenderer):
    media_type = "application/scim+json"
    format = "scim"
    charset = None
    ensure_ascii = False
    compact = True
    strict = True


class ScimContentNegotiation(BaseContentNegotiation):
    """Always SCIM JSON: Okta sends ``Accept: application/json`` or none at all."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip().lower() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
