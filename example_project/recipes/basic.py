"""``basic``: the defaults. ``auth.User``, pushed groups mirrored onto ``auth.Group``, tokens
optionally bound to an ``organizations.Organization`` (set for every recipe in settings.py).
"""

SCIM_PROVIDER: dict = {}
