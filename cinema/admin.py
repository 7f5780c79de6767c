"""Staff admin. Halls and showtimes are written through the same services as the API,
so the admin enforces the same rules (layout, overlap, past start).

The forms call the service at the end of ``clean()`` and turn its errors into form
errors; the saved object then becomes the form's instance and ``save_model`` has
nothing left to do. Django's admin wraps the whole add/change view in one transaction,
so the hall lock the service takes is held until the response is ready.
"""

import datetime as dt

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.utils import timezone

from cinema import selectors, services
from cinema.models import MOVIE_EDITABLE_FIELDS, Hall, Movie, Seat, Showtime
from config.errors import DomainError


class ServiceFormMixin:
    """A ModelForm whose ``clean()`` runs a service instead of the model's own save."""

    service_ran = False

    def run_service(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.instance = self.run_service()
        except ValidationError as exc:
            self._add_service_errors(exc)
        except DomainError as exc:
            self.add_error(None, str(exc.detail))
        else:
            self.service_ran = True
        return cleaned

    def _add_service_errors(self, exc: ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)

    def _post_clean(self):
        # The service validated and saved the instance; the model's own validation
        # would see a half-built instance for fields the service computes (end_time).
        pass


# --- Movies ---------------------------------------------------------------------------


class MovieAdminForm(forms.ModelForm):
    poster_url = forms.URLField(required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Movie
        fields = list(MOVIE_EDITABLE_FIELDS)


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    form = MovieAdminForm
    list_display = ["title", "genre", "duration_minutes", "release_date", "age_rating"]
    list_filter = ["genre", "age_rating"]
    search_fields = ["title", "description"]
    date_hierarchy = "release_date"

    def get_readonly_fields(self, request, obj=None):
        # Scheduled showtimes' end times were computed from the duration.
        if obj is not None and obj.showtimes.exists():
            return ["duration_minutes"]
        return []


# --- Halls ----------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").replace(";", ",").split(",") if part.strip()]


class HallAddForm(ServiceFormMixin, forms.ModelForm):
    rows = forms.IntegerField(min_value=1, max_value=services.MAX_ROWS)
    seats_per_row = forms.IntegerField(min_value=1, max_value=services.MAX_SEATS_PER_ROW)
    vip_rows = forms.CharField(required=False, help_text="Comma-separated row letters, e.g. H, J")
    accessible_seats = forms.CharField(
        required=False, help_text="Comma-separated seat labels, e.g. A1, A2"
    )

    class Meta:
        model = Hall
        fields = ["name"]

    def run_service(self):
        data = self.cleaned_data
        return services.hall_create(
            name=data["name"],
            rows=data["rows"],
            seats_per_row=data["seats_per_row"],
            vip_rows=_split(data.get("vip_rows")),
            accessible_seats=_split(data.get("accessible_seats")),
        )


class HallChangeForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = Hall
        fields = ["name"]

    def run_service(self):
        return services.hall_update(hall=self.instance, name=self.cleaned_data["name"])


class SeatInline(admin.TabularInline):
    model = Seat
    fields = ["label", "row", "number", "position", "seat_type"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ["name", "capacity"]
    search_fields = ["name"]
    readonly_fields = ["capacity"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = HallChangeForm if obj is not None else HallAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "rows", "seats_per_row", "vip_rows", "accessible_seats"]
        return ["name", "capacity"]

    def get_inlines(self, request, obj):
        return [SeatInline] if obj is not None else []

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in the form's clean()


# --- Showtimes ------------------------------------------------------------------------


class ShowtimeAdminForm(ServiceFormMixin, forms.ModelForm):
    vip_price = forms.DecimalField(
        max_digits=8, decimal_places=2, required=False, help_text="Defaults to the price."
    )

    class Meta:
        model = Showtime
        fields = ["movie", "hall", "start_time", "price", "vip_price"]

    def run_service(self):
        data = self.cleaned_data
        if self.instance.pk is None:
            return services.showtime_create(
                movie=data["movie"],
                hall=data["hall"],
                start_time=data["start_time"],
                price=data["price"],
                vip_price=data.get("vip_price"),
            )
        changes = {
            name: data[name]
            for name in ("movie", "hall", "start_time", "price")
            if name in self.changed_data
        }
        if "vip_price" in self.changed_data and data.get("vip_price") is not None:
            changes["vip_price"] = data["vip_price"]
        return services.showtime_update(showtime=self.instance, **changes)


_TZ_CONVERSION_OK = False


def database_converts_time_zones() -> bool:
    """Django's date hierarchy truncates datetimes in the database; MySQL/MariaDB can
    only do that with their time zone tables loaded (otherwise it crashes the change
    list). Checked once per process, and only a success is remembered."""
    global _TZ_CONVERSION_OK
    if _TZ_CONVERSION_OK or connection.vendor != "mysql":
        return True
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT CONVERT_TZ('2000-01-01 00:00:00', 'UTC', %s)",
                [str(timezone.get_default_timezone())],
            )
            _TZ_CONVERSION_OK = cursor.fetchone()[0] is not None
    except DatabaseError:
        return False
    return _TZ_CONVERSION_OK


class ShowDayFilter(admin.SimpleListFilter):
    """Local days computed in Python: works whether or not the database knows the
    cinema's time zone."""

    title = "day"
    parameter_name = "day"

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        days = [today + dt.timedelta(days=offset) for offset in range(7)]
        return [("past", "Past"), *[(day.isoformat(), f"{day:%a %d %b}") for day in days]]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "past":
            return queryset.filter(start_time__lt=timezone.now())
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return queryset.none()
        return selectors.showtimes_on(queryset, day)


@admin.register(Showtime)
class ShowtimeAdmin(admin.ModelAdmin):
    """The schedule. The booking engine extends it with sales (bookings/admin.py)."""

    form = ShowtimeAdminForm
    list_display = ["movie", "hall", "start_time", "end_time", "price", "vip_price"]
    list_filter = [ShowDayFilter, "hall", "movie"]
    search_fields = ["movie__title"]
    list_select_related = ["movie", "hall"]
    readonly_fields = ["end_time"]
    ordering = ["-start_time"]

    @property
    def date_hierarchy(self):
        return "start_time" if database_converts_time_zones() else None

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in the form's clean()
