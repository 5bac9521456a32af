"""Bulk (RFC 7644 §3.7): many writes in one request, with ``bulkId`` cross-references.

Each operation is one of the writes of ``scim_provider.operations`` (the code path of the
HTTP views), run in its own savepoint: a failed operation leaves no trace and the others
are kept. With ``BULK_ATOMIC`` the request is all-or-nothing instead: the first failure
rolls everything back and the whole request answers that failure's error.

References: a string ``"bulkId:<id>"`` anywhere in ``data``, or in ``path``
(``/Groups/bulkId:<id>``), is replaced by the SCIM id of the resource the operation with
that ``bulkId`` created. Operations run in request order, except that one whose references
are not resolved yet waits for a later pass (forward references); what never resolves is
an error of the operation:

* a ``bulkId`` no operation declares: 400 ``invalidValue``;
* a ``bulkId`` whose operation failed: 409 ``invalidValue``;
* a circular reference (operations waiting on each other, or on themselves): 409
  ``invalidValue`` (§3.7.1 lets the service provider answer 409 instead of breaking the
  cycle).

``failOnErrors`` (§3.7.3) stops the job once that many operations failed; the operations
not attempted are not in the response. ``maxOperations`` and ``maxPayloadSize`` are
enforced with a 413 for the whole request (§3.7.4).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

from . import limits, operations
from .conf import scim_settings
from .handlers import scim_error_from_exception
from .protocol import errors
from .protocol.serialize import etag
from .registry import GROUP, USER

if TYPE_CHECKING:  # pragma: no cover
    from .adapters.base import ResourceAdapter

BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
PREFIX = "bulkId:"
ENDPOINTS = {"users": USER, "groups": GROUP}
SUCCESS_STATUS = {"POST": 201, "PUT": 200, "PATCH": 200, "DELETE": 204}


@dataclass
class Operation:
    """One entry of ``Operations``, checked (``error`` set when it cannot run)."""

    index: int
    method: str = ""
    bulk_id: str | None = None
    version: str | None = None
    data: Any = None
    resource: str = USER
    target: str | None = None  # the id in the path (maybe "bulkId:..."), None for POST
    references: set[str] = field(default_factory=set)
    error: errors.ScimError | None = None

    @classmethod
    def parse(cls, index: int, raw: Any) -> Operation:
        op = cls(index)
        if not isinstance(raw, dict):
            op.error = errors.InvalidSyntax(f"Operations[{index}] must be an object.")
            return op
        op.method = str(raw.get("method") or "").upper()
        bulk_id = raw.get("bulkId")
        op.bulk_id = bulk_id if isinstance(bulk_id, str) and bulk_id else None
        op.version = raw.get("version") if isinstance(raw.get("version"), str) else None
        op.data = raw.get("data")
        try:
            op.check(raw.get("path"))
        except errors.ScimError as exc:
            op.error = exc
        return op

    def check(self, path: Any) -> None:
        where = f"Operations[{self.index}]"
        if self.method not in SUCCESS_STATUS:
            raise errors.InvalidSyntax(f"{where}: method must be POST, PUT, PATCH or DELETE.")
        if not isinstance(path, str) or not path.strip("/"):
            raise errors.InvalidSyntax(f"{where}: path is required (e.g. '/Users').")
        parts = path.strip("/").split("/")
        resource = ENDPOINTS.get(parts[0].lower())
        if resource is None or len(parts) > 2:
            raise errors.InvalidPath(f"{where}: path must be /Users or /Groups[/id].")
        self.resource = resource
        if self.method == "POST":
            if len(parts) != 1:
                raise errors.InvalidPath(f"{where}: POST to /Users or /Groups, without an id.")
            if self.bulk_id is None:
                raise errors.InvalidSyntax(f"{where}: bulkId is required with POST.")
        elif len(parts) != 2 or not parts[1]:
            raise errors.InvalidPath(f"{where}: {self.method} needs a path with an id.")
        else:
            self.target = parts[1]
        if self.method in ("POST", "PUT", "PATCH") and not isinstance(self.data, dict):
            raise errors.InvalidSyntax(f"{where}: data must be an object.")
        self.references = set(_references(self.data))
        if self.target and self.target.startswith(PREFIX):
            self.references.add(self.target.removeprefix(PREFIX))


def _references(value: Any):
    """The bulkIds referenced in ``value`` (strings ``bulkId:<id>``)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and item.startswith(PREFIX):
            yield item.removeprefix(PREFIX)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with each ``bulkId:<id>`` replaced by the SCIM id created for it."""
    if isinstance(value, str) and value.startswith(PREFIX):
        return ids[value.removeprefix(PREFIX)]
    if isinstance(value, dict):
        return {key: _resolve(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, ids) for item in value]
    return value


def operation_count(body: Any) -> int:
    """How many operations a BulkRequest body holds, as the rate limits count it: at least
    1, at most ``BULK_MAX_OPERATIONS`` (more is refused with 413 anyway)."""
    raw = body.get("Operations") if isinstance(body, dict) else None
    count = len(raw) if isinstance(raw, list) else 1
    return max(1, min(count, scim_settings.BULK_MAX_OPERATIONS))


def parse_request(body: Any) -> tuple[int | None, list[Operation]]:
    """``(failOnErrors, operations)`` of a BulkRequest; 400 or 413 for the whole request."""
    if not isinstance(body, dict):
        raise errors.InvalidSyntax("The body must be a BulkRequest object.")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or BULK_REQUEST_URN not in schemas):
        raise errors.InvalidSyntax(f"schemas must contain {BULK_REQUEST_URN!r}.")
    raw_operations = body.get("Operations")
    if not isinstance(raw_operations, list):
        raise errors.InvalidSyntax("Operations must be a list.")
    limit = scim_settings.BULK_MAX_OPERATIONS
    if len(raw_operations) > limit:
        raise errors.PayloadTooLarge(
            f"The bulk request has {len(raw_operations)} operations; maxOperations is {limit}."
        )
    fail_on_errors = body.get("failOnErrors")
    if fail_on_errors is not None and (type(fail_on_errors) is not int or fail_on_errors < 1):
        raise errors.InvalidValue("failOnErrors must be a positive integer.")
    return fail_on_errors, [Operation.parse(i, raw) for i, raw in enumerate(raw_operations)]


class BulkJob:
    """Runs the operations of one BulkRequest; ``run()`` returns the BulkResponse."""

    def __init__(
        self,
        *,
        adapter_for: Callable[[str], Any],
        reference: Callable[[str, str], str],
        atomic: bool | None = None,
    ) -> None:
        self.adapter_for = adapter_for
        self.reference = reference
        self.atomic = scim_settings.BULK_ATOMIC if atomic is None else atomic
        self.adapters: dict[str, Any] = {}
        self.created: dict[str, str] = {}  # bulkId -> SCIM id
        self.failed: set[str] = set()  # bulkIds of failed operations
        self.results: dict[int, dict[str, Any]] = {}
        self.errors = 0
        self.fail_on_errors: int | None = None

    def run(self, body: Any) -> dict[str, Any]:
        self.fail_on_errors, ops = parse_request(body)
        declared: set[str] = set()
        pending = []
        for op in ops:
            if op.error is None and op.bulk_id in declared:
                op.error = errors.InvalidValue(
                    f"Operations[{op.index}]: bulkId {op.bulk_id!r} is used more than once."
                )
            if op.bulk_id:
                declared.add(op.bulk_id)
            pending.append(op)
        # Passes in request order; an operation waiting on a pending bulkId is retried.
        progress = True
        while pending and progress and not self.stopped:
            progress, waiting = False, []
            for op in pending:
                if self.stopped:
                    break
                if op.error is not None:
                    self.fail(op, op.error)
                elif unknown := op.references - declared:
                    self.fail(op, errors.InvalidValue(f"Unknown bulkId {sorted(unknown)[0]!r}."))
                elif failed := op.references & self.failed:
                    self.fail(
                        op,
                        errors.ScimError(
                            f"bulkId {sorted(failed)[0]!r} refers to an operation that failed.",
                            status=409,
                            scim_type="invalidValue",
                        ),
                    )
                elif op.references - self.created.keys():
                    waiting.append(op)
                    continue
                else:
                    self.perform(op)
                progress = True
            pending = waiting
        for op in pending:
            if self.stopped:
                break
            self.fail(
                op,
                errors.ScimError(
                    "The bulkId references of this operation are circular: "
                    f"{', '.join(sorted(op.references - self.created.keys()))}.",
                    status=409,
                    scim_type="invalidValue",
                ),
            )
        return {
            "schemas": [BULK_RESPONSE_URN],
            "Operations": [self.results[index] for index in sorted(self.results)],
        }

    @property
    def stopped(self) -> bool:
        return self.fail_on_errors is not None and self.errors >= self.fail_on_errors

    def adapter(self, resource: str):
        if resource not in self.adapters:
            self.adapters[resource] = self.adapter_for(resource)
        return self.adapters[resource]

    def perform(self, op: Operation) -> None:
        adapter = self.adapter(op.resource)
        target = _resolve(op.target, self.created) if op.target else None
        data = _resolve(copy.deepcopy(op.data), self.created)
        try:
            if self.atomic:
                link = self.write(adapter, op, target, data)
            else:
                with transaction.atomic():
                    link = self.write(adapter, op, target, data)
        except Exception as exc:  # every failure is the operation's result
            self.fail(op, scim_error_from_exception(exc), target)
            return
        result: dict[str, Any] = {"method": op.method}
        if op.bulk_id:
            result["bulkId"] = op.bulk_id
        if link is not None:
            scim_id = str(link.scim_id)
            if op.method == "POST" and op.bulk_id:
                self.created[op.bulk_id] = scim_id
            result["version"] = etag(str(link.version))
            result["location"] = self.reference(op.resource, scim_id)
        else:
            result["location"] = self.reference(op.resource, target)
        result["status"] = str(SUCCESS_STATUS[op.method])
        self.results[op.index] = result

    def write(self, adapter: ResourceAdapter, op: Operation, target: str | None, data: Any):
        limits.enforce_member_limit(op.resource, op.method, data)
        if op.method == "POST":
            return operations.create(adapter, data)
        if op.method == "PUT":
            return operations.replace(adapter, target, data, if_match=op.version)
        if op.method == "PATCH":
            return operations.patch(adapter, target, data, if_match=op.version)
        operations.delete(adapter, target, if_match=op.version)
        return None

    def fail(self, op: Operation, error: errors.ScimError, target: str | None = None) -> None:
        if self.atomic:
            what = f"{op.method or 'operation'} {op.bulk_id or ''}".strip()
            raise type(error)(
                f"Bulk operation {op.index} ({what}) failed, nothing was written: {error.detail}",
                status=error.status,
                scim_type=error.scim_type,
            )
        self.errors += 1
        if op.bulk_id:
            self.failed.add(op.bulk_id)
        result: dict[str, Any] = {"method": op.method or None}
        if op.bulk_id:
            result["bulkId"] = op.bulk_id
        if target and not target.startswith(PREFIX):
            result["location"] = self.reference(op.resource, target)
        result["status"] = str(error.status)
        result["response"] = error.as_dict()
        self.results[op.index] = result
