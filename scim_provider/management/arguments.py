"""Checks of the ``scim_*`` commands' arguments: a bad value is a ``CommandError`` that says
what is wrong, never a traceback."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

#: The most days any command accepts (about a century): beyond it, dates overflow.
MAX_DAYS = 36500


def days(value: int | None, option: str, *, minimum: int = 1) -> int | None:
    """``value`` if it is a number of days from ``minimum`` to ``MAX_DAYS`` (or None)."""
    if value is not None and not minimum <= value <= MAX_DAYS:
        low = "a positive number" if minimum == 1 else f"{minimum} or more"
        raise CommandError(f"{option} must be {low} of days, at most {MAX_DAYS}; got {value}.")
    return value


def tenant(pk: str | None) -> Any:
    """The tenant whose primary key is ``pk`` (None for None), or a ``CommandError``."""
    from scim_provider import services

    try:
        return services.find_tenant(pk)
    except LookupError as exc:
        raise CommandError(str(exc)) from exc
