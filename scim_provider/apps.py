from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScimProviderConfig(AppConfig):
    name = "scim_provider"
    verbose_name = _("SCIM provisioning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, lookups, roles  # noqa: F401  (checks, receivers)
        from .selfservice import groupmaps  # noqa: F401  (group mapping receivers)

        lookups.register()  # the string comparisons of filters (scim_provider.lookups)
