from config.errors import InvalidRequest


class OwnRoleChangeError(InvalidRequest):
    code = "own_role_change"
    detail = "You cannot change your own role; ask another admin."
