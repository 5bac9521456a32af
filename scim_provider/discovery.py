"""Discovery documents (RFC 7644 §4, RFC 7643 §5-7), built from the live configuration.

``/ServiceProviderConfig`` states what this deployment supports (from the
settings), ``/ResourceTypes`` and ``/Schemas`` list the resource types and
schemas that are actually served, custom extensions included.
"""

from __future__ import annotations

import contextlib
import re

from django.urls import reverse

from . import registry
from .conf import scim_settings
from .protocol import errors
from .protocol.serialize import list_response

SERVICE_PROVIDER_CONFIG_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


#: Ids put into a URL as they are (``reverse`` would not quote them): UUIDs and the like.
_PLAIN_ID = re.compile(r"^[A-Za-z0-9._~-]+$")
_PLACEHOLDER = "scim-id-placeholder"


def absolute(request, name: str, *args: str) -> str:
    """The absolute URL of the route ``name``.

    A resource's URL is reversed once per request and route, then the id substituted:
    ``reverse()`` for each member of a 100,000-member group took seconds.
    """
    if len(args) != 1 or not _PLAIN_ID.match(args[0]):
        return request.build_absolute_uri(reverse(f"scim_provider:{name}", args=args))
    templates = getattr(request, "_scim_url_templates", None)
    if templates is None:
        templates = {}
        with contextlib.suppress(AttributeError):  # a request we cannot annotate: no memo
            request._scim_url_templates = templates
    template = templates.get(name)
    if template is None:
        url = request.build_absolute_uri(reverse(f"scim_provider:{name}", args=[_PLACEHOLDER]))
        template = templates[name] = url.partition(_PLACEHOLDER)
    before, found, after = template
    if not found:
        return request.build_absolute_uri(reverse(f"scim_provider:{name}", args=args))
    return before + args[0] + after


def service_provider_config(request) -> dict:
    max_page = scim_settings.MAX_PAGE_SIZE
    document = {
        "schemas": [SERVICE_PROVIDER_CONFIG_URN],
        "patch": {"supported": True},
        # maxPayloadSize: the largest body accepted, Bulk or not (MAX_BODY_SIZE caps all).
        "bulk": {
            "supported": scim_settings.BULK_ENABLED,
            "maxOperations": scim_settings.BULK_MAX_OPERATIONS if scim_settings.BULK_ENABLED else 0,
            "maxPayloadSize": (
                min(scim_settings.BULK_MAX_PAYLOAD_SIZE, scim_settings.MAX_BODY_SIZE)
                if scim_settings.BULK_ENABLED
                else scim_settings.MAX_BODY_SIZE
            ),
        },
        "filter": {"supported": True, "maxResults": max_page},
        # RFC 9865 §4.
        "pagination": {
            "cursor": scim_settings.CURSOR_PAGINATION,
            "index": True,
            "defaultPaginationMethod": scim_settings.DEFAULT_PAGINATION,
            "defaultPageSize": scim_settings.DEFAULT_PAGE_SIZE,
            "maxPageSize": max_page,
            "cursorTimeout": scim_settings.CURSOR_TIMEOUT,
        },
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Send the SCIM token as 'Authorization: Bearer <token>'.",
                "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
                "primary": True,
            },
            {
                "type": "httpbasic",
                "name": "HTTP Basic",
                "description": (
                    f"Send the username '{scim_settings.BASIC_AUTH_USERNAME}' "
                    "and the SCIM token as the password."
                ),
                "specUri": "https://www.rfc-editor.org/rfc/rfc7617",
            },
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": absolute(request, "service-provider-config"),
        },
    }
    if scim_settings.DOCUMENTATION_URI:
        document["documentationUri"] = scim_settings.DOCUMENTATION_URI
    return document


def resource_type_list(request) -> dict:
    documents = [
        rt.to_dict(location=absolute(request, "resource-type-detail", rt.id))
        for rt in registry.registry.resource_types().values()
    ]
    return list_response(documents, total_results=len(documents), start_index=1)


def resource_type_detail(request, resource_type_id: str) -> dict:
    for rt in registry.registry.resource_types().values():
        if rt.id.lower() == resource_type_id.lower():
            return rt.to_dict(location=absolute(request, "resource-type-detail", rt.id))
    raise errors.NotFound(f"Resource type {resource_type_id!r} not found.")


def schema_list(request) -> dict:
    documents = [
        schema.to_dict(location=absolute(request, "schema-detail", schema.id))
        for schema in registry.all_schemas()
    ]
    return list_response(documents, total_results=len(documents), start_index=1)


def schema_detail(request, schema_id: str) -> dict:
    for schema in registry.all_schemas():
        if schema.id.lower() == schema_id.lower():
            return schema.to_dict(location=absolute(request, "schema-detail", schema.id))
    raise errors.NotFound(f"Schema {schema_id!r} not found.")
