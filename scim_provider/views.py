"""SCIM views: thin DRF views over the protocol core and the adapters.

Every view takes its policies (authentication, permissions, parsers,
renderers, exception handler) from ``scim_settings``, never from the host's
``REST_FRAMEWORK``. Requests that may write run inside ``transaction.atomic``
and an error rolls the whole request back (``handlers.exception_handler``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from . import discovery
from .adapters import get_user_adapter
from .conf import scim_settings
from .handlers import SCIM_CONTENT_TYPE
from .pagination import page_from
from .parsers import PlainJSONParser, ScimJSONParser
from .protocol import errors
from .protocol.filters import parse_filter
from .protocol.patch import apply_patch
from .protocol.serialize import etag, list_response, serialize
from .protocol.validate import Leniency, validate_resource
from .query import compile_filter, sort_lookup
from .renderers import ScimContentNegotiation, ScimJSONRenderer

SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


class ScimView(APIView):
    """Base of every SCIM endpoint."""

    discovery = False
    in_atomic_block = False

    def get_authenticators(self):
        return [cls() for cls in scim_settings.AUTHENTICATION_CLASSES]

    def get_permissions(self):
        return [cls() for cls in scim_settings.PERMISSION_CLASSES]

    def get_throttles(self):
        return []

    def get_parsers(self):
        return [ScimJSONParser(), PlainJSONParser()]

    def get_renderers(self):
        return [ScimJSONRenderer()]

    def get_content_negotiator(self):
        return ScimContentNegotiation()

    def get_exception_handler(self):
        return scim_settings.EXCEPTION_HANDLER

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            self.in_atomic_block = True
            try:
                return super().dispatch(request, *args, **kwargs)
            finally:
                self.in_atomic_block = False

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise errors.MethodNotAllowed(f"{request.method} is not allowed on this endpoint.")

    def scim_response(self, data, status: int = 200, headers=None) -> Response:
        return Response(data, status=status, headers=headers, content_type=SCIM_CONTENT_TYPE)


class DiscoveryView(ScimView):
    """Read-only discovery documents (RFC 7644 §4); filtering them is refused (403)."""

    discovery = True

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "filter" in request.query_params:
            raise errors.Forbidden("Discovery endpoints do not support filtering.")


class ServiceProviderConfigView(DiscoveryView):
    def get(self, request):
        return self.scim_response(discovery.service_provider_config(request))


class ResourceTypeListView(DiscoveryView):
    def get(self, request):
        return self.scim_response(discovery.resource_type_list(request))


class ResourceTypeDetailView(DiscoveryView):
    def get(self, request, resource_type_id: str):
        return self.scim_response(discovery.resource_type_detail(request, resource_type_id))


class SchemaListView(DiscoveryView):
    def get(self, request):
        return self.scim_response(discovery.schema_list(request))


class SchemaDetailView(DiscoveryView):
    def get(self, request, schema_id: str):
        return self.scim_response(discovery.schema_detail(request, schema_id))


class NotFoundView(ScimView):
    """Any other path under the SCIM prefix: a SCIM 404, never Django's HTML page.

    Authentication still applies, so that unknown paths reveal nothing to strangers.
    """

    def dispatch(self, request, *args, **kwargs):
        # Accept every method: the answer to an unknown route is 404, not 405.
        self.http_method_names = [m.lower() for m in ("GET", "POST", "PUT", "PATCH", "DELETE")]
        return super().dispatch(request, *args, **kwargs)

    def _not_found(self, request, *args, **kwargs):
        raise errors.NotFound(f"There is no SCIM endpoint at {request.path}.")

    get = post = put = patch = delete = _not_found


# Resources (RFC 7644 §3.3-§3.6) ---------------------------------------------------------


def _names(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.InvalidValue("attributes and excludedAttributes must be lists of names.")
    names = [v.strip() for v in value if v.strip()]
    return names or None


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of an ``If-Match``/``If-None-Match`` header with ``etag``."""
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


class ResourceView(ScimView):
    """Shared by the list, search and detail views of one resource type."""

    resource = "User"
    detail_route = "user-detail"

    def get_adapter(self):
        return get_user_adapter(self.request.auth.tenant_id)

    def location(self, link) -> str:
        return discovery.absolute(self.request, self.detail_route, str(link.scim_id))

    def render(self, adapter, link, *, attributes=None, excluded=None) -> dict:
        return serialize(
            adapter.to_resource(link),
            adapter.resource_type,
            id=str(link.scim_id),
            location=self.location(link),
            created=link.created_at,
            last_modified=link.updated_at,
            version=str(link.version),
            attributes=attributes,
            excluded_attributes=excluded,
        )

    def resource_response(self, adapter, link, status: int = 200, **selection) -> Response:
        document = self.render(adapter, link, **selection)
        headers = {"ETag": document["meta"]["version"], "Location": document["meta"]["location"]}
        return self.scim_response(document, status=status, headers=headers)

    def leniency(self) -> Leniency:
        return Leniency.STRICT if scim_settings.LENIENCY == "strict" else Leniency.LENIENT

    def listing(self, params: dict) -> Response:
        """A ListResponse for query parameters or a ``.search`` body (RFC 7644 §3.4.2-3)."""
        adapter = self.get_adapter()
        queryset = adapter.get_queryset()
        text = params.get("filter")
        if text is not None:
            if not isinstance(text, str):
                raise errors.InvalidFilter("filter must be a string.")
            node = parse_filter(
                text,
                max_length=scim_settings.FILTER_MAX_LENGTH,
                max_depth=scim_settings.FILTER_MAX_DEPTH,
            )
            queryset = queryset.filter(compile_filter(node, adapter))
        order = ["pk"]
        sort_by = params.get("sortBy")
        if sort_by:
            if not isinstance(sort_by, str):
                raise errors.InvalidValue("sortBy must be a string.")
            lookup = sort_lookup(sort_by, adapter)
            descending = str(params.get("sortOrder", "ascending")).lower() == "descending"
            order = [f"-{lookup}" if descending else lookup, "pk"]
        page = page_from(params)
        attributes = _names(params.get("attributes"))
        excluded = _names(params.get("excludedAttributes"))
        total = queryset.count()
        links = []
        if page.count and page.offset < total:
            rows = queryset.select_related(*adapter.related_names()).order_by(*order)
            links = list(rows[page.offset : page.offset + page.count])
        resources = [
            self.render(adapter, link, attributes=attributes, excluded=excluded) for link in links
        ]
        return self.scim_response(
            list_response(resources, total_results=total, start_index=page.start_index)
        )


class ResourceListView(ResourceView):
    def get(self, request):
        return self.listing(request.query_params)

    def post(self, request):
        adapter = self.get_adapter()
        resource = validate_resource(request.data, adapter.resource_type, leniency=self.leniency())
        link = adapter.create(resource)
        return self.resource_response(adapter, link, status=201)


class ResourceSearchView(ResourceView):
    """``POST /.search`` (RFC 7644 §3.4.3): the query in a SearchRequest body."""

    def post(self, request):
        body = request.data
        if not isinstance(body, dict):
            raise errors.InvalidSyntax("The body must be a SearchRequest object.")
        schemas_listed = body.get("schemas")
        if schemas_listed is not None and SEARCH_REQUEST_URN not in schemas_listed:
            raise errors.InvalidSyntax(f"schemas must contain {SEARCH_REQUEST_URN!r}.")
        return self.listing(body)


class ResourceDetailView(ResourceView):
    def get(self, request, scim_id: str):
        adapter = self.get_adapter()
        link = adapter.get_link(scim_id)
        document = self.render(
            adapter,
            link,
            attributes=_names(request.query_params.get("attributes")),
            excluded=_names(request.query_params.get("excludedAttributes")),
        )
        etag = document["meta"]["version"]
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and _etag_matches(if_none_match, etag):
            return Response(status=304, headers={"ETag": etag})
        return self.scim_response(document, headers={"ETag": etag})

    def locked(self, adapter, scim_id: str):
        """The link, locked for this transaction, after the ``If-Match`` precondition."""
        link = adapter.get_link(scim_id, for_update=True)
        if_match = self.request.headers.get("If-Match")
        if if_match and not _etag_matches(if_match, etag(str(link.version))):
            raise errors.PreconditionFailed()
        return link

    def put(self, request, scim_id: str):
        adapter = self.get_adapter()
        link = self.locked(adapter, scim_id)
        current = adapter.to_resource(link)
        resource = validate_resource(
            request.data, adapter.resource_type, leniency=self.leniency(), existing=current
        )
        link = adapter.update(link, resource, current)
        return self.resource_response(adapter, link)

    def patch(self, request, scim_id: str):
        adapter = self.get_adapter()
        link = self.locked(adapter, scim_id)
        current = adapter.to_resource(link)
        result = apply_patch(
            current,
            request.data,
            adapter.resource_type,
            max_operations=scim_settings.MAX_PATCH_OPERATIONS,
        )
        resource = validate_resource(
            result.resource, adapter.resource_type, leniency=Leniency.LENIENT, existing=current
        )
        link = adapter.update(link, resource, current)
        return self.resource_response(adapter, link)

    def delete(self, request, scim_id: str):
        adapter = self.get_adapter()
        adapter.delete(self.locked(adapter, scim_id))
        return Response(status=204)


class MeView(ScimView):
    """``/Me`` (RFC 7644 §3.11): tokens belong to identity providers, not to users."""

    def _not_implemented(self, request, *args, **kwargs):
        raise errors.NotImplementedFeature(
            "/Me is not supported: SCIM tokens here are issued to identity providers, "
            "not to individual users."
        )

    get = post = put = patch = delete = _not_implemented
