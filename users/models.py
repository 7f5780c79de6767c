import unicodedata

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models

from users.roles import ROLE_PERMISSIONS, STAFF_ROLES, Role, role_may

__all__ = ["Role", "User", "fold_username"]


def fold_username(username: str) -> str:
    """The form shared by usernames that differ only by case, accents or compatibility
    forms: ``Admin``, ``ADMIN``, ``admín`` and the full-width ``admin`` all fold to ``admin``.

    MariaDB's utf8mb4_unicode_ci collation already compares usernames so; the folded
    column makes SQLite (and any database) agree, and its unique index means no two
    accounts differ only so. NFKD splits accents off their letters, the combining marks
    are dropped, casefold() handles case (``ß`` -> ``ss``), NFKC recomposes.
    """
    decomposed = unicodedata.normalize("NFKD", username.strip())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", bare.casefold())


USERNAME_TAKEN = "A user with that username already exists."
USERNAME_FOLD_MAX_LENGTH = 150


def validate_username_fold(username: str) -> None:
    """A username whose folded form fits ``username_fold``: a few characters may fold
    to many (U+FDFA is 18 letters), and the database would refuse the row."""
    if len(fold_username(username)) > USERNAME_FOLD_MAX_LENGTH:
        raise ValidationError(
            "This username is too long once its special characters are spelled out; "
            "choose a shorter one.",
            code="max_length",
        )


class MarqueeUserManager(UserManager):
    @staticmethod
    def natural_key_filter(username: str) -> dict:
        """How a login name finds its account, everywhere (API login, admin login,
        throttles): by its folded form, so case and accents do not matter."""
        return {"username_fold": fold_username(username)}

    def get_by_natural_key(self, username):
        return self.get(**self.natural_key_filter(username))

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A customer or a member of staff. The role decides what the API and the Django admin
    allow (``users.roles``): an ADMIN may do everything (the admin's superuser), a CASHIER
    and an USHER use the admin for their own jobs (staff, with the permissions their role
    grants, never set by hand), a CUSTOMER has no admin access at all."""

    # Unique when given. NULL when not: the compatibility sign-up (/api/signup/) takes
    # none, and NULLs do not collide in a unique index (an empty string would).
    # AbstractUser's username, and its folded form must fit username_fold too.
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
        validators=[AbstractUser.username_validator, validate_username_fold],
        error_messages={"unique": USERNAME_TAKEN},
    )
    email = models.EmailField("email address", unique=True, null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    # fold_username(username), kept by save() (bulk_create must set it itself): the
    # unique key that keeps "Admin" and "admín" from ever being two accounts, and the
    # column logins look up.
    username_fold = models.CharField(
        max_length=USERNAME_FOLD_MAX_LENGTH, unique=True, editable=False
    )

    objects = MarqueeUserManager()

    class Meta:
        ordering = ["id"]

    def clean(self):
        super().clean()
        # The admin's forms leave username_fold out, so its unique key is checked here.
        taken = User.objects.filter(username_fold=fold_username(self.username or ""))
        if self.pk is not None:
            taken = taken.exclude(pk=self.pk)
        if self.username and taken.exists():
            raise ValidationError({"username": USERNAME_TAKEN})

    def save(self, *args, **kwargs):
        # The role is the single source of truth for staff access.
        self.is_staff = self.role in STAFF_ROLES
        self.is_superuser = self.role == Role.ADMIN
        self.username_fold = fold_username(self.username)
        if not self.email:
            self.email = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = set()
            if "role" in update_fields:
                extra |= {"is_staff", "is_superuser"}
            if "username" in update_fields:
                extra.add("username_fold")
            if extra:
                kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    # Django's permissions, from the role alone (users.roles): groups and per-user
    # permissions are never consulted, so no one can be granted anything by hand.
    def has_perm(self, perm, obj=None):
        return self.is_active and role_may(self.role, perm)

    def has_perms(self, perm_list, obj=None):
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label):
        return self.is_active and (
            self.role == Role.ADMIN
            or any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions())
        )

    def get_all_permissions(self, obj=None):
        if not self.is_active:
            return set()
        if self.role == Role.ADMIN:
            from django.contrib.auth.models import Permission

            return {
                f"{app_label}.{codename}"
                for app_label, codename in Permission.objects.values_list(
                    "content_type__app_label", "codename"
                )
            }
        return set(ROLE_PERMISSIONS.get(self.role, ()))

    def get_user_permissions(self, obj=None):
        return set()

    def get_group_permissions(self, obj=None):
        return set()
