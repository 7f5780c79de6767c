from rest_framework import status

from config.exceptions import Conflict, DomainError


class OwnRoleChangeError(DomainError):
    default_detail = "You cannot change your own role; ask another admin."
    default_code = "own_role_change"


class LastAdminError(Conflict):
    default_detail = "This would leave no active admin; promote another user to ADMIN first."
    default_code = "last_admin"


class NoLongerAdmin(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "You are no longer an active admin."
    default_code = "not_admin"
