from django.apps import AppConfig


class RecipesConfig(AppConfig):
    """The host models and code of the vendor recipes (``SCIM_RECIPE``).

    Installed whatever the recipe: a recipe only switches settings (see ``__init__.py``).
    """

    name = "example_project.recipes"
    label = "recipes"
    default_auto_field = "django.db.models.BigAutoField"
