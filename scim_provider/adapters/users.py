"""Adapters: the only place where SCIM resources become writes to the host's models.

``UserAdapter`` turns normalized SCIM resources (from ``protocol.validate`` and
``protocol.patch``) into the host's user objects and back, through the mappings of the
attribute registry, and keeps the ``ScimUser`` link row. It has one overridable method per
decision (allauth-style); point ``SCIM_PROVIDER["USER_ADAPTER"]`` at a subclass::

    class AcmeUserAdapter(UserAdapter):
        def get_user_queryset(self):
            return super().get_user_queryset().filter(organization_id=self.tenant_id)

        def save_user(self, user, resource, *, created):
            if created:
                user.organization_id = self.tenant_id
            super().save_user(user, resource, created=created)

An adapter is made per request for the token's tenant (``tenant_id``, '' for none):
everything it reads and writes is confined to that tenant.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .. import signals
from ..conf import scim_settings
from ..mapping import Mapping, ResourcePath, get_value, primary_element, remove_value, set_value
from ..models import ScimUser
from ..protocol import errors
from ..protocol.schemas import Attribute, ResourceType, Schema
from ..query import Column
from ..registry import USER, registry


def get_user_adapter(tenant_id: str = "") -> UserAdapter:
    return scim_settings.USER_ADAPTER(tenant_id)


def lower(value: Any) -> str:
    return value.lower() if isinstance(value, str) else ""


class UserAdapter:
    """Maps SCIM Users onto the host's user model (``AUTH_USER_MODEL``)."""

    resource = USER

    def __init__(self, tenant_id: str = "") -> None:
        self.tenant_id = tenant_id

    # Configuration ----------------------------------------------------------------------

    @property
    def model(self) -> type[models.Model]:
        return get_user_model()

    @property
    def resource_type(self) -> ResourceType:
        return registry.resource_type(self.resource)

    @property
    def mappings(self) -> tuple[Mapping, ...]:
        return registry.mappings(self.resource, self.model)

    def related_names(self) -> list[str]:
        """``select_related`` paths from the link row: the user and mapped relations."""
        relations = {m.relation for m in self.mappings if m.relation}
        return ["user", *(f"user__{name}" for name in sorted(relations))]

    # Reading ----------------------------------------------------------------------------

    def get_queryset(self) -> QuerySet[ScimUser]:
        """Live (not deleted) links of this tenant, with their users."""
        return ScimUser.objects.filter(tenant_id=self.tenant_id, deleted_at__isnull=True)

    def get_link(self, scim_id: str, *, for_update: bool = False) -> ScimUser:
        """The live link with SCIM id ``scim_id`` (locked with ``for_update``), else 404."""
        try:
            uuid.UUID(scim_id)
            return self._locked(self.get_queryset(), for_update).get(scim_id=scim_id)
        except (ValueError, ScimUser.DoesNotExist):
            raise errors.NotFound(f"User {scim_id!r} not found.") from None

    def _locked(self, queryset: QuerySet[ScimUser], for_update: bool) -> QuerySet[ScimUser]:
        queryset = queryset.select_related(*self.related_names())
        return queryset.select_for_update(of=("self",)) if for_update else queryset

    def filter_column(
        self, schema: Schema, attribute: Attribute, sub: Attribute | None
    ) -> Column | None:
        """Where a filter or ``sortBy`` on this attribute is evaluated (None: not filterable)."""
        core = schema.id == self.resource_type.schema.id
        name, sub_name = attribute.name, sub.name if sub else None
        if core:
            column = self.link_column(name, sub_name)
            if column is not None:
                return column
        urn = None if core else schema.id
        for mapping in self.mappings:
            path = mapping.path
            if (path.urn, path.attribute, path.sub_attribute) == (urn, name, sub_name):
                if mapping.lookup is None or path.primary:
                    return None
                return Column(
                    "user__" + mapping.lookup,
                    field_kind(mapping.model_field, (sub or attribute).case_exact),
                    blank=None if mapping.model_field.null else "",
                )
        return json_column(urn, attribute, sub)

    def link_column(self, name: str, sub: str | None) -> Column | None:
        """Columns of the link row behind core attributes (identity-provider lookups)."""
        if name == "id":
            return Column("scim_id", "uuid", blank=None)
        if name == "externalId":
            return Column("external_id", "exact")
        if name == "userName":
            return Column("user_name_key", "folded")
        if name == "emails":
            # Email filters match the primary address (what Okta and Entra match on).
            return Column("email_key", "folded") if sub in (None, "value") else Column("", "true")
        if name == "meta":
            lookup = {"created": "created_at", "lastModified": "updated_at"}.get(sub or "")
            return Column(lookup, "datetime", blank=None) if lookup else None
        return None

    def to_resource(self, link: ScimUser) -> dict[str, Any]:
        """The normalized SCIM resource of ``link``'s user."""
        resource = copy.deepcopy(link.attributes) if isinstance(link.attributes, dict) else {}
        user = link.user
        for mapping in self.mappings:
            set_value(resource, mapping.path, mapping.read(user))
        if link.external_id:
            resource["externalId"] = link.external_id
        return resource

    # Writing ----------------------------------------------------------------------------

    def get_user_queryset(self) -> QuerySet:
        """Host users this tenant may adopt (``MATCH_EXISTING_USERS``)."""
        return self.model._default_manager.all()

    def match_existing_user(self, resource: dict[str, Any]) -> models.Model | None:
        """An existing, unlinked host user to adopt for a POSTed resource, or None."""
        match_on = scim_settings.MATCH_EXISTING_USERS
        candidates = self.get_user_queryset().filter(scim_link__isnull=True)
        model = self.model
        if "userName" in match_on and resource.get("userName"):
            found = candidates.filter(
                **{f"{model.USERNAME_FIELD}__iexact": resource["userName"]}
            ).first()
            if found is not None:
                return found
        email = get_value(resource, ResourcePath("emails", "value", primary=True))
        if "email" in match_on and email:
            return candidates.filter(**{f"{model.get_email_field_name()}__iexact": email}).first()
        return None

    def new_user(self, resource: dict[str, Any]) -> models.Model:
        """A new, unsaved host user for ``resource``."""
        user = self.model()
        user.set_unusable_password()
        return user

    def check_policies(self, resource: dict[str, Any], current: dict[str, Any] | None) -> None:
        """Refuse what the deployment's policies forbid (``USERNAME_IS_EMAIL``, immutables)."""
        if scim_settings.USERNAME_IS_EMAIL:
            email = get_value(resource, ResourcePath("emails", "value", primary=True))
            if lower(resource.get("userName")) != lower(email):
                raise errors.InvalidValue("userName must be the same as the primary email.")
        if current is None:
            return
        for text in scim_settings.IMMUTABLE_ATTRIBUTES:
            path = ResourcePath.parse(text, self.resource_type)
            before, after = get_value(current, path), get_value(resource, path)
            if _comparable(before) != _comparable(after):
                raise errors.Mutability(f"{text} cannot be changed once set.")

    def save_user(self, user: models.Model, resource: dict[str, Any], *, created: bool) -> None:
        """Write ``resource``'s mapped attributes (and password) onto ``user`` and save it."""
        pending: dict[str, models.Model] = {}
        for mapping in self.mappings:
            mapping.write(user, get_value(resource, mapping.path), pending)
        password = resource.get("password")
        if scim_settings.PASSWORD_SYNC and isinstance(password, str) and password:
            user.set_password(password)
        signals.pre_user_save.send(
            sender=type(self), adapter=self, user=user, resource=resource, created=created
        )
        user.save()
        for related in pending.values():
            related.save()

    def deactivate(self, user: models.Model) -> None:
        """Hook called when a user becomes inactive (``active`` is mapped separately)."""

    def reactivate(self, user: models.Model) -> None:
        """Hook called when an inactive user becomes active again."""

    def stored_attributes(self, resource: dict[str, Any]) -> dict[str, Any]:
        """What is kept as JSON on the link: everything no mapping or column holds."""
        stored = copy.deepcopy(resource)
        for key in ("externalId", "password", "groups"):
            stored.pop(key, None)
        for mapping in self.mappings:
            remove_value(stored, mapping.path)
        return stored

    def create(self, resource: dict[str, Any]) -> ScimUser:
        """Provision ``resource``: adopt or create the host user and link it."""
        self.check_policies(resource, None)
        key = lower(resource.get("userName"))
        existing = ScimUser.objects.filter(tenant_id=self.tenant_id, user_name_key=key).first()
        if existing is not None:
            if existing.is_deleted and scim_settings.RELINK_DELETED_USERS:
                existing = self._locked(ScimUser.objects, True).get(pk=existing.pk)
                return self._revive(existing, resource)
            raise errors.Uniqueness(f"A user with userName {resource.get('userName')!r} exists.")
        user = self.match_existing_user(resource)
        adopted = user is not None
        if user is None:
            user = self.new_user(resource)
        was_active = adopted and _is_active(user)
        with _uniqueness_guard():
            self.save_user(user, resource, created=not adopted)
            link = ScimUser(user=user, tenant_id=self.tenant_id)
            self._fill_link(link, resource)
            link.save(force_insert=True)
        signals.user_provisioned.send(
            sender=type(self),
            adapter=self,
            user=user,
            link=link,
            resource=resource,
            adopted=adopted,
        )
        if adopted and was_active and not _is_active(user):
            self._transition(link, False)
        return link

    def update(self, link: ScimUser, resource: dict[str, Any], current: dict[str, Any]) -> ScimUser:
        """Write ``resource`` (the whole new state) over ``current`` (the stored state)."""
        self.check_policies(resource, current)
        changed = changed_paths(current, resource)
        if not changed:
            return link
        was_active = _is_active(link.user)
        with _uniqueness_guard():
            self.save_user(link.user, resource, created=False)
            self._fill_link(link, resource)
            link.save()
        signals.user_updated.send(
            sender=type(self),
            adapter=self,
            user=link.user,
            link=link,
            resource=resource,
            changed=changed,
        )
        if was_active != _is_active(link.user):
            self._transition(link, _is_active(link.user))
        return link

    def delete(self, link: ScimUser) -> None:
        """DELETE: deactivate and hide (``DELETE_MODE="deactivate"``) or delete the user."""
        user = link.user
        if scim_settings.DELETE_MODE == "delete":
            user.delete()
            signals.user_deleted.send(
                sender=type(self), adapter=self, user=user, link=link, hard=True
            )
            return
        was_active = _is_active(user)
        resource = self.to_resource(link)
        resource["active"] = False
        self.save_user(user, resource, created=False)
        link.deleted_at = timezone.now()
        self._fill_link(link, resource)
        link.save()
        if was_active:
            self._transition(link, False)
        signals.user_deleted.send(sender=type(self), adapter=self, user=user, link=link, hard=False)

    # Internals --------------------------------------------------------------------------

    def _revive(self, link: ScimUser, resource: dict[str, Any]) -> ScimUser:
        """Re-provision a soft-deleted user: the same id, the new attributes."""
        link.deleted_at = None
        was_active = _is_active(link.user)
        with _uniqueness_guard():
            self.save_user(link.user, resource, created=False)
            self._fill_link(link, resource)
            link.save()
        signals.user_provisioned.send(
            sender=type(self),
            adapter=self,
            user=link.user,
            link=link,
            resource=resource,
            adopted=True,
        )
        if was_active != _is_active(link.user):
            self._transition(link, _is_active(link.user))
        return link

    def _fill_link(self, link: ScimUser, resource: dict[str, Any]) -> None:
        link.user_name_key = lower(resource.get("userName"))[:255]
        email = get_value(resource, ResourcePath("emails", "value", primary=True))
        link.email_key = lower(email)[:254]
        link.external_id = (resource.get("externalId") or "")[:255]
        link.attributes = self.stored_attributes(resource)
        link.updated_at = timezone.now()
        if link.pk:
            link.version = (link.version or 0) + 1

    def _transition(self, link: ScimUser, active: bool) -> None:
        if active:
            self.reactivate(link.user)
            signals.user_reactivated.send(
                sender=type(self), adapter=self, user=link.user, link=link
            )
        else:
            self.deactivate(link.user)
            signals.user_deactivated.send(
                sender=type(self), adapter=self, user=link.user, link=link
            )


def field_kind(model_field: models.Field, case_exact: bool) -> str:
    """How a filter compares values of ``model_field``."""
    if isinstance(model_field, models.BooleanField):
        return "boolean"
    if isinstance(model_field, (models.IntegerField, models.FloatField, models.DecimalField)):
        return "number"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    return "exact" if case_exact else "text"


JSON_KINDS = {"boolean": "boolean", "integer": "number", "decimal": "number"}


def json_column(urn: str | None, attribute: Attribute, sub: Attribute | None) -> Column | None:
    """A column for a single-valued attribute kept in the link's JSON ``attributes``."""
    leaf = sub or attribute
    if attribute.multi_valued or leaf.type == "complex" or leaf.returned == "never":
        return None
    keys = [urn] if urn else []
    keys += [attribute.name] + ([sub.name] if sub else [])
    kind = JSON_KINDS.get(leaf.type) or ("exact" if leaf.case_exact else "text")
    return Column("attributes__" + "__".join(keys), kind, blank=None)


def changed_paths(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """Top-level SCIM attributes (``name``, ``urn:...:department``) that differ."""
    changed: set[str] = set()
    for key in set(before) | set(after):
        if key.startswith("urn:") and isinstance(after.get(key, {}), dict):
            old, new = before.get(key) or {}, after.get(key) or {}
            changed |= {f"{key}:{n}" for n in set(old) | set(new) if old.get(n) != new.get(n)}
        elif before.get(key) != after.get(key):
            changed.add(key)
    changed.discard("password")
    if "password" in after:
        changed.add("password")
    return changed


def _comparable(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _is_active(user: models.Model) -> bool:
    return bool(getattr(user, "is_active", True))


class _uniqueness_guard:
    """A savepoint that turns an ``IntegrityError`` (a unique value taken) into a 409."""

    def __enter__(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._atomic.__exit__(exc_type, exc, tb)
        if exc_type is not None and issubclass(exc_type, IntegrityError):
            raise errors.Uniqueness(
                "A unique attribute (such as userName) is already in use."
            ) from None
        return False


__all__ = ["UserAdapter", "changed_paths", "get_user_adapter", "primary_element"]
