"""django-scim-provider: a SCIM 2.0 service provider for Django projects."""

__version__ = "0.1.0"
