"""``scim_bench_seed``: fill the database with provisioned users, groups and memberships, fast.

    python manage.py scim_bench_seed --users 1000000 --groups 10 --members 100000 \
        [--tenant acme] [--token-file /tmp/token]

Rows are what the SCIM API itself would have written for an Okta-provisioned user: a host
user (``AUTH_USER_MODEL``, unusable password), its ``ScimUser`` link (``user_name_key``,
``email_key``, ``version`` 1, the JSON the adapter keeps) and its email's ``ScimValue``;
groups are ``ScimGroup`` rows mirrored onto the host group model (``auth.Group``) with the
same members in both membership tables. On PostgreSQL the rows are streamed with ``COPY``
(a million users in a couple of minutes); elsewhere ``bulk_create`` in large batches.
Primary keys are taken above the current maximum and the sequences moved past them, so
seeding twice adds rows.

Group *g* gets ``--members`` consecutive users starting at ``g * members`` (wrapping), so
with ``--groups 10 --members 100000`` over a million users every user is in one group.
Benchmark data only: the command refuses to run with ``DEBUG`` on unless ``--force``.
"""

from __future__ import annotations

import json
import sys
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from scim_provider import multivalued
from scim_provider.adapters import get_user_adapter
from scim_provider.adapters.groups import HostMembership, get_group_adapter
from scim_provider.models import ScimGroup, ScimMembership, ScimUser, ScimValue, get_token_model

BATCH = 20_000
SENTINEL = "@@USER@@"
VALUE_COLUMNS = ["attribute", "position", "value", "folded", "key", "data", "present"]


def filled(row: tuple, name: str) -> tuple:
    """A template row with the user's name for the sentinel (case-folded where it is)."""
    return tuple(
        value.replace(SENTINEL, name).replace(SENTINEL.casefold(), name.casefold())
        if isinstance(value, str)
        else value
        for value in row
    )


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, max(total, 1), 0
        self.started = time.monotonic()
        self.shown = -1.0

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.shown >= 0.5 or self.done >= self.total:
            self.shown = now
            fraction = min(self.done / self.total, 1.0)
            bar = "#" * int(fraction * 30)
            rate = self.done / max(now - self.started, 1e-9)
            sys.stderr.write(
                f"\r{self.label:<22} [{bar:<30}] {self.done:>9,}/{self.total:,} {rate:>9,.0f}/s"
            )
            sys.stderr.flush()

    def finish(self) -> float:
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"  {elapsed:.1f}s\n")
        sys.stderr.flush()
        return elapsed


def copy_text(value) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


class Writer:
    """Insert rows of one model: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere."""

    def __init__(self, model: type[models.Model], columns: list[str]) -> None:
        self.model, self.columns = model, columns
        self.postgres = connection.vendor == "postgresql"
        self.fields = [model._meta.get_field(c) for c in columns]

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            q = connection.ops.quote_name
            table = q(self.model._meta.db_table)
            names = ", ".join(q(f.column) for f in self.fields)
            lines = "".join("\t".join(map(copy_text, row)) + "\n" for row in rows)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    copy.write(lines)
        else:
            objects = []
            for row in rows:
                kwargs = {
                    f.attname: self.value(f, v) for f, v in zip(self.fields, row, strict=True)
                }
                objects.append(self.model(**kwargs))
            self.model._default_manager.bulk_create(objects, batch_size=2000)

    @staticmethod
    def value(field: models.Field, value):
        """A row value as the model takes it: JSON columns come as text (COPY's form)."""
        if isinstance(field, models.JSONField) and isinstance(value, str):
            return json.loads(value)
        return value


def next_pk(model: type[models.Model]) -> int:
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def host_through(host_model, membership: HostMembership):
    """The through model of the host's group-user many-to-many."""
    for m2m in host_model._meta.many_to_many + get_user_model()._meta.many_to_many:
        through = m2m.remote_field.through
        if through._meta.db_table == membership.table:
            return through
    return None


def reset_sequences(*models_: type[models.Model]) -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


class Command(BaseCommand):
    help = "Seed provisioned users, groups and memberships for benchmarks (bulk inserts)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=1000)
        parser.add_argument("--groups", type=int, default=0)
        parser.add_argument("--members", type=int, default=0, help="members per group")
        parser.add_argument("--tenant", default="", help="tenant id (TENANT_MODEL pk or slug)")
        parser.add_argument("--prefix", default="bench", help="userName prefix")
        parser.add_argument("--token-file", help="create a SCIM token and write it here")
        parser.add_argument("--force", action="store_true", help="run even with DEBUG on")

    def handle(self, *args, **options):
        if settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is on (every query would be kept in memory): --force.")
        users, groups, members = options["users"], options["groups"], options["members"]
        tenant_id = self.tenant(options["tenant"])
        prefix = options["prefix"]
        started = time.monotonic()
        first_user = self.seed_users(users, tenant_id, prefix)
        if groups:
            self.seed_groups(groups, members, users, first_user, tenant_id, prefix)
        self.analyze()
        if options["token_file"]:
            token, plaintext = get_token_model().objects.create_token(
                f"{prefix} benchmark", tenant=tenant_id or None
            )
            with open(options["token_file"], "w") as handle:
                handle.write(plaintext + "\n")
        self.stdout.write(
            f"seeded {users:,} users, {groups:,} groups x {members:,} members "
            f"(tenant {tenant_id!r}) in {time.monotonic() - started:.1f}s"
        )

    def tenant(self, value: str) -> str:
        """The tenant id as stored: creates the example project's Organization if missing."""
        from scim_provider.models import get_tenant_model

        if not value:
            return ""
        model = get_tenant_model()
        if model is None:
            return value
        fields = {f.name for f in model._meta.get_fields()}
        found = model._default_manager.filter(pk=value).first() if value.isdigit() else None
        if found is None and "slug" in fields:
            found = model._default_manager.filter(slug=value).first()
            if found is None:
                extra = {"name": value} if "name" in fields else {}
                found = model._default_manager.create(slug=value, **extra)
        if found is None:
            raise CommandError(f"No tenant {value!r}.")
        return str(found.pk)

    def user_template(self, tenant_id: str) -> tuple[str, list[tuple]]:
        """The link JSON the user adapter keeps for a typical Okta user, and the rows of
        its multi-valued values (``ScimValue``, without the user), as templates."""
        from scim_provider.operations import validate

        adapter = get_user_adapter(tenant_id)
        email = f"{SENTINEL}@example.test"
        resource = validate(
            adapter,
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": email,
                "name": {"givenName": "Bench", "familyName": SENTINEL},
                "emails": [{"primary": True, "value": email, "type": "work"}],
                "displayName": f"Bench {SENTINEL}",
                "locale": "en-US",
                "externalId": f"ext-{SENTINEL}",
                "active": True,
            },
        )
        values = [
            tuple(json.dumps(row[c]) if c == "data" else row[c] for c in VALUE_COLUMNS)
            for spec in multivalued.stored_attributes(adapter)
            for row in multivalued.element_rows(spec, resource)
        ]
        return json.dumps(adapter.stored_attributes(resource), separators=(", ", ": ")), values

    def seed_users(self, count: int, tenant_id: str, prefix: str) -> int:
        """Host users and their links; returns the ScimUser pk of the first one."""
        User = get_user_model()
        user_columns = ["id", "password", "is_superuser", "username", "first_name"]
        user_columns += ["last_name", "email", "is_staff", "is_active", "date_joined"]
        present = {f.name for f in User._meta.concrete_fields}
        if not set(user_columns) <= present:
            raise CommandError("scim_bench_seed needs a django.contrib.auth-style user model.")
        users = Writer(User, user_columns)
        links = Writer(
            ScimUser,
            [
                "id",
                "scim_id",
                "user",
                "tenant_id",
                "user_name",
                "user_name_key",
                "email_key",
                "external_id",
                "attributes",
                "created_at",
                "updated_at",
                "version",
                "deleted_at",
            ],
        )
        template, value_template = self.user_template(tenant_id)
        values = Writer(ScimValue, ["user", *VALUE_COLUMNS])
        user_pk, link_pk = next_pk(User), next_pk(ScimUser)
        now = timezone.now()
        tag = f"{prefix}-t{tenant_id}" if tenant_id else prefix
        start = ScimUser._default_manager.filter(tenant_id=tenant_id).count()
        progress = Progress("users", count)
        for batch_start in range(0, count, BATCH):
            user_rows, link_rows, value_rows = [], [], []
            for i in range(batch_start, min(count, batch_start + BATCH)):
                n = start + i
                name = f"{tag}.{n:07d}"
                email = f"{name}@example.test"
                uid, lid = user_pk + i, link_pk + i
                user_rows.append(
                    (
                        uid,
                        UNUSABLE_PASSWORD_PREFIX + f"{uid:040x}",
                        False,
                        email,
                        "Bench",
                        f"{n:07d}",
                        email,
                        False,
                        True,
                        now,
                    )
                )
                link_rows.append(
                    (
                        lid,
                        uuid.uuid4(),
                        uid,
                        tenant_id,
                        email,
                        email.lower(),
                        email.lower(),
                        f"ext-{tag}.{n:07d}",
                        template.replace(SENTINEL, name),
                        now,
                        now,
                        1,
                        None,
                    )
                )
                value_rows += [(lid, *filled(row, name)) for row in value_template]
            with transaction.atomic():
                users.write(user_rows)
                links.write(link_rows)
                values.write(value_rows)
            progress.advance(len(link_rows))
        progress.finish()
        reset_sequences(User, ScimUser, ScimValue)
        return link_pk

    def seed_groups(
        self, groups: int, members: int, users: int, first_link: int, tenant_id: str, prefix: str
    ) -> None:
        adapter = get_group_adapter(tenant_id)
        host_model = adapter.model
        host_membership = HostMembership.find(host_model) if host_model is not None else None
        now = timezone.now()
        group_pk = next_pk(ScimGroup)
        host_pk = next_pk(host_model) if host_model is not None else None
        host_name_field = "name" if host_model is not None else None
        group_rows, host_rows = [], []
        for g in range(groups):
            display = f"{prefix} group {group_pk + g}"
            host_group_id = ""
            if host_model is not None:
                host_rows.append((host_pk + g, adapter.host_display_name(display)))
                host_group_id = str(host_pk + g)
            group_rows.append(
                (
                    group_pk + g,
                    uuid.uuid4(),
                    tenant_id,
                    display,
                    display.lower(),
                    "",
                    host_group_id,
                    adapter.host_model_label if host_group_id else "",
                    "{}",
                    now,
                    now,
                    1,
                    None,
                )
            )
        with transaction.atomic():
            if host_model is not None:
                Writer(host_model, ["id", host_name_field]).write(host_rows)
            Writer(
                ScimGroup,
                [
                    "id",
                    "scim_id",
                    "tenant_id",
                    "display_name",
                    "display_name_key",
                    "external_id",
                    "host_group_id",
                    "host_group_model",
                    "attributes",
                    "created_at",
                    "updated_at",
                    "version",
                    "deleted_at",
                ],
            ).write(group_rows)
        # Link pk -> host user pk, as seeded: consecutive in both tables.
        user_of = dict(
            ScimUser._default_manager.filter(pk__gte=first_link, pk__lt=first_link + users)
            .values_list("pk", "user_id")
            .iterator(chunk_size=50_000)
        )
        link_pks = sorted(user_of)
        memberships = Writer(ScimMembership, ["group", "user", "created_at"])
        through = host_through(host_model, host_membership) if host_membership else None
        host_writer = None
        if through is not None:
            by_column = {f.column: f.name for f in through._meta.concrete_fields}
            host_writer = Writer(
                through,
                [by_column[host_membership.group_column], by_column[host_membership.user_column]],
            )
        members = min(members, len(link_pks))
        progress = Progress("memberships", groups * members)
        for g in range(groups):
            offset = (g * members) % max(len(link_pks), 1)
            window = (link_pks[offset:] + link_pks[:offset])[:members]
            for start in range(0, len(window), BATCH):
                chunk = window[start : start + BATCH]
                with transaction.atomic():
                    memberships.write([(group_pk + g, pk, now) for pk in chunk])
                    if host_writer is not None:
                        host_writer.write([(host_pk + g, user_of[pk]) for pk in chunk])
                progress.advance(len(chunk))
        progress.finish()
        reset_sequences(
            ScimGroup, ScimMembership, *(m for m in (host_model, through) if m is not None)
        )

    def analyze(self) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
