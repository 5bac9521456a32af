"""SCIM filters: parser, printer and in-memory evaluator (RFC 7644 §3.4.2.2).

Grammar (RFC 7644 §3.4.2.2, figure 1), as parsed here::

    filter     = or-expr
    or-expr    = and-expr *("or" and-expr)        ; left-associative
    and-expr   = unary *("and" unary)             ; "and" binds tighter than "or"
    unary      = "not" "(" or-expr ")" / "(" or-expr ")" / attr-expr
    attr-expr  = attrPath "[" or-expr "]" ["." ATTRNAME op-tail]   ; valuePath
               / attrPath op-tail
    op-tail    = "pr" / compareOp compValue

Operators, ``and``/``or``/``not``, ``pr`` and ``true``/``false``/``null``
are case-insensitive and are keywords only where the grammar expects them
(an attribute may be called ``not``). ``compValue`` is a JSON string (every
JSON escape), number (``int``, or ``float`` with a fraction or exponent),
``true``, ``false`` or ``null``; dates are strings. Tokens are separated by
any run of spaces, tabs or newlines. A value filter may not contain ``[``.

Entra ID sends ``emails[type eq "work"].value eq "x"``, which figure 1 does
not allow; it is read as the value path ``emails[type eq "work" and value eq
"x"]``, which is what the client means, and printed that way.

Errors raise ``InvalidFilter`` whose detail names the 0-based character
position (``Unexpected token ')' at position 17; expected ...``). Filters
longer than ``max_length`` characters, or whose tree is more than
``max_depth`` levels deep (every ``and``, ``or``, ``not``, ``[...]`` and
parenthesis adds a level, so a chain of 60 ``or`` is too deep at the default
50), are rejected before the parser or a consumer could exhaust the stack.

Why a hand-written parser rather than ``scim2-filter-parser`` (0.7.0, sly
LALR): both parsed the 185 cases of ``tests/unit/filter_cases.py`` (every
filter of the Okta/Entra wire notes, the RFC 7644 §3.4.2.2 examples, edge
and error cases; its tree converted to ours), and ``timeit`` (CPython 3.11,
best of 7 x 10,000 parses) timed five typical Okta/Entra lookups:

    =================================  ===========  ===================
    cases                              this module  scim2-filter-parser
    =================================  ===========  ===================
    RFC 7644 examples, right tree      17 / 17      17 / 17
    Okta / Entra filters, right tree   17 / 17      17 / 17
    grammar and edge cases             83 / 83      60 / 83
    lenient cases (``LENIENT``)        10 / 10       4 / 10
    invalid filters rejected           58 / 58      53 / 58
    error detail names a position      yes          no
    ``userName eq "..."``              9.2 µs       13.6 µs
    ``a eq "..." and b eq "..."``      17.9 µs      35.3 µs
    ``emails[...].value eq "..."``     22.4 µs      42.4 µs
    mean of the five                   13.7 µs      25.6 µs
    =================================  ===========  ===================

``scim2-filter-parser`` gives ``and`` and ``or`` the same precedence
(``a pr or b pr and c pr`` becomes ``(a or b) and c``: wrong results), keeps
string escapes verbatim and fails on ``\\"``, lexes numbers one digit at a time
(``42``, ``-1``, ``1.5`` fail), rejects ``TRUE``/``NULL`` and newlines, cannot
tell ``"true"`` from ``true`` in its tree, and accepts nested ``[``, a value
filter on a sub-attribute and invalid escapes. Fixing that means forking it,
so it is not a dependency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeAlias

from scim_provider.protocol.errors import InvalidFilter, InvalidPath, ScimError
from scim_provider.protocol.paths import (
    ATTRIBUTE_PATH,
    AttributePath,
    PatchPath,
    attribute_path_from_match,
)

__all__ = [
    "And",
    "Compare",
    "Filter",
    "Not",
    "Or",
    "PatchPath",
    "Present",
    "Slot",
    "ValuePath",
    "fill_strings",
    "matches",
    "parse_filter",
    "parse_patch_path",
    "present",
    "split_strings",
    "to_string",
]

COMPARE_OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})

# --- syntax tree --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    """``path op value``; ``op`` is lower-case."""

    path: AttributePath
    op: str
    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Present:
    """``path pr``."""

    path: AttributePath


@dataclass(frozen=True, slots=True)
class And:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Or:
    left: Filter
    right: Filter


@dataclass(frozen=True, slots=True)
class Not:
    operand: Filter


@dataclass(frozen=True, slots=True)
class ValuePath:
    """``path[filter]``: ``filter`` applies to each value of the multi-valued ``path``."""

    path: AttributePath
    filter: Filter


Filter: TypeAlias = Compare | Present | And | Or | Not | ValuePath

# --- tokenizer ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"[ \t\r\n]*(?:"
    rf"(?P<path>{ATTRIBUTE_PATH.pattern})"
    r'|(?P<string>"[^"\\]*(?:\\.[^"\\]*)*")'
    r"|(?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<punct>[()\[\].])"
    r"|(?P<end>\Z))",
    re.DOTALL,
)
_SPACE = re.compile(r"[ \t\r\n]*")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_LITERALS = {"true": True, "false": False, "null": None}


class _Token(NamedTuple):
    kind: str  # path string number ( ) [ ] . end
    text: str
    pos: int
    value: Any = None


def _tokenize(text: str, error: type[ScimError]) -> Iterator[_Token]:
    """The tokens of ``text``, ending with an ``end`` token; lazily, so errors come in order."""
    pos = 0
    while True:
        match = _TOKEN.match(text, pos)
        if match is None:
            pos = _SPACE.match(text, pos).end()
            if text[pos] == '"':
                raise error(f"Unterminated string at position {pos}")
            raise error(f"Unexpected character {text[pos]!r} at position {pos}")
        kind = match.lastgroup
        start, pos = match.start(kind), match.end()
        raw = match[kind]
        if kind == "path":
            yield _Token(kind, raw, start, attribute_path_from_match(match))
        elif kind == "string":
            yield _Token(kind, raw, start, _decode_string(raw, start, error))
        elif kind == "number":
            yield _Token(kind, raw, start, _decode_number(raw, start, error))
        elif kind == "punct":
            yield _Token(raw, raw, start)
        else:
            yield _Token("end", "", start)
            return


def _decode_string(raw: str, pos: int, error: type[ScimError]) -> str:
    try:
        value = json.loads(raw, strict=False)
    except json.JSONDecodeError as exc:
        raise error(f"Invalid escape in string at position {pos + exc.pos}") from None
    if _SURROGATE.search(value):
        raise error(f"Unpaired surrogate escape in string at position {pos}")
    return value


def _decode_number(raw: str, pos: int, error: type[ScimError]) -> int | float:
    if raw.lstrip("-").isdigit():
        try:
            return int(raw)
        except ValueError:  # more digits than sys.get_int_max_str_digits()
            raise error(f"Number too long at position {pos}") from None
    value = float(raw)
    if value in (float("inf"), float("-inf")):
        raise error(f"Number out of range at position {pos}")
    return value


# --- parser -------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the token list; each rule returns ``(node, height)``."""

    def __init__(self, text: str, error: type[ScimError], max_depth: int) -> None:
        self.error = error
        self.max_depth = max_depth
        self.stream = _tokenize(text, error)
        self.tokens: list[_Token] = []
        self.index = 0
        self.nesting = 0

    # helpers

    def peek(self, ahead: int = 0) -> _Token:
        while len(self.tokens) <= self.index + ahead and (
            not self.tokens or self.tokens[-1].kind != "end"
        ):
            self.tokens.append(next(self.stream))
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        self.index += 1
        return token

    def accept(self, kind: str, keyword: str | None = None) -> _Token | None:
        token = self.peek()
        if token.kind != kind or (keyword is not None and token.text.lower() != keyword):
            return None
        self.index += 1
        return token

    def expect(self, kind: str, expected: str) -> _Token:
        token = self.accept(kind)
        if token is None:
            raise self.unexpected(self.peek(), expected)
        return token

    def unexpected(self, token: _Token, expected: str) -> ScimError:
        if token.kind == "end":
            found = "end of input"
        else:
            text = token.text if len(token.text) <= 30 else token.text[:30] + "..."
            found = f"token {text!r}"
        return self.error(f"Unexpected {found} at position {token.pos}; expected {expected}")

    def checked(self, height: int, token: _Token) -> int:
        if height > self.max_depth:
            raise self.error(
                f"Filter nested deeper than {self.max_depth} levels at position {token.pos}"
            )
        return height

    def enter(self, token: _Token) -> None:
        self.nesting += 1
        self.checked(self.nesting, token)

    # rules

    def or_expr(self, in_value_path: bool) -> tuple[Filter, int]:
        left, height = self.and_expr(in_value_path)
        while operator := self.accept("path", "or"):
            right, right_height = self.and_expr(in_value_path)
            left, height = Or(left, right), self.checked(max(height, right_height) + 1, operator)
        return left, height

    def and_expr(self, in_value_path: bool) -> tuple[Filter, int]:
        left, height = self.unary(in_value_path)
        while operator := self.accept("path", "and"):
            right, right_height = self.unary(in_value_path)
            left, height = And(left, right), self.checked(max(height, right_height) + 1, operator)
        return left, height

    def unary(self, in_value_path: bool) -> tuple[Filter, int]:
        token = self.peek()
        negate = token.kind == "path" and token.text.lower() == "not" and self.peek(1).kind == "("
        if negate:
            self.advance()
        if not (negate or token.kind == "("):
            return self.attr_expr(in_value_path)
        self.enter(self.advance())
        node, height = self.or_expr(in_value_path)
        self.expect(")", "'and', 'or' or ')'")
        self.nesting -= 1
        if negate:
            return Not(node), self.checked(height + 1, token)
        return node, height

    def attr_expr(self, in_value_path: bool) -> tuple[Filter, int]:
        path = self.attribute()
        bracket = self.peek()
        if bracket.kind != "[":
            return self.op_tail(path), 1
        if in_value_path:
            raise self.error(f"Nested '[' inside a value filter at position {bracket.pos}")
        inner, height = self.value_filter(path)
        if self.accept("."):  # Entra: emails[type eq "work"].value eq "x"
            condition = self.op_tail(AttributePath(self.sub_attribute()))
            inner, height = And(inner, condition), self.checked(height + 1, bracket)
        return ValuePath(path, inner), self.checked(height + 1, bracket)

    def attribute(self) -> AttributePath:
        return self.expect("path", "an attribute").value

    def value_filter(self, path: AttributePath) -> tuple[Filter, int]:
        bracket = self.advance()
        if path.sub_attribute is not None:
            raise self.error(
                f"A value filter must follow an attribute, not the sub-attribute "
                f"{str(path)!r}, at position {bracket.pos}"
            )
        self.enter(bracket)
        inner, height = self.or_expr(in_value_path=True)
        self.expect("]", "'and', 'or' or ']'")
        self.nesting -= 1
        return inner, height

    def sub_attribute(self) -> str:
        token = self.peek()
        if token.kind != "path" or token.value.urn or token.value.sub_attribute:
            raise self.unexpected(token, "a sub-attribute name")
        self.advance()
        return token.value.attribute

    def op_tail(self, path: AttributePath) -> Compare | Present:
        token = self.peek()
        op = token.text.lower() if token.kind == "path" else ""
        if op == "pr":
            self.advance()
            return Present(path)
        if op in COMPARE_OPERATORS:
            self.advance()
            return Compare(path, op, self.comp_value())
        if str(path).lower() == "not":
            raise self.error(f"Expected '(' after 'not' at position {token.pos}")
        if token.kind == "path" and token.value.urn is None and token.value.sub_attribute is None:
            raise self.error(f"Unsupported operator {token.text!r} at position {token.pos}")
        raise self.unexpected(token, "an operator")

    def comp_value(self) -> str | int | float | bool | None:
        token = self.peek()
        if token.kind in ("string", "number"):
            self.advance()
            return token.value
        if token.kind == "path" and token.text.lower() in _LITERALS:
            self.advance()
            return _LITERALS[token.text.lower()]
        raise self.unexpected(token, "a value (string, number, true, false or null)")


def parse_filter(text: str, *, max_length: int = 4096, max_depth: int = 50) -> Filter:
    """Parse a SCIM filter; raise ``InvalidFilter`` naming the position of the error."""
    if not isinstance(text, str):
        raise InvalidFilter("The filter must be a string.")
    if len(text) > max_length:
        raise InvalidFilter(f"The filter is longer than {max_length} characters.")
    parser = _Parser(text, InvalidFilter, max_depth)
    if parser.peek().kind == "end":
        raise InvalidFilter("The filter is empty.")
    node, _ = parser.or_expr(in_value_path=False)
    parser.expect("end", "'and', 'or' or the end of the filter")
    return node


def parse_patch_path(text: str, *, max_length: int = 4096, max_depth: int = 50) -> PatchPath:
    """Parse a PATCH ``path`` (RFC 7644 §3.5.2); raise ``InvalidPath`` naming the position."""
    if not isinstance(text, str):
        raise InvalidPath("The path must be a string.")
    if len(text) > max_length:
        raise InvalidPath(f"The path is longer than {max_length} characters.")
    parser = _Parser(text, InvalidPath, max_depth)
    if parser.peek().kind == "end":
        raise InvalidPath("The path is empty.")
    attribute = parser.attribute()
    value_filter = sub_attribute = None
    if parser.peek().kind == "[":
        value_filter, _ = parser.value_filter(attribute)
        if parser.accept("."):
            sub_attribute = parser.sub_attribute()
    parser.expect("end", "the end of the path" if value_filter else "'[' or the end of the path")
    return PatchPath(attribute, value_filter, sub_attribute)


# --- printer ------------------------------------------------------------------------------


def to_string(node: Filter) -> str:
    """The canonical text of ``node``: ``parse_filter(to_string(node)) == node``."""
    match node:
        case Compare(path, op, value):
            return f"{path} {op} {json.dumps(value, ensure_ascii=False)}"
        case Present(path):
            return f"{path} pr"
        case ValuePath(path, inner):
            return f"{path}[{to_string(inner)}]"
        case Not(operand):
            return f"not ({to_string(operand)})"
        case And(left, right):
            return f"{_operand(left, Or)} and {_operand(right, (And, Or))}"
        case Or(left, right):
            return f"{to_string(left)} or {_operand(right, Or)}"
    raise TypeError(f"Not a filter node: {node!r}")


def _operand(node: Filter, parenthesize: type | tuple[type, ...]) -> str:
    text = to_string(node)
    return f"({text})" if isinstance(node, parenthesize) else text


# --- shapes -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """Stands for the ``index``-th string value of a filter (``split_strings``)."""

    index: int


def split_strings(node: Filter) -> tuple[Filter, tuple[str, ...]]:
    """``node`` with each string value replaced by a ``Slot``, and those strings in order.

    Filters that differ only in their strings share the first result (their *shape*), so a
    query compiled for one shape serves them all (``scim_provider.compiled``).
    """
    strings: list[str] = []

    def slot(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        strings.append(value)
        return Slot(len(strings) - 1)

    return _map_values(node, slot), tuple(strings)


def fill_strings(shape: Filter, strings: Sequence[str]) -> Filter:
    """The filter of ``shape`` with its slots filled from ``strings``."""
    return _map_values(shape, lambda v: strings[v.index] if isinstance(v, Slot) else v)


def _map_values(node: Filter, fn: Callable[[Any], Any]) -> Filter:
    match node:
        case Compare(path, op, value):
            return Compare(path, op, fn(value))
        case ValuePath(path, inner):
            return ValuePath(path, _map_values(inner, fn))
        case Not(operand):
            return Not(_map_values(operand, fn))
        case And(left, right):
            return And(_map_values(left, fn), _map_values(right, fn))
        case Or(left, right):
            return Or(_map_values(left, fn), _map_values(right, fn))
    return node


# --- evaluator ----------------------------------------------------------------------------

_CORE_URN_PREFIX = "urn:ietf:params:scim:schemas:core:"


def _never(path: AttributePath) -> bool:
    return False


def matches(
    node: Filter,
    resource: dict,
    *,
    case_exact: Callable[[AttributePath], bool] = _never,
) -> bool:
    """Whether the normalized ``resource`` satisfies ``node`` (RFC 7644 §3.4.2.2 semantics).

    A multi-valued attribute matches if any value does; a complex value compared
    without a sub-attribute is compared by its ``value``; strings compare
    case-insensitively unless ``case_exact(path)`` (``path`` is absolute: inside
    ``emails[...]`` the ``type`` is ``emails.type``); ``gt``/``ge``/``lt``/``le``
    order strings, numbers and datetimes, never booleans; ``ne`` is ``not eq``,
    so an absent attribute is ``ne`` anything; ``eq null`` means absent. A URN
    under ``urn:ietf:params:scim:schemas:core:`` names top-level attributes.
    Values of the wrong type never raise; they do not match.
    """
    return _evaluate(node, resource, None, case_exact)


def _evaluate(node: Filter, data: Any, parent: AttributePath | None, case_exact: Callable) -> bool:
    match node:
        case And(left, right):
            return _evaluate(left, data, parent, case_exact) and _evaluate(
                right, data, parent, case_exact
            )
        case Or(left, right):
            return _evaluate(left, data, parent, case_exact) or _evaluate(
                right, data, parent, case_exact
            )
        case Not(operand):
            return not _evaluate(operand, data, parent, case_exact)
        case Present(path):
            return any(present(value) for value in _values(data, path))
        case Compare(path, op, value):
            exact = isinstance(value, str) and case_exact(_absolute(path, parent))
            return _compare(_values(data, path), op, value, exact)
        case ValuePath(path, inner):
            absolute = _absolute(path, parent)
            return any(
                isinstance(element, dict) and _evaluate(inner, element, absolute, case_exact)
                for element in _values(data, path)
            )
    return False


def _absolute(path: AttributePath, parent: AttributePath | None) -> AttributePath:
    if parent is None:
        return path
    return AttributePath(parent.attribute, path.attribute, parent.urn)


def _lookup(data: Any, name: str) -> Any:
    """``data[name]``, the key compared case-insensitively; ``None`` if absent."""
    if not isinstance(data, dict):
        return None
    if name in data:
        return data[name]
    folded = name.casefold()
    for key, value in data.items():
        if isinstance(key, str) and key.casefold() == folded:
            return value
    return None


def _flatten(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [item for item in value if item is not None]
    return [value]


def _values(data: Any, path: AttributePath) -> list:
    container = data
    if path.urn:
        container = _lookup(data, path.urn)
        if container is None and path.urn.lower().startswith(_CORE_URN_PREFIX):
            container = data
    values = _flatten(_lookup(container, path.attribute))
    if path.sub_attribute:
        values = [item for value in values for item in _flatten(_lookup(value, path.sub_attribute))]
    return values


def present(value: Any) -> bool:
    """Whether ``value`` is a value for ``pr``: not null, not ``""``, not empty; a complex
    value or a list when some part of it is."""
    if isinstance(value, dict):
        return any(present(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(present(item) for item in value)
    return value is not None and value != ""


def _compare(values: list, op: str, expected: Any, exact: bool) -> bool:
    if expected is None:
        assigned = any(present(value) for value in values)
        return {"eq": not assigned, "ne": assigned}.get(op, False)
    if op == "ne":
        return not _compare(values, "eq", expected, exact)
    test = _TESTS.get(op)
    if test is None:
        return False
    for value in values:
        actual = _lookup(value, "value") if isinstance(value, dict) else value
        pair = _comparable(actual, expected, exact)
        if pair is not None and test(*pair):
            return True
    return False


def _comparable(actual: Any, expected: Any, exact: bool) -> tuple[Any, Any] | None:
    """``(actual, expected)`` made comparable, or ``None`` if their types differ."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        both = isinstance(actual, bool) and isinstance(expected, bool)
        return (actual, expected) if both else None
    if isinstance(expected, str):
        if isinstance(actual, str):
            return (actual, expected) if exact else (actual.casefold(), expected.casefold())
        if isinstance(actual, datetime):
            try:
                return actual, datetime.fromisoformat(expected)
            except ValueError:
                return None
        return None
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return actual, expected
    return None


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """``compare`` for ordering: false for booleans and for incomparable datetimes."""

    def test(actual: Any, expected: Any) -> bool:
        if isinstance(actual, bool):
            return False
        try:
            return compare(actual, expected)
        except TypeError:  # naive vs aware datetime
            return False

    return test


def _contains(actual: Any, expected: Any) -> bool:
    return isinstance(actual, str) and expected in actual


def _starts(actual: Any, expected: Any) -> bool:
    return isinstance(actual, str) and actual.startswith(expected)


def _ends(actual: Any, expected: Any) -> bool:
    return isinstance(actual, str) and actual.endswith(expected)


def _equal(actual: Any, expected: Any) -> bool:
    try:
        return actual == expected
    except TypeError:
        return False


_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": _equal,
    "co": _contains,
    "sw": _starts,
    "ew": _ends,
    "gt": _ordered(lambda a, b: a > b),
    "ge": _ordered(lambda a, b: a >= b),
    "lt": _ordered(lambda a, b: a < b),
    "le": _ordered(lambda a, b: a <= b),
}
