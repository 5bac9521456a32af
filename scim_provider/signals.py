"""Signals sent when SCIM requests change host objects: notifications, never the write.

The write path (``scim_provider.writes``) sends each of them once, after the write and its
derived state (host-group members, group mappings, roles, counts) are done, still inside the
request's transaction: a receiver sees every row written and may raise a ``ScimError`` to
refuse the change (the request rolls back and the client gets the error). ``pre_user_save``
alone is sent before the user is saved, to adjust it. A receiver must not drive further
SCIM writes (roles, mirrors and mappings are steps of the write path). Do side effects such
as emails or webhooks in ``transaction.on_commit``.

Every signal is sent with ``sender`` = the adapter class and these keyword arguments:

``pre_user_save``
    ``adapter``, ``user`` (unsaved changes applied), ``resource`` (the normalized SCIM
    resource being written), ``created`` (bool). Adjust ``user`` here, or raise.
``user_provisioned``
    ``adapter``, ``user``, ``link`` (the ``ScimUser``), ``resource``, ``adopted`` (True when
    an existing host user was matched rather than created).
``user_updated``
    ``adapter``, ``user``, ``link``, ``resource``, ``changed`` (set of SCIM paths that
    changed, sub-attributes of single-valued complex attributes, e.g.
    ``{"name.givenName", "emails", "urn:...:enterprise:2.0:User:department"}``).
``user_deactivated`` / ``user_reactivated``
    ``adapter``, ``user``, ``link``.
``user_deleted``
    ``adapter``, ``user``, ``link``, ``hard`` (True when the host user was deleted).
``group_created``
    ``adapter``, ``group`` (the ``ScimGroup``), ``resource``.
``group_updated``
    ``adapter``, ``group``, ``resource``, ``changed`` (SCIM paths other than ``members``).
``group_deleted``
    ``adapter``, ``group``, ``host_group`` (the mirrored host group, or None),
    ``hard`` (True when the group row was deleted).
``members_added`` / ``members_removed``
    ``adapter``, ``group``, ``user_ids`` (sorted primary keys of the host users).
``roles_changed``
    ``adapter`` (the user adapter), ``target`` (the SCIM path of the role attribute),
    ``values`` (``{host user pk: new value}`` for the users whose role changed).
"""

from django.dispatch import Signal

pre_user_save = Signal()
user_provisioned = Signal()
user_updated = Signal()
user_deactivated = Signal()
user_reactivated = Signal()
user_deleted = Signal()
group_created = Signal()
group_updated = Signal()
group_deleted = Signal()
members_added = Signal()
members_removed = Signal()
roles_changed = Signal()

# Token lifecycle (self-service, admin commands). Sent with ``sender`` = the token model and
# these keyword arguments; the plaintext is never sent. ``user`` is who acted (None for a
# command or a system job), ``ip`` their address (None when unknown).
#
# ``token_created``
#     ``token``, ``tenant_id`` ('' without tenants), ``user``, ``ip``.
# ``token_rotated``
#     ``token`` (the new one), ``previous`` (the old one, valid until ``grace_until``),
#     ``grace_until`` (a datetime), ``tenant_id``, ``user``, ``ip``.
# ``token_revoked``
#     ``token``, ``tenant_id``, ``user``, ``ip``.
# ``token_expiring``
#     ``token``, ``tenant_id``, ``expires_at``, ``days_left`` (whole days, 0 on the last
#     day); sent by ``scim_token_expiry_notice`` for each active token about to expire.
token_created = Signal()
token_rotated = Signal()
token_revoked = Signal()
token_expiring = Signal()

# Group mappings (self-service): ``mapping_applied`` is sent after the members of one mapped
# host entity were brought in line with the groups mapped to it, with ``sender`` = the
# ``Mappable``, and ``tenant_id``, ``kind``, ``target_id``, ``entity``, ``added`` and
# ``removed`` (host user primary keys, sorted; ``added`` holds every user the groups map
# there among those concerned, including users who already were members).
mapping_applied = Signal()
