"""Vouchers for staff (ADMIN): written through pricing.services, the API's rules."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from cinema.admin import ServiceFormMixin, local_time
from pricing import selectors, services
from pricing.models import Voucher


class VoucherAdminForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = Voucher
        fields = list(services.VOUCHER_FIELDS)

    def run_service(self):
        data = {name: self.cleaned_data.get(name) for name in services.VOUCHER_FIELDS}
        data["ticket_type"] = data["ticket_type"] or ""
        data["description"] = data["description"] or ""
        if self.instance.pk is None:
            return services.voucher_create(**data)
        return services.voucher_update(voucher=self.instance, **data)


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    form = VoucherAdminForm
    list_display = ["code", "kind", "value", "window", "uses", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["code", "description"]
    list_select_related = ["movie", "showtime"]
    raw_id_fields = ["showtime"]

    def get_queryset(self, request):
        # Each voucher's uses in the list's one query, not one count per row.
        return selectors.voucher_list()

    @admin.display(description="valid")
    def window(self, obj):
        if obj.valid_from is None and obj.valid_until is None:
            return "always"
        return f"{local_time(obj.valid_from)} to {local_time(obj.valid_until)}"

    @admin.display(description="uses / max")
    def uses(self, obj):
        used = selectors.voucher_uses(obj, now=timezone.now())
        return f"{used} / {'-' if obj.max_uses is None else obj.max_uses}"

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in the form's clean()

    def has_delete_permission(self, request, obj=None):
        # Used by a reservation: kept for its history (deactivate it instead).
        if obj is not None and obj.reservations.exists():
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        services.voucher_delete(voucher=obj)
