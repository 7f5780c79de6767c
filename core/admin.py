"""Admin pieces shared by the apps' admins: a guarded delete action and read-only
admins (the site itself is configuration: config/admin.py)."""

from django.contrib import admin


class GuardedDeleteMixin:
    """Django's "Delete selected ..." action replaced by ``delete_action``: the same
    name and confirmation page, with the app's own refusal (the last admin, a showtime
    with reservations) said in a message instead of a crash or a misleading page."""

    delete_action = None  # a staticmethod(...) of an @admin.action function

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.delete_action is not None and "delete_selected" in actions:
            actions["delete_selected"] = (
                self.delete_action,
                "delete_selected",
                self.delete_action.short_description,
            )
        return actions


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the services write (tickets, outbox emails): staff read them, and
    change them only through an action that calls a service."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
