"""Waiting rooms in the admin (ADMIN): each queue live (waiting, admitted, rate; the
list refreshes its figures every few seconds from ``<id>/live/``), and the staff's
levers: pause and resume, the rate (edited in the list), close (sold out) and reopen.
Every change goes through ``waitingroom.services.queue_save``, which applies it in
Redis at once."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.urls import path
from django.utils.html import format_html

from cinema.admin import ServiceFormMixin, local_time
from core.errors import DomainError
from waitingroom import services
from waitingroom.exceptions import QueueUnavailable
from waitingroom.models import ShowtimeQueue


class ShowtimeQueueAdminForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = ShowtimeQueue
        fields = ["showtime", *services.QUEUE_SETTINGS]

    def run_service(self):
        for name in self._meta.fields:
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
        return services.queue_save(queue=self.instance)


def _figures(obj: ShowtimeQueue) -> services.QueueFigures | None:
    if not hasattr(obj, "_figures"):
        try:
            obj._figures = services.queue_figures(queue=obj)
        except QueueUnavailable:
            obj._figures = None
    return obj._figures


def _state(obj: ShowtimeQueue) -> str:
    if obj.closed:
        return "closed (sold out)"
    if not obj.enabled:
        return "off"
    return "paused" if obj.paused else "admitting"


def _live(obj: ShowtimeQueue, name: str):
    figures = _figures(obj)
    value = "Redis down" if figures is None else getattr(figures, name)
    return format_html('<span class="wr-{}" data-queue="{}">{}</span>', name, obj.pk, value)


def _bulk(description: str, **changes):
    def action(modeladmin, request, queryset):
        done = 0
        for queue in queryset.select_related("showtime"):
            try:
                services.queue_update(queue=queue, **changes)
            except DomainError as exc:
                modeladmin.message_user(request, f"{queue}: {exc.detail}", messages.ERROR)
            else:
                done += 1
        modeladmin.message_user(request, f"{description}: {done} waiting room(s).")

    action.__name__ = description.lower().replace(" ", "_").replace("(", "").replace(")", "")
    return admin.action(description=description)(action)


@admin.register(ShowtimeQueue)
class ShowtimeQueueAdmin(admin.ModelAdmin):
    form = ShowtimeQueueAdminForm
    change_list_template = "admin/waitingroom/showtimequeue/change_list.html"
    list_display = ["showtime_label", "opens", "state", "waiting", "admitted", "admit_per_minute"]
    list_editable = ["admit_per_minute"]
    list_select_related = ["showtime__movie", "showtime__hall"]
    autocomplete_fields = []
    raw_id_fields = ["showtime"]
    actions = [
        _bulk("Pause", paused=True),
        _bulk("Resume", paused=False),
        _bulk("Close (sold out)", closed=True),
        _bulk("Reopen", closed=False),
    ]

    @admin.display(description="showtime", ordering="showtime__start_time")
    def showtime_label(self, obj):
        show = obj.showtime
        return f"{show.movie.title}, {show.hall.name}, {local_time(show.start_time)}"

    @admin.display(description="opens", ordering="opens_at")
    def opens(self, obj):
        return local_time(obj.opens_at)

    @admin.display(description="state")
    def state(self, obj):
        return format_html('<span class="wr-state" data-queue="{}">{}</span>', obj.pk, _state(obj))

    @admin.display(description="waiting")
    def waiting(self, obj):
        return _live(obj, "waiting")

    @admin.display(description="admitted")
    def admitted(self, obj):
        return _live(obj, "admitted")

    def save_model(self, request, obj, form, change):
        if getattr(form, "service_ran", False):
            return  # saved by the service in the form's clean()
        try:  # the list's rate column
            services.queue_save(queue=obj)
        except DomainError as exc:
            self.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)

    def delete_model(self, request, obj):
        services.queue_delete(queue=obj)

    def delete_queryset(self, request, queryset):
        for queue in queryset:
            services.queue_delete(queue=queue)

    def get_urls(self):
        live = self.admin_site.admin_view(self.live_view)
        return [
            path("<path:object_id>/live/", live, name="waitingroom_showtimequeue_live"),
            *super().get_urls(),
        ]

    def live_view(self, request, object_id):
        """The queue's figures now, as JSON, for the list's refresh."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        queue = self.get_object(request, object_id)
        if queue is None:
            return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
        figures = _figures(queue)
        return JsonResponse(
            {
                "id": queue.pk,
                "state": _state(queue),
                "rate": queue.admit_per_minute,
                "waiting": None if figures is None else figures.waiting,
                "admitted": None if figures is None else figures.admitted,
                "available": figures is not None,
            }
        )
