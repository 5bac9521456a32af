"""``role-extension``: TestMu AI, formerly LambdaTest (guide 004).

Bearer token; ``userName``, ``active``, ``name.givenName`` and ``name.familyName`` are
required; a user extension with ``OrganizationRole`` (Admin, User, Guest) and
``LambdatestGroup``; a group extension with ``LambdatestRoles``. A user's role is the
highest role of their groups; pushed groups are ``recipes.Team`` rows, renamed with the
group, archived (soft-deleted) with their members unassigned when the group is deleted.
"""

LT_USER = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
LT_GROUP = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:Group"
ROLES = ["Admin", "User", "Guest"]  # highest first

SCIM_PROVIDER = {
    # "userName, Active, name.givenName, name.familyName are required attributes".
    # userName is required by RFC 7643; the others keep their definitions, made required.
    "USER_REQUIRED_ATTRIBUTES": ["name.givenName", "name.familyName", "active"],
    "USER_ATTRIBUTES": [
        {
            "path": f"{LT_USER}:OrganizationRole",
            "canonical_values": ROLES,
            "field": "profile__organization_role",
            "description": "TestMu AI organization role: the highest role of the groups.",
        },
        {
            "path": f"{LT_USER}:LambdatestGroup",
            "field": "profile__lambdatest_group",
            "description": "TestMu AI group (organizations with group support).",
        },
    ],
    "GROUP_ATTRIBUTES": [
        {
            "path": f"{LT_GROUP}:LambdatestRoles",
            "canonical_values": ROLES,
            "description": "The role every member of the group gets.",
        },
    ],
    "ROLE_MAPPINGS": [
        {
            "target": f"{LT_USER}:OrganizationRole",
            "roles": ROLES,
            "from": "group_attribute",
            "group_attribute": f"{LT_GROUP}:LambdatestRoles",
        },
    ],
    "GROUP_MODEL": "recipes.Team",
    # "Unlink/delete pushed group: group soft-deleted, members safely unassigned".
    "GROUP_DELETE_MODE": "soft",
    "GROUP_ADAPTER": "example_project.recipes.adapters.ArchivingTeamAdapter",
}
