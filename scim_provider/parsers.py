"""Request bodies: ``application/scim+json`` and plain ``application/json`` (RFC 7644 §3.1).

Both parse strictly whatever the host's ``REST_FRAMEWORK`` says: UTF-8 (RFC 8259 §8.1; a
byte-order mark is skipped), no ``NaN``/``Infinity`` and no number too large for a float,
at most ``MAX_JSON_DEPTH`` levels of nesting, no NUL character and no unpaired surrogate
(``"\\ud800"``: valid JSON, but not Unicode text) in any string (no database column can
hold them), and at most ``MAX_BODY_SIZE`` bytes, counted as the body is read
(413), whatever ``Content-Length`` claimed.
"""

from __future__ import annotations

import json
import math
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from .conf import scim_settings
from .protocol import errors

#: SCIM documents nest a handful of levels (a PATCH value holding an extension holding
#: ``manager.value``); anything much deeper is an attack on the stack.
MAX_JSON_DEPTH = 32

# json.loads joins escaped surrogate pairs; a surrogate left in a string is unpaired.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]}... is too large")
    return value


def check_document(data) -> None:
    """Refuse nesting deeper than ``MAX_JSON_DEPTH`` and strings holding NUL (iteratively)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise errors.InvalidValue("Strings may not contain the NUL character (\\u0000).")
            if _SURROGATE.search(value):
                raise errors.InvalidValue(
                    "Strings may not contain unpaired surrogates (such as \\ud800)."
                )
        elif isinstance(value, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise errors.InvalidSyntax(
                    f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."
                )
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                stack.append((item, depth + 1))
                if key is not None:
                    stack.append((key, depth))


class ScimJSONParser(BaseParser):
    media_type = "application/scim+json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = scim_settings.MAX_BODY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise errors.PayloadTooLarge(f"The request body is larger than {limit} bytes.")
        try:
            text = raw.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise ParseError(f"the body is not UTF-8 ({exc.reason} at byte {exc.start})") from None
        try:
            data = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
        except RecursionError:
            raise errors.InvalidSyntax(
                f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."
            ) from None
        except ValueError as exc:
            raise ParseError(str(exc)) from None
        check_document(data)
        return data


class PlainJSONParser(ScimJSONParser):
    """Okta's SPEC test POSTs with ``Content-Type: application/json``."""

    media_type = "application/json"
