"""Role checks, shared by every app.

The user on ``request.user`` is loaded from the database by the JWT authentication on
every request, so a demoted admin loses access at once, whatever the token says. The
rule itself (role ADMIN) is ``User.is_admin_role``.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsAdminRole(BasePermission):
    message = "Only staff (role ADMIN) may do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin_role)


class IsAdminOrReadOnly(IsAdminRole):
    """Anyone may read; only an ADMIN may write."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or super().has_permission(request, view)
