"""Host models the recipes provision into.

* ``Profile``: one-to-one with the user; holds Okta's custom attributes
  (``profile.location``, ``profile.attribute1``) and TestMu AI's ``OrganizationRole`` and
  ``LambdatestGroup``. Created on the first write of one of its fields.
* ``Team``: the host group model of the recipes that push groups (``GROUP_MODEL``); its
  members are a many-to-many to the user model, which the SCIM group mirror keeps in sync.
  ``archived_at`` is set when a pushed group is deleted and the recipe soft-deletes teams.
* ``OrganizationTeam``: a team owned by an organization (the tenant), as a multi-tenant
  product has them: a required ``organization`` and names unique per organization. The
  ``teams`` recipe mirrors pushed groups onto it (``GROUP_TENANT_FIELD = "organization"``).
"""

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    location = models.CharField(max_length=200, blank=True)
    attribute1 = models.CharField(max_length=200, blank=True)
    organization_role = models.CharField(max_length=20, blank=True)
    lambdatest_group = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Team(models.Model):
    name = models.CharField(max_length=255)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class OrganizationTeam(models.Model):
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(max_length=255)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="organization_teams", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="recipes_team_unique_name_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.organization})"
