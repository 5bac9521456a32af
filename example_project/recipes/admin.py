from django.contrib import admin

from .models import OrganizationTeam, Profile, Team


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "location", "attribute1", "organization_role", "lambdatest_group"]
    search_fields = ["user__username", "user__email"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at", "archived_at"]
    list_filter = ["archived_at"]
    filter_horizontal = ["members"]


@admin.register(OrganizationTeam)
class OrganizationTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "created_at"]
    list_filter = ["organization"]
    filter_horizontal = ["members"]
