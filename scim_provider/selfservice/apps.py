"""The self-service feature as its own app: add ``"scim_provider.selfservice"`` to
``INSTALLED_APPS`` beside ``"scim_provider"`` to mount its pages and to apply group mappings.

It wires itself here: the core app never imports it. Its models (tokens' rotation, group
mappings and rules, the audit log) live in the core app's tables.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfServiceConfig(AppConfig):
    name = "scim_provider.selfservice"
    label = "scim_selfservice"
    verbose_name = _("SCIM self-service")

    def ready(self) -> None:
        from .. import writes
        from . import groupmaps

        writes.install("group mappings", groupmaps.apply)
