"""Role checks, shared by every app.

The user on ``request.user`` is loaded from the database by the JWT authentication on
every request, so a demoted admin loses access at once, whatever the token says.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from users.models import Role


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.ADMIN)


class IsAdminRole(BasePermission):
    message = "Only staff (role ADMIN) may do this."

    def has_permission(self, request, view):
        return is_admin(request.user)


class IsAdminOrReadOnly(BasePermission):
    """Anyone may read; only an ADMIN may write."""

    message = IsAdminRole.message

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or is_admin(request.user)
