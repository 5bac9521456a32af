"""The one place where SCIM errors are rendered (RFC 7644 §3.12).

``exception_handler`` is the DRF exception handler of every SCIM view: it
turns a ``ScimError``, any DRF ``APIException``, Django's ``Http404`` and
``PermissionDenied`` and any unexpected exception into a SCIM Error response
(``application/scim+json``, ``status`` as a string, ``scimType`` where RFC 7644
defines one, a useful ``detail``) and marks the request's transaction for
rollback, so that a failed request writes nothing. Unexpected exceptions are
logged with their traceback but their text never reaches the client.
"""

from __future__ import annotations

import logging
import math

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from .protocol import errors

logger = logging.getLogger("scim_provider")

SCIM_CONTENT_TYPE = "application/scim+json"


def scim_error_from_exception(exc: Exception) -> errors.ScimError:
    """The SCIM error for ``exc``."""
    if isinstance(exc, errors.ScimError):
        return exc
    if isinstance(exc, Http404):
        return errors.NotFound()
    if isinstance(exc, PermissionDenied):
        return errors.Forbidden()
    if isinstance(exc, RequestDataTooBig):
        return errors.PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return errors.InvalidSyntax("The request was refused as malformed.")
    if isinstance(exc, exceptions.APIException):
        return _from_api_exception(exc)
    logger.exception("Unexpected error in a SCIM request")
    return errors.InternalError()


def _from_api_exception(exc: exceptions.APIException) -> errors.ScimError:
    detail = exc.detail if isinstance(exc.detail, str) else None
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        if isinstance(exc, exceptions.NotAuthenticated):
            detail = "Authentication credentials were not provided: send the SCIM token."
        return errors.Unauthorized(detail)
    if isinstance(exc, exceptions.PermissionDenied):
        return errors.Forbidden(detail if detail != exc.default_detail else None)
    if isinstance(exc, exceptions.ParseError):
        return errors.InvalidSyntax(f"The request body is not valid JSON: {detail}")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return errors.UnsupportedMediaType()
    if isinstance(exc, exceptions.MethodNotAllowed):
        return errors.MethodNotAllowed(str(detail))
    if isinstance(exc, exceptions.NotFound):
        return errors.NotFound()
    if isinstance(exc, exceptions.Throttled):
        # Retry-After is a whole number of seconds, rounded up: never earlier than allowed.
        return errors.TooManyRequests(retry_after=math.ceil(exc.wait or 1))
    if isinstance(exc, exceptions.ValidationError):
        return errors.InvalidValue()
    return errors.ScimError(detail, status=exc.status_code)


def error_response(error: errors.ScimError) -> Response:
    headers = {}
    if isinstance(error, errors.TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return Response(
        error.as_dict(), status=error.status, headers=headers, content_type=SCIM_CONTENT_TYPE
    )


def exception_handler(exc: Exception, context: dict) -> Response:
    error = scim_error_from_exception(exc)
    response = error_response(error)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            response["WWW-Authenticate"] = auth_header
    view = context.get("view")
    if getattr(view, "in_atomic_block", False):
        # Roll back whatever the failed request wrote: the view opened this block.
        transaction.set_rollback(True)
    return response
