"""SCIM views: thin DRF views over the protocol core and the adapters.

Every view takes its policies (authentication, permissions, parsers,
renderers, exception handler) from ``scim_settings``, never from the host's
``REST_FRAMEWORK``. Requests that may write run inside ``transaction.atomic``
and an error rolls the whole request back (``handlers.exception_handler``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from . import discovery, limits, requestlog, throttling
from .adapters import get_user_adapter
from .adapters.groups import get_group_adapter
from .adapters.users import changed_paths
from .conf import scim_settings
from .handlers import SCIM_CONTENT_TYPE
from .pagination import page_from
from .parsers import PlainJSONParser, ScimJSONParser
from .protocol import errors
from .protocol.filters import parse_filter
from .protocol.patch import MultiValueDelta, apply_patch
from .protocol.serialize import etag, list_response, serialize
from .protocol.validate import Leniency, validate_resource
from .query import compile_filter, sort_lookup
from .registry import GROUP, USER
from .renderers import ScimContentNegotiation, ScimJSONRenderer

SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

logger = logging.getLogger("scim_provider")


class ScimView(APIView):
    """Base of every SCIM endpoint.

    Around every request (``dispatch``): the declared body size (413) and the client
    address's failed authentications (429) are checked before authentication, the token's
    ``RATE_LIMIT`` after it (429), the members a Group request carries once it is
    authenticated (400); writes run in one ``transaction.atomic`` (the host's
    ``ATOMIC_REQUESTS`` is turned off for these views, so that the block is the request's
    outermost); and after that block has closed, a 401 is counted against the client address
    and the request is logged (``REQUEST_LOG``), so that a rolled-back request is logged too.
    """

    discovery = False
    in_atomic_block = False

    @classmethod
    def as_view(cls, **initkwargs):
        view = super().as_view(**initkwargs)
        # Our own atomic block must be the outermost: the log row is written after it.
        return transaction.non_atomic_requests(using=DEFAULT_DB_ALIAS)(view)

    def get_authenticators(self):
        return [cls() for cls in scim_settings.AUTHENTICATION_CLASSES]

    def get_permissions(self):
        return [cls() for cls in scim_settings.PERMISSION_CLASSES]

    def get_throttles(self):
        return [throttling.ScimRateThrottle()] if scim_settings.RATE_LIMIT else []

    def get_parsers(self):
        return [ScimJSONParser(), PlainJSONParser()]

    def get_renderers(self):
        return [ScimJSONRenderer()]

    def get_content_negotiator(self):
        return ScimContentNegotiation()

    def get_exception_handler(self):
        return scim_settings.EXCEPTION_HANDLER

    def initial(self, request, *args, **kwargs):
        limits.check_content_length(request)
        throttling.check_auth_failures(request)
        super().initial(request, *args, **kwargs)
        limits.check_members(request, self)

    def dispatch(self, request, *args, **kwargs):
        started = time.monotonic()
        if request.method in SAFE_METHODS:
            response = super().dispatch(request, *args, **kwargs)
        else:
            response = self.atomic_dispatch(request, *args, **kwargs)
        self.after_request(response, started)
        return response

    def atomic_dispatch(self, request, *args, **kwargs):
        try:
            with transaction.atomic():
                self.in_atomic_block = True
                try:
                    return super().dispatch(request, *args, **kwargs)
                finally:
                    self.in_atomic_block = False
        except DatabaseError as exc:  # the commit itself failed
            response = self.handle_exception(exc)
            return self.finalize_response(self.request, response, *args, **kwargs)

    def after_request(self, response, started: float) -> None:
        """Count a failed authentication and log the request; never fails the request."""
        request = getattr(self, "request", None)
        if request is None:
            return
        try:
            if response.status_code == 401:
                throttling.record_auth_failure(request)
        except Exception:  # the cache is down: fail open
            logger.exception("SCIM rate limiting is not available")
        duration_ms = round((time.monotonic() - started) * 1000)
        requestlog.record(self, request, response, duration_ms)

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


@dataclass(frozen=True)
class Selection:
    """The ``attributes`` / ``excludedAttributes`` of a request (RFC 7644 §3.4.2.5)."""

    attributes: list[str] | None = None
    excluded: list[str] | None = None

    @classmethod
    def from_params(cls, params) -> Selection:
        return cls(_names(params.get("attributes")), _names(params.get("excludedAttributes")))

    def wants(self, name: str) -> bool:
        """Whether the top-level attribute ``name`` may appear (to skip loading it)."""

        def top(n: str) -> str:
            return n.rsplit(":", 1)[-1].split(".")[0].lower()

        if self.attributes is not None:
            return name.lower() in {top(n) for n in self.attributes}
        return name.lower() not in {top(n) for n in self.excluded or []}


class ResourceView(ScimView):
    """Shared by the list, search and detail views of ``/Users`` and ``/Groups``.

    ``resource`` picks the adapter (``USER_ADAPTER`` or ``GROUP_ADAPTER``) and the
    multi-valued attribute loaded only on demand (a user's ``groups``, a group's
    ``members``).
    """

    resource = USER

    def get_adapter(self):
        tenant_id = self.request.auth.tenant_id
        factory = get_group_adapter if self.resource == GROUP else get_user_adapter
        return factory(tenant_id, reference=self.reference)

    def reference(self, resource: str, scim_id: str) -> str:
        route = "group-detail" if resource == GROUP else "user-detail"
        return discovery.absolute(self.request, route, scim_id)

    @property
    def on_demand(self) -> str:
        return "members" if self.resource == GROUP else "groups"

    def location(self, link) -> str:
        return self.reference(self.resource, str(link.scim_id))

    def render(self, adapter, link, selection: Selection) -> dict:
        resource = adapter.to_resource(link, **{self.on_demand: selection.wants(self.on_demand)})
        return serialize(
            resource,
            adapter.resource_type,
            id=str(link.scim_id),
            location=self.location(link),
            created=link.created_at,
            last_modified=link.updated_at,
            version=str(link.version),
            attributes=selection.attributes,
            excluded_attributes=selection.excluded,
        )

    def resource_response(self, adapter, link, status: int = 200, selection=None) -> Response:
        document = self.render(adapter, link, selection or Selection())
        headers = {"ETag": etag(str(link.version)), "Location": self.location(link)}
        return self.scim_response(document, status=status, headers=headers)

    def leniency(self) -> Leniency:
        return Leniency.STRICT if scim_settings.LENIENCY == "strict" else Leniency.LENIENT

    def validate(self, adapter, body, existing=None) -> dict:
        return validate_resource(
            body, adapter.resource_type, leniency=self.leniency(), existing=existing
        )

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
        selection = Selection.from_params(params)
        total = queryset.count()
        links = []
        if page.count and page.offset < total:
            rows = queryset.select_related(*adapter.related_names()).order_by(*order)
            links = list(rows[page.offset : page.offset + page.count])
        if links and selection.wants(self.on_demand):
            adapter.prefetch(links)
        resources = [self.render(adapter, link, selection) for link in links]
        return self.scim_response(
            list_response(resources, total_results=total, start_index=page.start_index)
        )


class ResourceListView(ResourceView):
    def get(self, request):
        return self.listing(request.query_params)

    def post(self, request):
        adapter = self.get_adapter()
        link = adapter.create(self.validate(adapter, request.data))
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
        document = self.render(adapter, link, Selection.from_params(request.query_params))
        etag_value = etag(str(link.version))
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and _etag_matches(if_none_match, etag_value):
            return Response(status=304, headers={"ETag": etag_value})
        return self.scim_response(document, headers={"ETag": etag_value})

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
        link = adapter.update(link, self.validate(adapter, request.data, current), current)
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


class GroupDetailView(ResourceDetailView):
    """Groups change their members as deltas: a member is never loaded to add another.

    PATCH answers 200 with the group (``GROUP_PATCH_RESPONSE = "resource"``, what strict
    clients check) or 204 (``"no_content"``: RFC 7644 §3.5.2 allows it, Entra prefers it,
    Okta accepts it, and a body with every member of a large group is not sent); a request
    with ``attributes``/``excludedAttributes`` always gets its representation.
    """

    resource = GROUP

    def put(self, request, scim_id: str):
        adapter = self.get_adapter()
        link = self.locked(adapter, scim_id)
        current = adapter.to_resource(link, members=False)
        resource = self.validate(adapter, request.data, current)
        members = MultiValueDelta(replaced=resource.pop("members", []))
        changed = changed_paths(current, resource) | {"members"}
        link = adapter.update(link, resource, current, members, changed)
        return self.resource_response(adapter, link)

    def patch(self, request, scim_id: str):
        adapter = self.get_adapter()
        link = self.locked(adapter, scim_id)
        current = adapter.to_resource(link, members=False)
        result = apply_patch(
            current,
            request.data,
            adapter.resource_type,
            delta_attributes=frozenset({"members"}),
            max_operations=scim_settings.MAX_PATCH_OPERATIONS,
        )
        resource = validate_resource(
            result.resource, adapter.resource_type, leniency=Leniency.LENIENT, existing=current
        )
        adapter.update(link, resource, current, result.deltas.get("members"), result.changed)
        selection = Selection.from_params(request.query_params)
        no_selection = selection.attributes is None and selection.excluded is None
        if no_selection and scim_settings.GROUP_PATCH_RESPONSE == "no_content":
            return Response(status=204)
        return self.resource_response(adapter, link, selection=selection)


class RootSearchView(ScimView):
    """``POST /.search`` at the root (RFC 7644 §3.4.3): one query over several resource
    types is not offered; search ``/Users/.search`` or ``/Groups/.search``."""

    def post(self, request):
        raise errors.NotImplementedFeature(
            "Searching several resource types at once is not supported: "
            "POST to /Users/.search or /Groups/.search."
        )


class MeView(ScimView):
    """``/Me`` (RFC 7644 §3.11): tokens belong to identity providers, not to users."""

    def _not_implemented(self, request, *args, **kwargs):
        raise errors.NotImplementedFeature(
            "/Me is not supported: SCIM tokens here are issued to identity providers, "
            "not to individual users."
        )

    get = post = put = patch = delete = _not_implemented
