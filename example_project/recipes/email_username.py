"""``email-username``: MaestroQA (guides 000 and 001).

Okta's Basic auth template with username ``apikey`` and the token as password; the login is
the email and can never change; two Profile Editor attributes in the core namespace,
``profile.location`` and ``profile.attribute1``, stored on ``recipes.Profile``; users are
deactivated, never deleted.
"""

SCIM_PROVIDER = {
    # Okta "Configure API Integration": Username apikey, Password <token>.
    "BASIC_AUTH_USERNAME": "apikey",
    # "We do not support setting an email in the username that does not match the email."
    "USERNAME_IS_EMAIL": True,
    # "At this time, we do not support Username and Email updates."
    "IMMUTABLE_ATTRIBUTES": ["userName", "emails"],
    # "Okta does not support removing users": a DELETE only deactivates.
    "DELETE_MODE": "deactivate",
    # Profile Editor: External name profile.<variable>, namespace core User.
    "USER_ATTRIBUTES": [
        {
            "path": "profile.location",
            "field": "profile__location",
            "description": "Office location (Okta: profile.location).",
        },
        {
            "path": "profile.attribute1",
            "field": "profile__attribute1",
            "description": "Free attribute, e.g. Okta's costCenter (Okta: profile.attribute1).",
        },
    ],
}
