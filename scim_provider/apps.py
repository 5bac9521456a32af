from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScimProviderConfig(AppConfig):
    name = "scim_provider"
    verbose_name = _("SCIM provisioning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from . import checks, lookups  # noqa: F401  (registers the system checks)
        from .counts import link_deleted
        from .models import ScimGroup, ScimUser

        for model in (ScimUser, ScimGroup):
            post_delete.connect(
                link_deleted, sender=model, dispatch_uid=f"scim_provider.counts.{model.__name__}"
            )

        lookups.register()  # the string comparisons of filters (scim_provider.lookups)
