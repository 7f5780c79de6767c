from django.db import transaction

from users.exceptions import OwnRoleChangeError
from users.models import Role, User


@transaction.atomic
def user_register(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create a CUSTOMER. The role is never taken from the caller."""
    return User.objects.create_user(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        role=Role.CUSTOMER,
    )


def user_update_profile(*, user: User, **fields) -> User:
    allowed = {"email", "first_name", "last_name"}
    changed = [name for name in fields if name in allowed]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
    return user


def user_set_role(*, user: User, role: str, by: User) -> User:
    """Promote or demote. An admin cannot change their own role, so the last admin
    cannot lock everyone out by accident. ADMIN implies staff (see User.save)."""
    if user.pk == by.pk and role != user.role:
        raise OwnRoleChangeError()
    user.role = role
    user.save(update_fields=["role"])
    return user
