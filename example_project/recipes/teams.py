"""``teams``: Qualytics (guide 003).

Bearer token; pushed groups are ``recipes.Team`` rows whose members follow Okta's
assignments and group pushes: add, remove, rename, delete.
"""

SCIM_PROVIDER = {
    "GROUP_MODEL": "recipes.Team",
    # Unlink with "Delete the group in the target app": the team goes too.
    "GROUP_DELETE_MODE": "delete",
}
