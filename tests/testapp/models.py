"""Host models the test suite provisions into.

* ``Member``: a custom user model (``tests.settings_custom_user`` swaps it in): the email is
  the ``USERNAME_FIELD``, there is no ``first_name``/``last_name`` but a ``full_name``, and no
  ``PermissionsMixin`` (so that it can sit next to ``auth.User`` when that one is active);
  its own ``groups`` relation to ``auth.Group`` lets groups be mirrored as for ``auth.User``.
* ``Profile``: a one-to-one profile of whichever user model is active, holding the
  attributes the registry tests map (``profile.location``, an ``OrganizationRole``).
* ``Organization``: the tenant model of the tenant tests.
* ``Team``: a host group model that is not ``auth.Group`` (``GROUP_MODEL = "testapp.Team"``),
  its members a many-to-many to the user model declared on the group side.
* ``OrgTeam``: a tenant-owned host group model, as a multi-tenant product has one: a NOT NULL
  foreign key to its ``Organization`` (``GROUP_TENANT_FIELD = "organization"``) and names
  unique per organization.
"""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone


class MemberManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, *args, **extra):
        # Also accepts auth.User's positional form ``(username, email, password)``.
        password = extra.pop("password", None)
        if len(args) == 2:
            email, password = args[0] or email, args[1]
        elif len(args) == 1:
            password = args[0]
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, *args, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, *args, **extra)


class Member(AbstractBaseUser):
    email = models.EmailField("email", unique=True)
    full_name = models.CharField("full name", max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    is_superuser = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    groups = models.ManyToManyField("auth.Group", related_name="members", blank=True)

    objects = MemberManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_active and self.is_superuser

    def has_module_perms(self, app_label) -> bool:
        return self.is_active and self.is_superuser


class Organization(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    location = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class Team(models.Model):
    name = models.CharField(max_length=150, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    def __str__(self) -> str:
        return self.name


class OrgTeam(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=150)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="org_teams", blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="testapp_orgteam_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name
