"""Staff admin. Halls and showtimes are written through the same services as the API,
so the admin enforces the same rules (layout, overlap, past start, prices).

The forms call the service at the end of ``clean()`` and turn its errors into form
errors; the saved object then becomes the form's instance and ``save_model`` has
nothing left to do. Django's admin wraps the whole add/change view in one transaction,
so the hall lock the service takes is held until the response is ready.

Every time shown here is in the cinema's ``TIME_ZONE`` (the database holds UTC).
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from cinema import selectors, services
from cinema.exceptions import ShowtimeOverlap
from cinema.models import (
    ADULT,
    MOVIE_EDITABLE_FIELDS,
    Hall,
    Movie,
    PriceList,
    SeatType,
    Showtime,
    TicketType,
)
from cinema.seat_grid import seat_grid_html
from core.admin import GuardedDeleteMixin
from core.days import day_in_range
from core.errors import DomainError
from core.money import CENT, PLACES, PRICE_DIGITS


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
            self.add_error(None, self.domain_error_message(exc))
        else:
            self.service_ran = True
        return cleaned

    def domain_error_message(self, exc: DomainError) -> str:
        return str(exc.detail)

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


def local_time(value: dt.datetime | None, fmt: str | None = None) -> str:
    """A datetime as staff read it: in the cinema's time zone, short ("Mon 30 Nov,
    18:15", with the year when it is not this year's) unless ``fmt`` says otherwise."""
    if value is None:
        return "-"
    local = timezone.localtime(value)
    if fmt is None:
        fmt = "D j M, H:i" if local.year == timezone.localdate().year else "D j M Y, H:i"
    return formats.date_format(local, fmt)


# --- Movies ---------------------------------------------------------------------------


class MovieAdminForm(forms.ModelForm):
    poster_url = forms.URLField(
        required=False,
        max_length=500,
        assume_scheme="https",
        label="Poster URL",
        widget=forms.URLInput(attrs={"class": "vURLField poster-url"}),
        help_text="The address of the poster image (http or https).",
    )

    class Meta:
        model = Movie
        fields = list(MOVIE_EDITABLE_FIELDS)


class ScheduledNotDeletableMixin:
    """A movie or hall with showtimes cannot be deleted (the showtimes PROTECT it): its
    page has no Delete button, and says why at the top, instead of a button that ends
    in "your account doesn't have permission"."""

    def _scheduled(self, obj) -> int:
        if obj is None or obj.pk is None:
            return 0
        if not hasattr(obj, "_showtime_count"):
            obj._showtime_count = obj.showtimes.count()
        return obj._showtime_count

    def has_delete_permission(self, request, obj=None):
        if self._scheduled(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        count = self._scheduled(obj)
        if not count:
            return fieldsets
        name, options = fieldsets[0]
        kind = self.model._meta.verbose_name
        note = (
            f"This {kind} has {count} showtime{'' if count == 1 else 's'}: it cannot be "
            "deleted while they exist."
        )
        return [(name, {**options, "description": note}), *fieldsets[1:]]


@admin.register(Movie)
class MovieAdmin(ScheduledNotDeletableMixin, admin.ModelAdmin):
    form = MovieAdminForm
    list_display = ["title", "genre", "duration_minutes", "release_date", "age_rating"]
    list_filter = ["genre", "age_rating"]
    search_fields = ["title", "description"]
    date_hierarchy = "release_date"

    def get_fields(self, request, obj=None):
        fields = list(MOVIE_EDITABLE_FIELDS)
        if self._scheduled(obj):
            fields[fields.index("duration_minutes")] = "duration_locked"
        return fields

    def get_readonly_fields(self, request, obj=None):
        # Scheduled showtimes' end times were computed from the duration.
        return ["duration_locked"] if self._scheduled(obj) else []

    @admin.display(description="Duration minutes")
    def duration_locked(self, obj):
        count = self._scheduled(obj)
        return format_html(
            '{}<br><span class="quiet">Locked: {} showtime{} {} scheduled with this duration, '
            "and their end times (and so the halls' schedules) were computed from it.</span>",
            obj.duration_minutes,
            count,
            "" if count == 1 else "s",
            "was" if count == 1 else "were",
        )


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


@admin.register(Hall)
class HallAdmin(ScheduledNotDeletableMixin, admin.ModelAdmin):
    list_display = ["name", "capacity"]
    search_fields = ["name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = HallChangeForm if obj is not None else HallAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "rows", "seats_per_row", "vip_rows", "accessible_seats"]
        return ["name", "capacity", "seat_map"]

    def get_readonly_fields(self, request, obj=None):
        return ["capacity", "seat_map"] if obj is not None else []

    @admin.display(description="Seats")
    def seat_map(self, obj):
        """The hall's layout as a grid, row A at the screen. Seats are fixed once the
        hall has showtimes (the layout can be replaced only through the API before)."""
        seats = [
            {"row": row, "number": number, "label": f"{row}{number}", "seat_type": seat_type}
            for row, number, seat_type in obj.seats.order_by("position").values_list(
                "row", "number", "seat_type"
            )
        ]
        return seat_grid_html(seats, caption=f"Seats of {obj.name}")

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in the form's clean()


# --- Showtimes ------------------------------------------------------------------------

_PRICE = {"max_digits": PRICE_DIGITS, "decimal_places": PLACES, "min_value": CENT}


class ShowtimeAdminForm(ServiceFormMixin, forms.ModelForm):
    price = forms.DecimalField(**_PRICE)
    vip_price = forms.DecimalField(
        **_PRICE,
        required=False,
        label="VIP price",
        help_text="The price of a VIP seat: the price if left empty, never below it.",
    )

    class Meta:
        model = Showtime
        fields = ["movie", "hall", "start_time", "price", "vip_price", "price_list"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "start_time" in self.fields:
            zone = timezone.get_current_timezone_name()
            self.fields["start_time"].help_text = f"The cinema's local time ({zone})."

    def run_service(self):
        data = self.cleaned_data
        if self.instance.pk is None:
            return services.showtime_create(
                movie=data["movie"],
                hall=data["hall"],
                start_time=data["start_time"],
                price=data["price"],
                vip_price=data.get("vip_price"),
                price_list=data.get("price_list"),
            )
        changes = {
            name: data[name]
            for name in ("movie", "hall", "start_time", "price", "price_list")
            if name in self.changed_data
        }
        if "vip_price" in self.changed_data and data.get("vip_price") is not None:
            changes["vip_price"] = data["vip_price"]
        return services.showtime_update(showtime=self.instance, **changes)

    def domain_error_message(self, exc: DomainError) -> str:
        if isinstance(exc, ShowtimeOverlap) and exc.extra.get("clash"):
            clash = exc.extra["clash"]
            start = dt.datetime.fromisoformat(clash["start_time"])
            end = dt.datetime.fromisoformat(clash["end_time"])
            hall = self.cleaned_data.get("hall") or self.instance.hall
            return format_html(
                '{} is busy then: <a href="{}">{} at {}</a> runs until {}, including the '
                "cleaning buffer.",
                hall,
                reverse("admin:cinema_showtime_change", args=[clash["id"]]),
                clash["movie"],
                formats.date_format(start, "D j M Y, H:i"),
                formats.date_format(end, "H:i"),
            )
        return super().domain_error_message(exc)


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
    """Upcoming showtimes by default (those not over yet, soonest first), a day of the
    coming week, the past (latest first) or all. Local days computed in Python: works
    whether or not the database knows the cinema's time zone."""

    title = "day"
    parameter_name = "day"
    DEFAULT = "upcoming"

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        days = [today + dt.timedelta(days=offset) for offset in range(7)]
        return [
            ("upcoming", "Upcoming"),
            *[(day.isoformat(), "Today" if day == today else f"{day:%a %d %b}") for day in days],
            ("past", "Past"),
            ("all", "All"),
        ]

    def value(self):
        return super().value() or self.DEFAULT

    def choices(self, changelist):
        # No "All" without a parameter: no parameter means the default, upcoming.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        now = timezone.now()
        if value == "all":
            return queryset
        if value == "upcoming":
            return queryset.filter(end_time__gt=now)
        if value == "past":
            return queryset.filter(end_time__lte=now)
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return queryset.none()
        if not day_in_range(day):
            return queryset.none()  # no showtime there (and no UTC equivalent at the ends)
        return selectors.showtimes_on(queryset, day)


@admin.action(description="Delete selected showtimes", permissions=["delete"])
def delete_selected_showtimes(modeladmin, request, queryset):
    """Django's delete action (with its confirmation page), refused with the reason when
    a selected showtime has reservations: they are kept for their tickets and history."""
    reserved = [show for show in queryset if ShowtimeAdmin.reservation_count(show)]
    if reserved:
        names = ", ".join(str(show) for show in reserved[:5])
        more = f" and {len(reserved) - 5} more" if len(reserved) > 5 else ""
        modeladmin.message_user(
            request,
            f"Nothing was deleted: {names}{more} "
            f"{'has' if len(reserved) == 1 else 'have'} reservations. A showtime with "
            "reservations (even cancelled ones) is kept for its tickets and its history.",
            messages.ERROR,
        )
        return None
    try:
        with transaction.atomic():
            return delete_selected(modeladmin, request, queryset)
    except DomainError as exc:  # a reservation arrived meanwhile
        modeladmin.message_user(request, str(exc.detail), messages.ERROR)
        return None


@admin.register(Showtime)
class ShowtimeAdmin(GuardedDeleteMixin, admin.ModelAdmin):
    """The schedule. The booking engine extends it with sales (bookings/admin.py)."""

    delete_action = staticmethod(delete_selected_showtimes)

    form = ShowtimeAdminForm
    list_display = ["movie", "hall", "starts", "ends", "prices"]
    list_filter = [ShowDayFilter, "hall", "movie"]
    search_fields = ["movie__title"]
    list_select_related = ["movie", "hall"]

    STARTED_NOTE = (
        "This showtime has started: it is kept as it was, with its sales. The seats sold "
        "keep the prices paid."
    )
    CANCELLED_NOTE = "The cinema cancelled this screening on {when}: {reason}"
    LOCKED_NOTE = (
        "This showtime has {count} reservation{s}: its movie, hall and start time can no "
        "longer change, because tickets were sold for them. Its prices can change; they "
        "apply to new bookings."
    )

    @property
    def date_hierarchy(self):
        return "start_time" if database_converts_time_zones() else None

    @staticmethod
    def reservation_count(obj) -> int:
        """Reservations of any status (a cancelled one still points at its seats)."""
        if obj is None or obj.pk is None:
            return 0
        if not hasattr(obj, "_reservation_count"):
            obj._reservation_count = obj.reservations.count()
        return obj._reservation_count

    # --- the list ---
    def get_ordering(self, request):
        # The past runs backwards from now; everything else forwards (soonest first).
        if request.GET.get(ShowDayFilter.parameter_name) == "past":
            return ["-start_time", "-id"]
        return ["start_time", "id"]

    @admin.display(description="starts", ordering="start_time")
    def starts(self, obj):
        return local_time(obj.start_time)

    @staticmethod
    def _clock(obj, moment) -> str:
        start, end = timezone.localtime(obj.start_time), timezone.localtime(moment)
        text = formats.date_format(end, "H:i")
        return f"{text} +1 day" if end.date() != start.date() else text

    @admin.display(description="ends", ordering="end_time")
    def ends(self, obj):
        """When the film ends (start + its duration): what staff and customers call the
        end. The hall is free again later, after the cleaning buffer (``hall_free``)."""
        return self._clock(obj, obj.film_end)

    @admin.display(description="film ends")
    def film_ends(self, obj):
        return self._clock(obj, obj.film_end)

    @admin.display(description="hall free again (after cleaning)")
    def hall_free(self, obj):
        return self._clock(obj, obj.end_time)

    @admin.display(description="price / VIP", ordering="price")
    def prices(self, obj):
        return f"{obj.price} / {obj.vip_price}"

    # --- the form ---
    def get_fields(self, request, obj=None):
        if obj is None:
            return ["movie", "hall", "start_time", "price", "vip_price", "price_list"]
        fields = [
            "movie",
            "hall",
            "start_time",
            "film_ends",
            "hall_free",
            "price",
            "vip_price",
            "price_list",
        ]
        # The read-only extras of the admins that extend this one (the seat map, who is
        # inside), on a saved showtime's page only.
        return [*fields, *(name for name in self.readonly_fields if name not in fields)]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        locked = ["movie", "hall", "start_time"] if self.reservation_count(obj) else []
        return [*locked, "film_ends", "hall_free", *self.readonly_fields]

    def get_fieldsets(self, request, obj=None):
        options = {"fields": self.get_fields(request, obj)}
        count = self.reservation_count(obj)
        if obj is not None and obj.cancelled_at is not None:
            options["description"] = self.CANCELLED_NOTE.format(
                when=local_time(obj.cancelled_at), reason=obj.cancel_reason
            )
        elif obj is not None and self.started(obj):
            options["description"] = self.STARTED_NOTE
        elif count:
            options["description"] = self.LOCKED_NOTE.format(
                count=count, s="" if count == 1 else "s"
            )
        return [(None, options)]

    @staticmethod
    def started(obj) -> bool:
        return obj.start_time <= timezone.now()

    def has_change_permission(self, request, obj=None):
        # A showtime that has started is history: no booking can follow, and the seats
        # sold keep the prices paid, so nothing about it can usefully change.
        # A cancelled screening too: it sells nothing and its customers were told.
        if obj is not None and (self.started(obj) or obj.cancelled_at is not None):
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        pass  # saved by the service in the form's clean()

    # The permission and the page of the booking engine's reservation admin, named by
    # strings: the schedule links its guest list without importing what sits above it.
    GUEST_LIST_PERMISSION = "bookings.view_reservation"
    GUEST_LIST_URL = "admin:bookings_reservation_changelist"

    def guest_list_url(self, request, obj) -> str | None:
        """The showtime's guest list (its reservations with seats, paid, checked in), for
        staff who look bookings up; None for the others or before it is saved."""
        if obj is None or obj.pk is None or not request.user.has_perm(self.GUEST_LIST_PERMISSION):
            return None
        try:
            changelist = reverse(self.GUEST_LIST_URL, current_app=self.admin_site.name)
        except NoReverseMatch:  # the reservations' admin is not installed
            return None
        return f"{changelist}?showtime__id__exact={obj.pk}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["guest_list_url"] = self.guest_list_url(
            request, self.get_object(request, object_id)
        )
        return super().change_view(request, object_id, form_url, extra_context)

    # --- deleting ---
    def has_delete_permission(self, request, obj=None):
        # No "Delete" button on a showtime with reservations; its page says why.
        if self.reservation_count(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and self.reservation_count(obj):
            self.message_user(
                request,
                f"{obj} cannot be deleted: it has reservations (even cancelled ones are "
                "kept with their tickets and history).",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:cinema_showtime_change", args=[obj.pk]))
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:  # a reservation arrived meanwhile
            self.message_user(request, str(exc.detail), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:cinema_showtime_changelist"))

    def delete_model(self, request, obj):
        services.showtime_delete(showtime=obj)

    def delete_queryset(self, request, queryset):
        for showtime in queryset.order_by("pk"):
            services.showtime_delete(showtime=showtime)


# --- Price lists ----------------------------------------------------------------------
# A list and its ticket types are written together by cinema.services (the API's
# rules): the inline formset checks them (``check_ticket_types``) and the admin's
# ``save_related`` hands them to ``price_list_create`` / ``price_list_update``.


def _price_field(seat_type: str) -> str:
    return f"price_{seat_type.lower()}"


def _seat_price(seat_type: str) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=PRICE_DIGITS,
        decimal_places=PLACES,
        min_value=0,
        required=False,
        label=f"{SeatType(seat_type).label} price",
    )


class TicketTypeInlineForm(forms.ModelForm):
    """A ticket type with its price per seat type as fields of its row; an empty price
    sells that seat type at the showtime's own price."""

    price_standard = _seat_price(SeatType.STANDARD)
    price_vip = _seat_price(SeatType.VIP)
    price_accessible = _seat_price(SeatType.ACCESSIBLE)

    class Meta:
        model = TicketType
        fields = ["code", "name", "max_age"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for price in self.instance.prices.all():
                self.initial[_price_field(price.seat_type)] = price.amount

    def spec(self) -> services.TicketTypeSpec:
        data = self.cleaned_data
        prices = {
            seat_type: data[_price_field(seat_type)]
            for seat_type in SeatType.values
            if data.get(_price_field(seat_type)) is not None
        }
        return services.TicketTypeSpec(data["code"], data["name"], data.get("max_age"), prices)


class TicketTypeFormSet(forms.BaseInlineFormSet):
    def kept_forms(self):
        return [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk is not None
            if not self._should_delete_form(form)
        ]

    def specs(self) -> list[services.TicketTypeSpec]:
        return [form.spec() for form in self.kept_forms()]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        try:
            services.check_ticket_types(self.specs())
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["ticket_types"]) from exc


class TicketTypeInline(admin.TabularInline):
    model = TicketType
    form = TicketTypeInlineForm
    formset = TicketTypeFormSet
    extra = 1
    verbose_name = "ticket type"
    verbose_name_plural = (
        f'Ticket types (the base type "{ADULT}" takes no prices: it sells at each '
        "showtime's own; an empty price sells that seat type at the showtime's own too)"
    )

    def get_extra(self, request, obj=None, **kwargs):
        # A new list: its base type (filled in) and a row for another type.
        return 2 if obj is None else 1

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices")


class PriceListAdminForm(forms.ModelForm):
    class Meta:
        model = PriceList
        fields = ["name", "is_default"]
        labels = {"is_default": "Default list"}
        help_texts = {
            "is_default": "Showtimes without a price list sell the default one; making this "
            "list the default un-makes the previous one."
        }

    def clean_name(self):
        try:
            return services.check_price_list_name(
                self.cleaned_data["name"], exclude_pk=self.instance.pk
            )
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["name"]) from exc

    def clean_is_default(self):
        value = self.cleaned_data["is_default"]
        if self.instance.is_default and not value:
            raise ValidationError(
                "There is always one default list: make another list the default."
            )
        return value


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    form = PriceListAdminForm
    inlines = [TicketTypeInline]
    list_display = ["name", "is_default", "ticket_type_names", "showtime_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("ticket_types")

    @admin.display(description="ticket types")
    def ticket_type_names(self, obj):
        return ", ".join(kind.name for kind in obj.ticket_types.all())

    @admin.display(description="showtimes")
    def showtime_count(self, obj):
        return obj.showtimes.count()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if obj.pk is None and request.method == "GET":
            # A new list starts with its base type.
            kwargs["initial"] = [{"code": ADULT, "name": "Adult"}]
        return kwargs

    def save_model(self, request, obj, form, change):
        pass  # saved with its ticket types by the service (save_related)

    def save_related(self, request, form, formsets, change):
        specs = next(fs for fs in formsets if isinstance(fs, TicketTypeFormSet)).specs()
        data = form.cleaned_data
        if change:
            saved = services.price_list_update(
                price_list=form.instance,
                name=data["name"],
                ticket_types=specs,
                is_default=data["is_default"],
            )
        else:
            saved = services.price_list_create(
                name=data["name"], ticket_types=specs, is_default=data["is_default"]
            )
        form.instance.pk = saved.pk
        for formset in formsets:  # the change message lists no rows: the service wrote them
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    # --- deleting: not the default list, nor one that showtimes sell ---
    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.is_default or obj.showtimes.exists()):
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        services.price_list_delete(price_list=obj)
