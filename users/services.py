"""Writes of users. Field errors are Django ``ValidationError``s keyed by field (the
API answers them as DRF field errors); business-rule errors are ``users.exceptions``."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

import audit
from users.exceptions import LastAdminError, NoLongerAdmin, OwnRoleChangeError
from users.models import USERNAME_TAKEN, Role, User, fold_username


def user_register(
    *,
    username: str,
    password: str,
    email: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a CUSTOMER. The role is never taken from the caller.

    The serializer checks that the username and email are free; two sign-ups racing for
    one of them still meet the database's unique index, answered as the same field error.
    """
    return user_create(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        role=Role.CUSTOMER,
    )


def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account with a role: registration (always CUSTOMER) and staff adding a
    user in the admin. A username or email taken meanwhile (the callers checked them)
    is the same field error the check gives, never an IntegrityError. ``password=None``
    makes an account that cannot log in with a password (demo customers)."""
    try:
        with transaction.atomic():
            return User.objects.create_user(
                username=username,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=role,
            )
    except IntegrityError as exc:
        raise _taken_field_error(username=username, email=email) from exc


def _taken_field_error(*, username: str, email: str | None) -> ValidationError:
    if User.objects.filter(username_fold=fold_username(username)).exists():
        return ValidationError({"username": [USERNAME_TAKEN]})
    return ValidationError({"email": ["A user with that email already exists."]})


def user_update_profile(*, user: User, **fields) -> User:
    allowed = {"email", "first_name", "last_name"}
    changed = [name for name in fields if name in allowed]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        try:
            with transaction.atomic():
                user.save(update_fields=changed)
        except IntegrityError as exc:
            raise ValidationError({"email": ["A user with that email already exists."]}) from exc
    return user


# --- the last admin ---------------------------------------------------------------------
# There is always at least one active ADMIN. Every change that can take an admin away
# (demotion, deactivation, deletion; in the API or the Django admin) first locks the
# rows of all active admins, in id order, and decides on what it then reads: two admins
# demoting each other at the same moment are serialised, and the second one finds that
# it would demote the last admin.


def _lock_active_admins() -> set[int]:
    return set(
        User.objects.select_for_update()
        .filter(role=Role.ADMIN, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _ensure_an_admin_remains(admins: set[int], *, losing: set[int]) -> None:
    if admins and not admins - losing:
        raise LastAdminError()


@transaction.atomic
def user_set_role(*, user: User, role: str, by: User) -> User:
    """Promote or demote. An admin cannot change their own role, and the last active
    admin cannot be demoted (409 ``last_admin``). ADMIN implies staff (see User.save).

    Locks: every active admin's row (id order), then the user's row.
    Errors: OwnRoleChangeError (400), NoLongerAdmin (403: ``by`` lost the role
    meanwhile), LastAdminError (409).
    """
    if user.pk == by.pk and role != user.role:
        raise OwnRoleChangeError()
    admins = _lock_active_admins()
    if by.pk not in admins:
        raise NoLongerAdmin()
    user = User.objects.select_for_update().get(pk=user.pk)
    if role != Role.ADMIN:
        _ensure_an_admin_remains(admins, losing={user.pk})
    before = user.role
    user.role = role
    user.save(update_fields=["role"])
    if before != role:
        audit.record(
            audit.Action.ROLE_CHANGE, user, actor=by, before={"role": before}, after={"role": role}
        )
    return user


@transaction.atomic
def user_admin_change_check(*, user: User, role: str, is_active: bool) -> None:
    """For a change about to be saved by the caller's transaction (the Django admin's
    form): refuse it if it would leave no active admin. The admins' row locks are held
    until that transaction ends. Errors: LastAdminError (409)."""
    admins = _lock_active_admins()
    if user.pk is not None and not (role == Role.ADMIN and is_active):
        _ensure_an_admin_remains(admins, losing={user.pk})


@transaction.atomic
def users_delete(*, users) -> int:
    """Delete users, unless that would leave no active admin (LastAdminError, 409).
    Locks: every active admin's row (id order). Returns how many were deleted."""
    admins = _lock_active_admins()
    pks = {user.pk for user in users}
    _ensure_an_admin_remains(admins, losing=pks)
    deleted = 0
    for user in User.objects.filter(pk__in=pks).order_by("pk"):
        user.delete()
        deleted += 1
    return deleted
