"""Filter cases shared by the tests and the parser benchmark (RFC 7644 §3.4.2.2).

``RFC``: the examples of RFC 7644 §3.4.2.2 and §3.5.2; ``IDP``: every filter of
what Okta and Entra ID send; ``GRAMMAR``: one case or more per production
and edge; ``LENIENT``: what the RFC does not allow but we accept on purpose.
``INVALID``: ``(text, position)``, the position the error detail must name
(``None`` when the error is about the whole filter).
"""

from __future__ import annotations

from scim_provider.protocol.filters import And, Compare, Not, Or, Present, ValuePath
from scim_provider.protocol.paths import AttributePath

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def p(attribute, sub=None, urn=None):
    return AttributePath(attribute, sub, urn)


def eq(attribute, value, sub=None, urn=None, op="eq"):
    return Compare(p(attribute, sub, urn), op, value)


def pr(attribute, sub=None, urn=None):
    return Present(p(attribute, sub, urn))


A, B, C = pr("a"), pr("b"), pr("c")

RFC = [
    ('userName eq "bjensen"', eq("userName", "bjensen")),
    ('name.familyName co "O\'Malley"', eq("name", "O'Malley", "familyName", op="co")),
    ('userName sw "J"', eq("userName", "J", op="sw")),
    (f'{CORE_USER}:userName sw "J"', eq("userName", "J", urn=CORE_USER, op="sw")),
    ("title pr", pr("title")),
    *(
        (
            f'meta.lastModified {op} "2011-05-13T04:42:34Z"',
            eq("meta", "2011-05-13T04:42:34Z", "lastModified", op=op),
        )
        for op in ("gt", "ge", "lt", "le")
    ),
    ('title pr and userType eq "Employee"', And(pr("title"), eq("userType", "Employee"))),
    ('title pr or userType eq "Intern"', Or(pr("title"), eq("userType", "Intern"))),
    (f'schemas eq "{ENTERPRISE}"', eq("schemas", ENTERPRISE)),
    (
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        And(
            eq("userType", "Employee"),
            Or(eq("emails", "example.com", op="co"), eq("emails", "example.org", "value", op="co")),
        ),
    ),
    (
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        And(
            eq("userType", "Employee", op="ne"),
            Not(
                Or(
                    eq("emails", "example.com", op="co"),
                    eq("emails", "example.org", "value", op="co"),
                )
            ),
        ),
    ),
    (
        'userType eq "Employee" and (emails.type eq "work")',
        And(eq("userType", "Employee"), eq("emails", "work", "type")),
    ),
    (
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        And(
            eq("userType", "Employee"),
            ValuePath(p("emails"), And(eq("type", "work"), eq("value", "@example.com", op="co"))),
        ),
    ),
    (
        'emails[type eq "work" and value co "@example.com"] or '
        'ims[type eq "xmpp" and value co "@foo.com"]',
        Or(
            ValuePath(p("emails"), And(eq("type", "work"), eq("value", "@example.com", op="co"))),
            ValuePath(p("ims"), And(eq("type", "xmpp"), eq("value", "@foo.com", op="co"))),
        ),
    ),
]

IDP = [
    ('userName eq "test.user@okta.local"', eq("userName", "test.user@okta.local")),
    ('userName eq "jane.doe@example.com"', eq("userName", "jane.doe@example.com")),
    ('userName eq "TEST.USER@OKTA.LOCAL"', eq("userName", "TEST.USER@OKTA.LOCAL")),
    (
        'userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"',
        eq("userName", "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee"),
    ),
    (
        'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"',
        eq("externalId", "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"),
    ),
    (
        'id eq "23a35c27-23d3-4c03-b4c5-6443c09e7173"',
        eq("id", "23a35c27-23d3-4c03-b4c5-6443c09e7173"),
    ),
    ('displayName eq "Test SCIMv2"', eq("displayName", "Test SCIMv2")),
    ('displayName eq "displayName"', eq("displayName", "displayName")),
    (
        'id eq "00aa00aa" and manager eq "11bb11bb"',
        And(eq("id", "00aa00aa"), eq("manager", "11bb11bb")),
    ),
    ('members.value eq "2819c223"', eq("members", "2819c223", "value")),
    ('emails.value eq "a@b.c"', eq("emails", "a@b.c", "value")),
    (
        'emails[type eq "work"].value eq "Test_User_11bb@testuser.com"',
        ValuePath(p("emails"), And(eq("type", "work"), eq("value", "Test_User_11bb@testuser.com"))),
    ),
    ('members[value eq "2819c223"]', ValuePath(p("members"), eq("value", "2819c223"))),
    (
        f'{ENTERPRISE}:employeeNumber eq "Aklq"',
        eq("employeeNumber", "Aklq", urn=ENTERPRISE),
    ),
    (
        f'{ENTERPRISE}:manager.value eq "00aa"',
        eq("manager", "00aa", "value", urn=ENTERPRISE),
    ),
    (
        'urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User:OrganizationRole eq "Admin"',
        eq(
            "OrganizationRole",
            "Admin",
            urn="urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User",
        ),
    ),
    (
        'userName eq "7d2f2a9c-0f7c-4c0e-9a55-5f3a3e6c2b11"',
        eq("userName", "7d2f2a9c-0f7c-4c0e-9a55-5f3a3e6c2b11"),
    ),
]

GRAMMAR = [
    # every comparison operator, in every case
    *((f'userName {op} "x"', eq("userName", "x", op=op)) for op in ("eq", "ne", "co", "sw", "ew")),
    *((f"age {op} 5", eq("age", 5, op=op)) for op in ("gt", "ge", "lt", "le")),
    ('userName EQ "x"', eq("userName", "x")),
    ('userName Eq "x"', eq("userName", "x")),
    ('userName eQ "x"', eq("userName", "x")),
    ("title PR", pr("title")),
    ("title Pr", pr("title")),
    ("a pr AND b pr", And(A, B)),
    ("a pr Or b pr", Or(A, B)),
    ("NOT (a pr)", Not(A)),
    ("Not (a pr)", Not(A)),
    # literals
    ("active eq true", eq("active", True)),
    ("active eq TRUE", eq("active", True)),
    ("active eq False", eq("active", False)),
    ("title eq null", eq("title", None)),
    ("title ne NULL", eq("title", None, op="ne")),
    ("n eq 0", eq("n", 0)),
    ("n eq -1", eq("n", -1)),
    ("n eq 42", eq("n", 42)),
    ("n eq 1.5", eq("n", 1.5)),
    ("n eq -0.25", eq("n", -0.25)),
    ("n eq 1e3", eq("n", 1000.0)),
    ("n eq 1E-2", eq("n", 0.01)),
    ("n eq 2.5e+10", eq("n", 2.5e10)),
    ("n eq 123456789012345678901234567890", eq("n", 123456789012345678901234567890)),
    ('s eq ""', eq("s", "")),
    ('s eq "a\\"b"', eq("s", 'a"b')),
    ('s eq "a\\\\b"', eq("s", "a\\b")),
    ('s eq "a\\/b"', eq("s", "a/b")),
    ('s eq "\\b\\f\\n\\r\\t"', eq("s", "\b\f\n\r\t")),
    ('s eq "caf\\u00e9"', eq("s", "café")),
    ('s eq "caf\\u00E9"', eq("s", "café")),
    ('s eq "\\ud83d\\ude00"', eq("s", "\U0001f600")),
    ('s eq "Zoë 😀"', eq("s", "Zoë 😀")),
    ('s eq "a) and (b pr ] ["', eq("s", "a) and (b pr ] [")),
    ('s eq "true"', eq("s", "true")),
    ('s eq "2011-05-13T04:42:34Z"', eq("s", "2011-05-13T04:42:34Z")),
    # whitespace
    ('  userName   eq\t"x"  ', eq("userName", "x")),
    ('userName\teq\t"x"', eq("userName", "x")),
    ("a pr\n and\r\nb pr", And(A, B)),
    # precedence and grouping
    ("a pr or b pr and c pr", Or(A, And(B, C))),
    ("a pr and b pr or c pr", Or(And(A, B), C)),
    ("(a pr or b pr) and c pr", And(Or(A, B), C)),
    ("a pr and (b pr or c pr)", And(A, Or(B, C))),
    ("a pr or b pr or c pr", Or(Or(A, B), C)),
    ("a pr or (b pr or c pr)", Or(A, Or(B, C))),
    ("a pr and b pr and c pr", And(And(A, B), C)),
    ("a pr and (b pr and c pr)", And(A, And(B, C))),
    ("not (a pr) and b pr", And(Not(A), B)),
    ("not (a pr or b pr)", Not(Or(A, B))),
    ("not (not (a pr))", Not(Not(A))),
    ("(a pr)", A),
    ("((a pr))", A),
    ("(a pr) or (b pr)", Or(A, B)),
    ("a pr or not (b pr) and c pr", Or(A, And(Not(B), C))),
    # value paths
    ('emails[type eq "work"]', ValuePath(p("emails"), eq("type", "work"))),
    ("emails[primary eq true]", ValuePath(p("emails"), eq("primary", True))),
    ("emails[value pr]", ValuePath(p("emails"), pr("value"))),
    ('emails[not (type eq "work")]', ValuePath(p("emails"), Not(eq("type", "work")))),
    (
        'emails[(type eq "a" or type eq "b") and primary eq true]',
        ValuePath(p("emails"), And(Or(eq("type", "a"), eq("type", "b")), eq("primary", True))),
    ),
    (
        'emails[type eq "a" or type eq "b" and primary eq true]',
        ValuePath(p("emails"), Or(eq("type", "a"), And(eq("type", "b"), eq("primary", True)))),
    ),
    (
        'emails[type eq "work"] and userName eq "x"',
        And(ValuePath(p("emails"), eq("type", "work")), eq("userName", "x")),
    ),
    (
        'not (emails[type eq "work"])',
        Not(ValuePath(p("emails"), eq("type", "work"))),
    ),
    (
        f'{CORE_USER}:emails[type eq "work"]',
        ValuePath(p("emails", urn=CORE_USER), eq("type", "work")),
    ),
    ("x[y.z eq 1]", ValuePath(p("x"), eq("y", 1, "z"))),
    (
        'emails[type eq "work"].value pr',
        ValuePath(p("emails"), And(eq("type", "work"), pr("value"))),
    ),
    (
        'emails[type eq "work" or type eq "home"].value eq "x"',
        ValuePath(p("emails"), And(Or(eq("type", "work"), eq("type", "home")), eq("value", "x"))),
    ),
    (
        'emails[type eq "work"].value eq "x" and active eq true',
        And(
            ValuePath(p("emails"), And(eq("type", "work"), eq("value", "x"))),
            eq("active", True),
        ),
    ),
    # names: digits, '-', '_', $ref, URN-qualified, complex without sub-attribute
    ("x-custom_1 eq 1", eq("x-custom_1", 1)),
    ('members.$ref eq "https://x/Users/1"', eq("members", "https://x/Users/1", "$ref")),
    ("members[$ref pr]", ValuePath(p("members"), pr("$ref"))),
    ('name eq "x"', eq("name", "x")),
    ('manager eq "00aa"', eq("manager", "00aa")),
    (f'{CORE_USER}:name.givenName eq "B"', eq("name", "B", "givenName", urn=CORE_USER)),
    (
        'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "g"',
        eq("displayName", "g", urn="urn:ietf:params:scim:schemas:core:2.0:Group"),
    ),
    (f"{ENTERPRISE}:manager pr", pr("manager", urn=ENTERPRISE)),
]

# Accepted on purpose though figure 1 of RFC 7644 §3.4.2.2 does not allow it.
LENIENT = [
    # keywords are keywords only where the grammar expects one
    ('not eq "x"', eq("not", "x")),
    ("and pr", pr("and")),
    ("or eq 1", eq("or", 1)),
    ("pr pr", pr("pr")),
    ("true eq true", eq("true", True)),
    ("not pr and not (a pr)", And(pr("not"), Not(A))),
    # whitespace where the RFC asks for SP is optional when unambiguous
    ('userName eq"x"', eq("userName", "x")),
    ("not(a pr)", Not(A)),
    ("(a pr)and(b pr)", And(A, B)),
    # raw control characters inside a string (JSON wants them escaped)
    ('s eq "a\tb"', eq("s", "a\tb")),
]

VALID = RFC + IDP + GRAMMAR + LENIENT

INVALID = [
    ("", None),
    ("   ", None),
    ("\t", None),
    ("userName", 8),
    ("userName eq", 11),
    ('userName eq "x', 12),
    ('userName regex "x"', 9),
    ('userName eq "x")', 15),
    ('(userName eq "x"', 16),
    ('userName eq "x" foo', 16),
    ('title pr "x"', 9),
    ('userName = "x"', 9),
    ("userName eq 'x'", 12),
    ('not userName eq "x"', 4),
    ("not(a pr", 8),
    ("not a pr", 4),
    ("a eq 1 and not b pr", 15),
    ('emails[type eq "work"', 21),
    ('emails[type eq "work"]]', 22),
    ('emails[type eq "work"].', 23),
    ('emails[type eq "work"].value', 28),
    ('emails[type eq "work"].value.x eq 1', 23),
    ('emails[type eq "work"].urn:x:y eq 1', 23),
    ("emails[value[type eq 1] pr]", 12),
    ("emails[]", 7),
    ("name.givenName[x eq 1]", 14),
    ('a eq "\\x"', 6),
    ('a eq "\\u12"', 7),
    ('a eq "\\ud800"', 5),
    ("a eq 01", 6),
    ("a eq 1.", 6),
    ("a eq .5", 5),
    ("a eq +1", 5),
    ("a eq 1e999", 5),
    ("a eq True1", 5),
    ("a eq bob", 5),
    ('a eq "x" and', 12),
    ('a eq "x" or', 11),
    ("()", 1),
    ("a pr and ()", 10),
    ("[a eq 1]", 0),
    ("a..b eq 1", 1),
    ("a.b.c eq 1", 3),
    ("1 eq 1", 0),
    ('"a" eq 1', 0),
    ("a pr (b pr)", 5),
    ("a eq null null", 10),
    ('a eq "x" and (b pr or)', 21),
    ("ünicode eq 1", 0),
    ('a eq "x"\x00', 8),
    ("a pr and b", 10),
    ("a pr or", 7),
    ("a eq", 4),
    ("a pr pr", 5),
    ("a eq [1]", 5),
    ("(((a pr))", 9),
    ("a pr))", 4),
    ("meta.lastModified gt 2011-05-13T04:42:34Z", 25),
]

# Typical Okta and Entra ID lookups, for the timing in filters.py.
TYPICAL = [
    'userName eq "test.user@okta.local"',
    'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"',
    'displayName eq "Test SCIMv2"',
    'id eq "23a35c27-23d3-4c03-b4c5-6443c09e7173" and manager eq "00aa00aa"',
    'emails[type eq "work"].value eq "Test_User_11bb@testuser.com"',
]
