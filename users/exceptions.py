from core.errors import Conflict, Forbidden, InvalidRequest


class OwnRoleChangeError(InvalidRequest):
    code = "own_role_change"
    detail = "You cannot change your own role; ask another admin."


class LastAdminError(Conflict):
    code = "last_admin"
    detail = "This would leave no active admin; promote another user to ADMIN first."


class NoLongerAdmin(Forbidden):
    code = "not_admin"
    detail = "You are no longer an active admin."
