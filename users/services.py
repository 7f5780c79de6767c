"""Writes of users. Field errors are Django ``ValidationError``s keyed by field (the
API answers them as DRF field errors); business-rule errors are ``users.exceptions``."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from users.exceptions import OwnRoleChangeError
from users.models import Role, User


def user_register(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create a CUSTOMER. The role is never taken from the caller.

    The serializer checks that the username and email are free; two sign-ups racing for
    one of them still meet the database's unique index, answered as the same field error.
    """
    try:
        with transaction.atomic():
            return User.objects.create_user(
                username=username,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                role=Role.CUSTOMER,
            )
    except IntegrityError as exc:
        raise _taken_field_error(username=username, email=email) from exc


def _taken_field_error(*, username: str, email: str) -> ValidationError:
    if User.objects.filter(username=username).exists():
        return ValidationError({"username": ["A user with that username already exists."]})
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


def user_set_role(*, user: User, role: str, by: User) -> User:
    """Promote or demote. An admin cannot change their own role, so the last admin
    cannot lock everyone out by accident. ADMIN implies staff (see User.save)."""
    if user.pk == by.pk and role != user.role:
        raise OwnRoleChangeError()
    user.role = role
    user.save(update_fields=["role"])
    return user
