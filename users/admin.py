import math

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

import audit
from core.admin import GuardedDeleteMixin
from users import services
from users.exceptions import LastAdminError
from users.models import Role, User
from users.roles import ROLE_HELP
from users.throttles import login_throttle_wait

EMAIL_TAKEN = "A user with that email already exists."
TAKEN_MEANWHILE = (
    "Another account took that username or email while you were editing; nothing was "
    "saved. Check the account and try again."
)


def _check_email_free(email: str, *, exclude_pk=None) -> str:
    """The rule of the API's sign-up and profile: one account per email address, case
    aside."""
    email = User.objects.normalize_email(email)
    taken = User.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(EMAIL_TAKEN, code="unique")
    return email


class UserAdminCreationForm(UserCreationForm):
    """Username, email, role and a password: what an account needs here. The account
    is created by ``services.user_create`` once everything (the password rules
    included) is valid, so an email or username taken at the same moment is a form
    error, not a crash."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["role"].help_text = ROLE_HELP

    def clean_email(self):
        return _check_email_free(self.cleaned_data["email"])

    def _post_clean(self):
        super()._post_clean()  # the model's checks, then the password rules
        if self.errors:
            return
        try:
            self.instance = services.user_create(
                username=self.cleaned_data["username"],
                email=self.cleaned_data["email"],
                password=self.cleaned_data["password1"],
                role=self.cleaned_data["role"],
            )
        except ValidationError as exc:
            self._update_errors(exc)

    def save(self, commit=True):
        # Created in _post_clean, with no many-to-many fields to save after it.
        self.save_m2m = lambda: None
        return self.instance


class UserAdminChangeForm(UserChangeForm):
    """The last active admin can be neither demoted nor deactivated here either: the
    check runs (and takes its locks) inside the admin's transaction, so the locks are
    held until the change is saved."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "role" in self.fields:
            self.fields["role"].help_text = ROLE_HELP

    def clean_email(self):
        return _check_email_free(self.cleaned_data["email"], exclude_pk=self.instance.pk)

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
class UserAdmin(GuardedDeleteMixin, BaseUserAdmin):
    """Accounts and their roles. The role is what counts in Marquee: an ADMIN is staff
    and superuser (``User.save``), so Django's staff and superuser flags, groups and
    per-user permissions are not shown (they would mean nothing, or be overwritten)."""

    delete_action = staticmethod(delete_selected_users)

    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ["username", "email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering = ["username"]
    filter_horizontal = []
    fieldsets = [
        (None, {"fields": ["username", "role", "is_active"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Password", {"fields": ["password"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "email", "role", "password1", "password2"],
            },
        ),
    ]
    readonly_fields = ["last_login", "date_joined"]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError:
            # The form's checks passed, and another account took the username or email
            # in the same moment: the unique index refused the save and the admin's
            # transaction rolled back. (Adding is covered by services.user_create.)
            self.message_user(request, TAKEN_MEANWHILE, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            if "role" in form.changed_data:
                audit.record(
                    audit.Action.ROLE_CHANGE,
                    obj,
                    actor=request.user,
                    before={"role": form.initial.get("role")},
                    after={"role": obj.role},
                )
        elif obj.role != Role.CUSTOMER:
            # An added user was created by the form (UserAdminCreationForm._post_clean);
            # made staff from the start, it is a role given like any change of one.
            audit.record(
                audit.Action.ROLE_CHANGE,
                obj,
                actor=request.user,
                before={"role": None},
                after={"role": obj.role},
            )

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
