from core.errors import Conflict, Forbidden, InvalidRequest


class OwnRoleChangeError(InvalidRequest):
    code = "own_role_change"
    detail = "You cannot change your own role; ask another admin."


class LastAdminError(Conflict):
    code = "last_admin"
    detail = "This would leave no active admin; promote another user to ADMIN first."


class NoLongerAdmin(Forbidden):
    # The same code as the permission check at the door (users.permissions): whether
    # the demotion was seen before the request began or under its lock, the caller
    # learns one thing, that their role may not do this.
    code = "permission_denied"
    detail = "You are no longer an active admin."
