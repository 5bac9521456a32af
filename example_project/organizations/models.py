"""The example host's tenants: each customer organization gets its own SCIM tokens."""

from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(unique=True)

    def __str__(self) -> str:
        return self.name
