"""SCIM views: thin DRF views over the protocol core and the adapters.

Every view takes its policies (authentication, permissions, parsers,
renderers, exception handler) from ``scim_settings``, never from the host's
``REST_FRAMEWORK``. Requests that may write run inside ``transaction.atomic``
and an error rolls the whole request back (``handlers.exception_handler``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from . import (
    bulk,
    counts,
    cursors,
    discovery,
    limits,
    operations,
    pagination,
    requestlog,
    throttling,
)
from .adapters import get_user_adapter
from .adapters.groups import get_group_adapter
from .conf import scim_settings
from .handlers import SCIM_CONTENT_TYPE
from .pagination import CursorPage, paging_from
from .parsers import PlainJSONParser, ScimJSONParser
from .protocol import errors
from .protocol.filters import Filter, parse_filter
from .protocol.serialize import check_names, etag, list_response, serialize
from .query import compile_filter, page_of, sort_order
from .registry import GROUP, USER
from .renderers import ScimContentNegotiation, ScimJSONRenderer

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.base import ResourceAdapter

SEARCH_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


class ScimView(APIView):
    """Base of every SCIM endpoint.

    Around every request (``dispatch``): the declared body size (413) is checked before
    authentication; a credential that fails is counted against the client address and the
    presented token key, and answered 429 instead of 401 once either is over
    ``AUTH_FAILURE_RATE_LIMIT`` (a credential that authenticates is never refused for what
    others did from its address); the token's ``RATE_LIMIT`` and its tenant's
    ``TENANT_RATE_LIMIT`` are checked after authentication (429), the members a Group
    request carries once it is authenticated (400); writes run in one
    ``transaction.atomic`` (the host's ``ATOMIC_REQUESTS`` is turned off for these views, so
    that the block is the request's outermost); and after that block has closed, the request
    is logged (``REQUEST_LOG``), so that a rolled-back request is logged too.
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
        return [throttling.ScimRateThrottle(), throttling.TenantRateThrottle()]

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

    def handle_exception(self, exc):
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            exc = throttling.failed_authentication(self.request) or exc
        return super().handle_exception(exc)

    def after_request(self, response, started: float) -> None:
        """Log the request; never fails the request."""
        request = getattr(self, "request", None)
        if request is None:
            return
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


def _names(value: Any, parameter: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.InvalidValue("attributes and excludedAttributes must be lists of names.")
    names = [v.strip() for v in value if v.strip()]
    check_names(names, parameter)
    return names or None


@dataclass(frozen=True)
class Selection:
    """The ``attributes`` / ``excludedAttributes`` of a request (RFC 7644 §3.4.2.5)."""

    attributes: list[str] | None = None
    excluded: list[str] | None = None

    @classmethod
    def from_params(cls, params) -> Selection:
        attributes = _names(params.get("attributes"), "attributes")
        return cls(attributes, _names(params.get("excludedAttributes"), "excludedAttributes"))

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
    ``members``). The writes themselves are in ``scim_provider.operations``, shared with
    ``/Me`` and Bulk.
    """

    resource = USER

    def get_adapter(self, resource: str | None = None):
        tenant_id = self.request.auth.tenant_id
        resource = resource or self.resource
        factory = get_group_adapter if resource == GROUP else get_user_adapter
        return factory(tenant_id, reference=self.reference)

    def reference(self, resource: str, scim_id: str) -> str:
        route = "group-detail" if resource == GROUP else "user-detail"
        return discovery.absolute(self.request, route, scim_id)

    def location(self, link) -> str:
        return self.reference(self.resource, str(link.scim_id))

    def render(self, adapter: ResourceAdapter, link, selection: Selection) -> dict:
        wanted = selection.wants(adapter.on_demand)
        resource = adapter.to_resource(link, on_demand=wanted)
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
            copy=False,  # to_resource() built it for this response
        )

    def resource_response(
        self, adapter: ResourceAdapter, link, status: int = 200, selection=None
    ) -> Response:
        document = self.render(adapter, link, selection or Selection())
        headers = {"ETag": etag(str(link.version)), "Location": self.location(link)}
        return self.scim_response(document, status=status, headers=headers)

    def parsed_filter(self, params: dict) -> Filter | None:
        """The ``filter`` of ``params``, parsed (None without one)."""
        text = params.get("filter")
        if text is None:
            return None
        if not isinstance(text, str):
            raise errors.InvalidFilter("filter must be a string.")
        return parse_filter(
            text,
            max_length=scim_settings.FILTER_MAX_LENGTH,
            max_depth=scim_settings.FILTER_MAX_DEPTH,
        )

    def filtered(self, adapter: ResourceAdapter, node: Filter | None):
        """The adapter's queryset narrowed by the filter ``node``."""
        queryset = adapter.get_queryset()
        return queryset if node is None else queryset.filter(compile_filter(node, adapter))

    def listing(self, params: dict) -> Response:
        """A ListResponse for query parameters or a ``.search`` body (RFC 7644 §3.4.2-3)."""
        adapter = self.get_adapter()
        node = self.parsed_filter(params)
        paging = paging_from(params)
        selection = Selection.from_params(params)
        if isinstance(paging, CursorPage):
            queryset = self.filtered(adapter, node)
            return self.cursor_listing(adapter, queryset, paging, params, selection)
        order = ("pk",)
        sort_by = params.get("sortBy")
        if sort_by:
            if not isinstance(sort_by, str):
                raise errors.InvalidValue("sortBy must be a string.")
            descending = str(params.get("sortOrder", "ascending")).lower() == "descending"
            order = sort_order(sort_by, descending, adapter)
        links = []
        if paging.count:
            scope = (
                None
                if sort_by
                else cursors.CursorScope.of(self.request.auth, adapter.resource, params)
            )
            after = pagination.bookmark(scope, paging.offset) if scope else None
            links = page_of(adapter, node, order, paging.offset, paging.count, after)
            if scope and len(links) == paging.count:
                pagination.remember(scope, paging.offset + len(links), links[-1].pk)
        if 0 < len(links) < paging.count or (not links and paging.count and not paging.offset):
            total = paging.offset + len(links)  # the last page: no COUNT needed
        else:
            total = self.count(adapter, self.filtered(adapter, node), params)
        resources = self.render_page(adapter, links, selection)
        return self.scim_response(
            list_response(resources, total_results=total, start_index=paging.start_index)
        )

    def cursor_listing(
        self, adapter: ResourceAdapter, queryset, page: CursorPage, params, selection
    ) -> Response:
        """A cursor page (RFC 9865): keyset on the link's primary key, ``count + 1`` rows.

        The extra row only tells whether a next page exists, so that every page costs one
        indexed range scan, however deep. ``totalResults`` is a ``COUNT``: sent as
        ``CURSOR_TOTAL_RESULTS`` says (by default on the first page only).
        """
        if params.get("sortBy"):
            raise errors.InvalidValue(
                "sortBy cannot be combined with cursor pagination: use startIndex to sort."
            )
        scope = cursors.CursorScope.of(self.request.auth, adapter.resource, params)
        after = None if page.first else cursors.read(page.cursor, scope)
        rows = adapter.with_related(queryset).order_by("pk")
        if after is not None:
            rows = rows.filter(pk__gt=after)
        links = list(rows[: page.count + 1]) if page.count else []
        has_next = len(links) > page.count
        links = links[: page.count]
        counted = scim_settings.CURSOR_TOTAL_RESULTS
        total = None
        if counted == "always" or (counted == "first" and page.first):
            total = self.count(adapter, queryset, params)
        document = list_response(
            self.render_page(adapter, links, selection),
            total_results=total or 0,
            start_index=1,
            extra={"nextCursor": cursors.issue(scope, links[-1].pk)} if has_next else None,
        )
        del document["startIndex"]  # RFC 9865: no index with a cursor
        if total is None:
            del document["totalResults"]
        return self.scim_response(document)

    def count(self, adapter: ResourceAdapter, queryset, params) -> int:
        """``totalResults``: cached for unfiltered listings of large tenants (``counts``)."""
        if params.get("filter") is None:
            return counts.total(adapter, queryset)
        return queryset.count()

    def render_page(
        self, adapter: ResourceAdapter, links: list, selection: Selection
    ) -> list[dict]:
        if links and selection.wants(adapter.on_demand):
            self.prefetch_page(adapter, links)
        return [self.render(adapter, link, selection) for link in links]

    def prefetch_page(self, adapter: ResourceAdapter, links: list) -> None:
        """Load the ``on_demand`` values of a page: a page of Groups renders at most
        ``GROUP_LIST_MAX_MEMBERS`` members in all (400 ``tooMany`` beyond, never a cut)."""
        if adapter.resource != GROUP:
            adapter.prefetch(links)
            return
        cap = scim_settings.GROUP_LIST_MAX_MEMBERS
        if not adapter.prefetch(links, limit=cap):
            raise errors.TooMany(
                f"These {len(links)} groups have more than {cap} members in all, more than one "
                "page renders (GROUP_LIST_MAX_MEMBERS): ask for fewer groups (count), leave "
                "the members out (excludedAttributes=members), or read large groups one by one."
            )


class ResourceListView(ResourceView):
    def get(self, request):
        return self.listing(request.query_params)

    def post(self, request):
        adapter = self.get_adapter()
        link = operations.create(adapter, request.data)
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
        if if_none_match and operations.etag_matches(if_none_match, etag_value):
            return Response(status=304, headers={"ETag": etag_value})
        return self.scim_response(document, headers={"ETag": etag_value})

    def put(self, request, scim_id: str):
        adapter = self.get_adapter()
        if_match = request.headers.get("If-Match")
        link = operations.replace(adapter, scim_id, request.data, if_match=if_match)
        return self.resource_response(adapter, link)

    def patch(self, request, scim_id: str):
        adapter = self.get_adapter()
        if_match = request.headers.get("If-Match")
        link = operations.patch(adapter, scim_id, request.data, if_match=if_match)
        return self.resource_response(adapter, link)

    def delete(self, request, scim_id: str):
        adapter = self.get_adapter()
        operations.delete(adapter, scim_id, if_match=request.headers.get("If-Match"))
        return Response(status=204)


class GroupDetailView(ResourceDetailView):
    """Groups change their members as deltas: a member is never loaded to add another.

    PATCH answers 200 with the group (``GROUP_PATCH_RESPONSE = "resource"``, what strict
    clients check) or 204 (``"no_content"``: RFC 7644 §3.5.2 allows it, Entra prefers it,
    Okta accepts it, and a body with every member of a large group is not sent). The
    default, ``"auto"``, answers 200 unless the group has more than
    ``GROUP_PATCH_RESPONSE_MAX_MEMBERS`` members: deciding costs no extra query, as the
    bounded read of the members is the one the 200 needs. A request with
    ``attributes``/``excludedAttributes`` always gets its representation.
    """

    resource = GROUP

    def patch(self, request, scim_id: str):
        adapter = self.get_adapter()
        if_match = request.headers.get("If-Match")
        link = operations.patch(adapter, scim_id, request.data, if_match=if_match)
        selection = Selection.from_params(request.query_params)
        if selection.attributes is None and selection.excluded is None:
            mode = scim_settings.GROUP_PATCH_RESPONSE
            limit = scim_settings.GROUP_PATCH_RESPONSE_MAX_MEMBERS
            if mode == "no_content" or (
                mode == "auto" and not adapter.prefetch([link], limit=limit)
            ):
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


class MeView(ResourceDetailView):
    """``/Me`` (RFC 7644 §3.11): the User of the token's owner, as ``/Users/{id}``.

    ``ME_RESOLVER`` (an import string of ``resolver(token) -> host user or None``) says who
    a token belongs to; unset, tokens belong to identity providers and ``/Me`` answers 501.
    GET, PUT, PATCH and DELETE are those of ``/Users/{id}``; responses carry that
    ``Location``. Creating through ``/Me`` (POST) is not supported (501).
    """

    def me(self) -> str:
        """The SCIM id of the token owner's User, in the token's tenant."""
        resolver = scim_settings.ME_RESOLVER
        if resolver is None:
            raise errors.NotImplementedFeature(
                "/Me is not supported: SCIM tokens here are issued to identity providers, "
                "not to individual users (see ME_RESOLVER)."
            )
        user = resolver(self.request.auth)
        if user is None:
            raise errors.NotFound("This token does not belong to a user, so /Me has none.")
        link = self.get_adapter().get_queryset().filter(user=user).only("scim_id").first()
        if link is None:
            raise errors.NotFound("The user this token belongs to is not provisioned over SCIM.")
        return str(link.scim_id)

    def get(self, request):
        return super().get(request, self.me())

    def put(self, request):
        return super().put(request, self.me())

    def patch(self, request):
        return super().patch(request, self.me())

    def delete(self, request):
        return super().delete(request, self.me())

    def post(self, request):
        self.me()
        raise errors.NotImplementedFeature("Creating a resource through /Me is not supported.")


class BulkView(ResourceView):
    """``POST /Bulk`` (RFC 7644 §3.7); see ``scim_provider.bulk``."""

    is_bulk = True  # the request log redacts each operation's data (``requestlog``)

    def throttle_cost(self, request) -> int:
        """A Bulk request counts as one request per operation against the rate limits."""
        return bulk.operation_count(request.data) if request.method == "POST" else 1

    def post(self, request):
        if not scim_settings.BULK_ENABLED:
            raise errors.NotImplementedFeature("Bulk is not enabled on this service provider.")
        limit = scim_settings.BULK_MAX_PAYLOAD_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise errors.PayloadTooLarge(
                f"The bulk request is {length} bytes; maxPayloadSize is {limit}."
            )
        job = bulk.BulkJob(adapter_for=self.get_adapter, reference=self.reference)
        return self.scim_response(job.run(request.data))
