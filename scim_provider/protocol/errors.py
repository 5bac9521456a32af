"""SCIM errors (RFC 7644 §3.12).

Raise a ``ScimError`` subclass anywhere; only ``scim_provider.handlers``
renders it. Each class carries the HTTP status, the ``scimType`` (when RFC
7644 defines one for the situation) and a default detail.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """Base of every error the SCIM API returns."""

    status: int = 400
    scim_type: str | None = None
    default_detail: str = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        scim_type: str | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type
        super().__init__(self.detail)

    def as_dict(self) -> dict[str, Any]:
        """The error as an RFC 7644 §3.12 JSON document."""
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


# 400 errors with a scimType (RFC 7644 §3.12, table 9).


class InvalidFilter(ScimError):
    scim_type = "invalidFilter"
    default_detail = "The specified filter syntax is invalid or the attribute is not filterable."


class TooMany(ScimError):
    scim_type = "tooMany"
    default_detail = "The specified filter yields too many results."


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"
    default_detail = "The request body is not a valid SCIM message."


class InvalidPath(ScimError):
    scim_type = "invalidPath"
    default_detail = "The path attribute is invalid or malformed."


class NoTarget(ScimError):
    scim_type = "noTarget"
    default_detail = "The path did not yield an attribute or value that could be operated on."


class InvalidValue(ScimError):
    scim_type = "invalidValue"
    default_detail = "A required value was missing or a value was not compatible."


class InvalidVersion(ScimError):
    scim_type = "invalidVers"
    default_detail = "The specified SCIM protocol version is not supported."


class Sensitive(ScimError):
    scim_type = "sensitive"
    default_detail = "The request cannot be completed because of sensitive information in the URI."


class Mutability(ScimError):
    scim_type = "mutability"
    default_detail = "The attempted modification is not compatible with the attribute's mutability."


class InvalidCursor(ScimError):
    """RFC 9865 §4: a cursor that is malformed or was not issued for this query."""

    scim_type = "invalidCursor"
    default_detail = "The cursor is invalid."


class ExpiredCursor(ScimError):
    """RFC 9865 §4: a cursor that is no longer valid."""

    scim_type = "expiredCursor"
    default_detail = "The cursor has expired."


# Errors identified by their status alone.


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"
    default_detail = "One or more unique attribute values are already in use."


class Unauthorized(ScimError):
    status = 401
    default_detail = "Authentication credentials were missing or invalid."


class Forbidden(ScimError):
    status = 403
    default_detail = "This token may not perform the requested operation."


class NotFound(ScimError):
    status = 404
    default_detail = "The requested resource was not found."


class MethodNotAllowed(ScimError):
    status = 405
    default_detail = "The HTTP method is not allowed on this endpoint."


class PreconditionFailed(ScimError):
    status = 412
    default_detail = "The resource has changed: its version no longer matches If-Match."


class PayloadTooLarge(ScimError):
    status = 413
    default_detail = "The request body is too large."


class UnsupportedMediaType(ScimError):
    status = 415
    default_detail = "Send the request body as application/scim+json or application/json."


class TooManyRequests(ScimError):
    status = 429
    default_detail = "Too many requests; retry after the number of seconds in Retry-After."

    def __init__(self, detail: str | None = None, *, retry_after: int = 60, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = max(1, int(retry_after))


class InternalError(ScimError):
    status = 500
    default_detail = "The server could not complete the request."


class NotImplementedFeature(ScimError):
    status = 501
    default_detail = "This operation is not supported by this service provider."
