"""Signals sent while SCIM requests change host objects.

All are sent inside the request's transaction: a receiver may raise a ``ScimError``
to refuse the change (the request rolls back and the client gets the error). Do side
effects such as emails or webhooks in ``transaction.on_commit``.

Every signal is sent with ``sender`` = the adapter class and these keyword arguments:

``pre_user_save``
    ``adapter``, ``user`` (unsaved changes applied), ``resource`` (the normalized SCIM
    resource being written), ``created`` (bool). Adjust ``user`` here, or raise.
``user_provisioned``
    ``adapter``, ``user``, ``link`` (the ``ScimUser``), ``resource``, ``adopted`` (True when
    an existing host user was matched rather than created).
``user_updated``
    ``adapter``, ``user``, ``link``, ``resource``, ``changed`` (set of SCIM paths, e.g.
    ``{"name.givenName", "urn:...:enterprise:2.0:User:department"}``).
``user_deactivated`` / ``user_reactivated``
    ``adapter``, ``user``, ``link``.
``user_deleted``
    ``adapter``, ``user``, ``link``, ``hard`` (True when the host user was deleted).
``group_created``
    ``adapter``, ``group`` (the ``ScimGroup``), ``resource``.
``group_updated``
    ``adapter``, ``group``, ``resource``, ``changed`` (SCIM paths other than ``members``).
``group_deleted``
    ``adapter``, ``group``, ``hard`` (True when the group row was deleted).
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
