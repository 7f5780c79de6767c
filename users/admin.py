import math

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from users import services
from users.exceptions import LastAdminError
from users.models import User
from users.throttles import login_throttle_wait


class UserAdminChangeForm(UserChangeForm):
    """The last active admin can be neither demoted nor deactivated here either: the
    check runs (and takes its locks) inside the admin's transaction, so the locks are
    held until the change is saved."""

    def clean(self):
        cleaned = super().clean()
        if self.errors or self.instance.pk is None:
            return cleaned
        try:
            services.user_admin_change_check(
                user=self.instance,
                role=cleaned.get("role", self.instance.role),
                is_active=cleaned.get("is_active", self.instance.is_active),
            )
        except LastAdminError as exc:
            self.add_error(None, str(exc.detail))
        return cleaned


@admin.action(description="Delete selected users", permissions=["delete"])
def delete_selected_users(modeladmin, request, queryset):
    """Django's own delete action (with its confirmation page), refused as a whole when
    it would delete the last active admin."""
    try:
        with transaction.atomic():
            return delete_selected(modeladmin, request, queryset)
    except LastAdminError as exc:
        modeladmin.message_user(request, str(exc.detail), messages.ERROR)
        return None


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserAdminChangeForm
    list_display = ["username", "email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "email", "first_name", "last_name"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Marquee", {"fields": ["role"]}),
    ]
    readonly_fields = ["is_staff", "last_login", "date_joined"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            actions["delete_selected"] = (
                delete_selected_users,
                "delete_selected",
                delete_selected_users.short_description,
            )
        return actions

    def delete_model(self, request, obj):
        services.users_delete(users=[obj])

    def delete_queryset(self, request, queryset):
        services.users_delete(users=list(queryset))

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except LastAdminError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:users_user_change", args=[object_id]))


def admin_login(request, extra_context=None):
    """``/admin/login/``: the Django admin's login, limited by the API login throttles.

    A POST counts in the same buckets as ``POST /api/auth/login/`` (per client IP and per
    account, whatever spelling of the username), so an address or an account the API
    already throttles gets no fresh attempts here, and the reverse.
    """
    if request.method == "POST":
        wait = login_throttle_wait(request)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            context = {**admin.site.each_context(request), "wait": seconds}
            response = TemplateResponse(
                request, "users/admin_login_throttled.html", context, status=429
            )
            response["Retry-After"] = str(seconds)
            return response
    return admin.site.login(request, extra_context)
