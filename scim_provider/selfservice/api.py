"""JSON API of the self-service settings, for hosts with a JavaScript front end.

The same operations as the pages (docs/selfservice.md#json-api), with the same permission
hook (``SELF_SERVICE_PERMISSION``) and tenant (``SELF_SERVICE_TENANT``). Authentication is
the host's session (with DRF's CSRF check on writes), never a SCIM token; the host's
``REST_FRAMEWORK`` defaults do not apply. ``SELF_SERVICE_RATE_LIMIT`` limits each user
(429 with ``Retry-After``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.utils.cache import patch_cache_control
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import domains, services
from ..conf import scim_settings
from ..models import ScimGroupMapping, ScimGroupRule, tenant_key
from ..throttling import SelfServiceRateThrottle
from . import groupmaps, mappables
from .context import authorize, scim_base_url
from .forms import ActivityFilterForm

MAX_PAGE_SIZE = 200


class CanManageScim(BasePermission):
    """``SELF_SERVICE_PERMISSION`` for the request's tenant; stores it on the view."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise exceptions.NotAuthenticated()
        try:
            view.tenant = authorize(request)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        view.tenant_id = tenant_key(view.tenant)
        return True


class SelfServiceApi(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [CanManageScim]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [SelfServiceRateThrottle]

    def get_exception_handler(self):
        from rest_framework.views import exception_handler

        return exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        """Never cached (``Cache-Control: no-store``): answers hold tokens, audit and logs."""
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_cache_control(response, no_store=True)
        return response

    @property
    def actor(self) -> services.Actor:
        return services.Actor.from_request(self.request._request)


# Serializers ------------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk", read_only=True)
    name = serializers.CharField(max_length=200)
    prefix = serializers.CharField(source="display_prefix", read_only=True)
    status = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    created_by = serializers.SerializerMethodField()
    last_used_at = serializers.DateTimeField(read_only=True)
    last_used_ip = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True)

    def get_created_by(self, token) -> str | None:
        return token.created_by.get_username() if token.created_by_id else None


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True
    )


class RotateSerializer(serializers.Serializer):
    grace_seconds = serializers.IntegerField(min_value=0, max_value=30 * 86400, required=False)


class RequestSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    method = serializers.CharField()
    path = serializers.CharField()
    query = serializers.CharField()
    status = serializers.IntegerField()
    duration_ms = serializers.IntegerField()
    token_prefix = serializers.CharField()
    resource_type = serializers.CharField()
    resource_id = serializers.CharField()
    client_ip = serializers.CharField()
    scim_type = serializers.CharField()
    error_detail = serializers.CharField()
    request_body = serializers.JSONField()


class AuditSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.CharField(source="actor_name")
    ip = serializers.CharField()
    token_prefix = serializers.CharField()
    detail = serializers.JSONField()


class DomainSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    domain = serializers.CharField(max_length=253)
    verified = serializers.BooleanField(source="is_verified", read_only=True)
    verified_at = serializers.DateTimeField(read_only=True)
    verified_by = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    txt_record = serializers.SerializerMethodField()

    def get_txt_record(self, row) -> dict | None:
        """The DNS record that proves the domain (None once verified)."""
        if row.is_verified:
            return None
        return {"name": row.domain, "type": "TXT", "value": domains.txt_record(row)}

    def validate_domain(self, value: str) -> str:
        try:
            return domains.normalize_domain(value)
        except domains.DomainError as exc:
            raise serializers.ValidationError(str(exc)) from None


class MappingSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    group = serializers.CharField(source="group.scim_id", read_only=True)
    kind = serializers.CharField(read_only=True)
    target_id = serializers.CharField(read_only=True)
    rule = serializers.IntegerField(source="rule_id", read_only=True)


class MappingCreateSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="SCIM id of the pushed group")
    kind = serializers.CharField()
    target_id = serializers.CharField()


class RuleSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    match = serializers.ChoiceField(choices=[m for m, _ in ScimGroupRule.MATCHES])
    pattern = serializers.CharField(max_length=255)
    kind = serializers.CharField(max_length=64)
    target_id = serializers.CharField(max_length=64)


def paginate(request, rows, serializer_class) -> dict:
    try:
        size = min(int(request.query_params.get("page_size", 0)) or 0, MAX_PAGE_SIZE)
    except ValueError:
        size = 0
    paginator = Paginator(rows, size or scim_settings.SELF_SERVICE_PAGE_SIZE)
    page = paginator.get_page(request.query_params.get("page"))
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": serializer_class(page.object_list, many=True).data,
    }


# Views ------------------------------------------------------------------------------------


class OverviewApi(SelfServiceApi):
    """GET: the tenant's SCIM state: enabled, base URL, counts."""

    def get(self, request, **kwargs):
        counts = services.tenant_counts(self.tenant_id)
        return Response(
            {
                "tenant": self.tenant_id or None,
                "enabled": services.scim_enabled(self.tenant_id),
                "base_url": scim_base_url(request),
                "basic_auth_username": scim_settings.BASIC_AUTH_USERNAME,
                "counts": counts.__dict__,
                "active_tokens": services.tenant_tokens(
                    self.tenant_id, include_revoked=False
                ).count(),
            }
        )


class EnableApi(SelfServiceApi):
    """POST ``{"enabled": true|false}``."""

    def post(self, request, **kwargs):
        enabled = request.data.get("enabled") if isinstance(request.data, dict) else None
        if not isinstance(enabled, bool):
            raise exceptions.ValidationError({"enabled": "true or false"})
        changed = services.set_scim_enabled(self.tenant_id, enabled, actor=self.actor)
        return Response({"enabled": enabled, "changed": changed})


class TokenListApi(SelfServiceApi):
    """GET: the tenant's tokens. POST ``{"name", "expires_in_days"}``: a new token; the
    answer holds ``plaintext``, shown this once."""

    def get(self, request, **kwargs):
        tokens = services.tenant_tokens(self.tenant_id).select_related("created_by")
        return Response({"results": TokenSerializer(tokens, many=True).data})

    def post(self, request, **kwargs):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, plaintext = services.create_token(
            data.validated_data["name"],
            expires_in_days=data.validated_data.get("expires_in_days"),
            tenant=self.tenant,
            created_by=self.actor.user,
            actor=self.actor,
        )
        body = {**TokenSerializer(token).data, "plaintext": plaintext}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class TokenActionApi(SelfServiceApi):
    def get_token(self, pk):
        try:
            return services.get_tenant_token(self.tenant_id, pk)
        except services.TokenNotFound:
            raise Http404 from None


class TokenRotateApi(TokenActionApi):
    """POST ``{"grace_seconds"?}``: a new token (``plaintext`` once); the old one keeps
    working until ``previous.expires_at``."""

    def post(self, request, pk, **kwargs):
        token = self.get_token(pk)
        data = RotateSerializer(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        try:
            new, plaintext = services.rotate_token(
                token, grace_seconds=data.validated_data.get("grace_seconds"), actor=self.actor
            )
        except services.TokenNotUsable as exc:
            raise exceptions.ValidationError({"token": str(exc)}) from None
        body = {
            **TokenSerializer(new).data,
            "plaintext": plaintext,
            "previous": TokenSerializer(token).data,
        }
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class TokenRevokeApi(TokenActionApi):
    """POST: revoke; ``revoked`` is False when it already was."""

    def post(self, request, pk, **kwargs):
        token = self.get_token(pk)
        revoked = services.revoke(token, actor=self.actor)
        return Response({**TokenSerializer(token).data, "revoked": revoked})


class DomainListApi(SelfServiceApi):
    """GET: the tenant's domains. POST ``{"domain"}``: claim one; the answer holds the DNS
    TXT record (``txt_record``) to publish before ``verify``."""

    def get(self, request, **kwargs):
        rows = domains.tenant_domains(self.tenant_id)
        return Response(
            {
                "policy": scim_settings.DOMAIN_POLICY,
                "results": DomainSerializer(rows, many=True).data,
            }
        )

    def post(self, request, **kwargs):
        data = DomainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = domains.add_domain(self.tenant_id, data.validated_data["domain"], actor=self.actor)
        return Response(DomainSerializer(row).data, status=status.HTTP_201_CREATED)


class DomainActionApi(SelfServiceApi):
    def get_domain(self, pk):
        try:
            return domains.get_domain(self.tenant_id, pk)
        except domains.DomainError:
            raise Http404 from None


class DomainVerifyApi(DomainActionApi):
    """POST: look the domain's TXT record up now; 200 with the domain once verified, 400
    with ``{"domain": reason}`` when the record is missing or another account verified it."""

    def post(self, request, pk, **kwargs):
        try:
            row = domains.verify_domain(self.get_domain(pk), actor=self.actor)
        except domains.DomainError as exc:
            raise exceptions.ValidationError({"domain": str(exc)}) from None
        return Response(DomainSerializer(row).data)


class DomainDetailApi(DomainActionApi):
    """DELETE: give the domain up."""

    def delete(self, request, pk, **kwargs):
        domains.remove_domain(self.get_domain(pk), actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RequestListApi(SelfServiceApi):
    """GET ``?outcome=errors&method=&status=&resource_type=&page=&page_size=``."""

    def get(self, request, **kwargs):
        form = ActivityFilterForm(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors)
        return Response(paginate(request, form.requests(self.tenant_id), RequestSerializer))


class AuditListApi(SelfServiceApi):
    def get(self, request, **kwargs):
        rows = services.tenant_audit_log(self.tenant_id)
        return Response(paginate(request, rows, AuditSerializer))


class GroupListApi(SelfServiceApi):
    """GET: the pushed groups, with member counts and mappings."""

    def get(self, request, **kwargs):
        groups = list(
            groupmaps.tenant_groups(self.tenant_id).annotate(member_count=Count("memberships"))
        )
        mappings: dict[int, list] = {g.pk: [] for g in groups}
        rows = ScimGroupMapping.objects.filter(group__in=groups).select_related("group")
        for mapping in rows:
            mappings[mapping.group_id].append(MappingSerializer(mapping).data)
        return Response(
            {
                "results": [
                    {
                        "id": str(g.scim_id),
                        "display_name": g.display_name,
                        "member_count": g.member_count,
                        "mappings": mappings[g.pk],
                    }
                    for g in groups
                ]
            }
        )


class MappableListApi(SelfServiceApi):
    """GET: what groups can be mapped to, by kind."""

    def get(self, request, **kwargs):
        return Response(
            {
                "results": [
                    {
                        "kind": m.kind,
                        "label": m.label,
                        "entities": [
                            {"id": str(e.pk), "label": str(e)}
                            for e in m.entities(self.tenant_id)[:500]
                        ],
                    }
                    for m in mappables.all_mappables()
                ]
            }
        )


class MappingListApi(SelfServiceApi):
    """POST ``{"group": scim id, "kind", "target_id"}``: map a group directly."""

    def post(self, request, **kwargs):
        data = MappingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            group = groupmaps.get_group(self.tenant_id, values["group"])
            mapping, created = groupmaps.map_group(
                self.tenant_id, group, values["kind"], values["target_id"], actor=self.actor
            )
        except groupmaps.MappingError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}) from None
        return Response(
            MappingSerializer(mapping).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MappingDetailApi(SelfServiceApi):
    """DELETE: remove a direct mapping."""

    def delete(self, request, pk, **kwargs):
        try:
            groupmaps.unmap_group(self.tenant_id, pk, actor=self.actor)
        except groupmaps.MappingError:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleListApi(SelfServiceApi):
    """GET: the rules. POST ``{"match", "pattern", "kind", "target_id"}``."""

    def get(self, request, **kwargs):
        rules = ScimGroupRule.objects.filter(tenant_id=self.tenant_id)
        return Response({"results": RuleSerializer(rules, many=True).data})

    def post(self, request, **kwargs):
        data = RuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            rule = groupmaps.add_rule(
                self.tenant_id,
                values["match"],
                values["pattern"],
                values["kind"],
                values["target_id"],
                actor=self.actor,
            )
        except groupmaps.MappingError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}) from None
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class RuleDetailApi(SelfServiceApi):
    def delete(self, request, pk, **kwargs):
        try:
            groupmaps.remove_rule(self.tenant_id, pk, actor=self.actor)
        except groupmaps.MappingError:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)
