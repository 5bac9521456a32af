"""``roles-from-groups``: Testomat.io (guide 002).

Bearer token; userName is the email; ``name.formatted`` is kept as sent; Okta's password is
synchronised; ``testomat_roles`` (a multi-valued extension attribute) is computed from the
names of the pushed groups; pushed groups become ``recipes.Team`` rows with their members.
"""

TESTOMAT_ROLES = "urn:ietf:params:scim:schemas:extension:testomat:2.0:User:testomat_roles"

SCIM_PROVIDER = {
    # Attribute mapping: userName <- user.email.
    "USERNAME_IS_EMAIL": True,
    # "Optionally enable Sync Okta Password": set_password() with what Okta sends.
    "PASSWORD_SYNC": True,
    "USER_ATTRIBUTES": [
        {
            "path": TESTOMAT_ROLES,
            "multi_valued": True,
            "canonical_values": ["manager", "billing", "read", "qa"],
            "description": "Testomat.io roles, computed from the pushed groups.",
        },
    ],
    # Groups containing "manager" -> ["manager"], "billing" -> ["billing"],
    # "read-only" -> ["read"], default ["qa"].
    "ROLE_MAPPINGS": [
        {
            "target": TESTOMAT_ROLES,
            "roles": ["manager", "billing", "read"],
            "from": "group_name",
            "names": {"manager": "manager", "billing": "billing", "read-only": "read"},
            "match": "contains",
            "multiple": True,
            "default": ["qa"],
        },
    ],
    # Push Groups: groups (teams) with their members.
    "GROUP_MODEL": "recipes.Team",
    "GROUP_DELETE_MODE": "delete",
}
