"""Role checks for the API, shared by every app.

The user on ``request.user`` is loaded from the database by the JWT authentication on
every request, so a demoted member of staff loses access at once, whatever the token
says. What each role may do is ``users.roles`` (the admin reads the same table); a
refusal is 403 ``permission_denied`` with a detail naming who may.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from users import roles


class IsAdminRole(BasePermission):
    message = "Only an admin (role ADMIN) may do this."
    code = "permission_denied"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_admin_role)


class IsAdminOrReadOnly(IsAdminRole):
    """Anyone may read; only an ADMIN may write."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or super().has_permission(request, view)


class RolePermission(BasePermission):
    """The user's role grants ``permission`` (``users.roles``). Subclasses name it."""

    permission = ""
    who = ""
    code = "permission_denied"

    @property
    def message(self):
        return f"Only {self.who} may do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(self.permission))


class MaySell(RolePermission):
    permission = roles.SELL
    who = "counter staff (role CASHIER or ADMIN)"


class MayLookUpBookings(RolePermission):
    permission = roles.VIEW_RESERVATIONS
    who = "counter staff (role CASHIER or ADMIN)"


class MayResendConfirmation(RolePermission):
    permission = roles.RESEND_CONFIRMATION
    who = "counter staff (role CASHIER or ADMIN)"


class MayTakePayment(RolePermission):
    permission = roles.TAKE_PAYMENT
    who = "counter staff (role CASHIER or ADMIN)"


class MayCheckIn(RolePermission):
    permission = roles.CHECK_IN
    who = "door staff (role USHER, CASHIER or ADMIN)"
