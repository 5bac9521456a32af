"""``teams``: Qualytics (guide 003), in a multi-tenant product.

Bearer token bound to an organization; pushed groups are that organization's
``recipes.OrganizationTeam`` rows (a required ``organization``, names unique per
organization), whose members follow Okta's assignments and group pushes: add, remove,
rename, delete. Two organizations can both have an ``Engineering`` team.
"""

SCIM_PROVIDER = {
    "GROUP_MODEL": "recipes.OrganizationTeam",
    # Each team belongs to the organization of the token that pushed its group.
    "GROUP_TENANT_FIELD": "organization",
    # Unlink with "Delete the group in the target app": the team goes too.
    "GROUP_DELETE_MODE": "delete",
}
