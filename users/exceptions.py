from config.exceptions import DomainError


class OwnRoleChangeError(DomainError):
    default_detail = "You cannot change your own role; ask another admin."
    default_code = "own_role_change"
