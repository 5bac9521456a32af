"""Adapters: the only place where SCIM resources become writes to the host's models.

``UserAdapter`` (``SCIM_PROVIDER["USER_ADAPTER"]``) and ``GroupAdapter``
(``SCIM_PROVIDER["GROUP_ADAPTER"]``) each have one overridable method per decision.
"""

from .users import UserAdapter, get_user_adapter

__all__ = ["UserAdapter", "get_user_adapter"]
