from rest_framework.permissions import BasePermission

# Django's own view permission of the trail; ``User.has_perm`` answers it from the role
# table (users.roles): ADMIN only. Named here, not imported: the trail sits below users.
VIEW_AUDIT = "audit.view_auditentry"


class MayReadAuditTrail(BasePermission):
    message = "Only staff (role ADMIN) may do this."
    code = "permission_denied"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(VIEW_AUDIT))
