import django_filters
from django.contrib.contenttypes.models import ContentType
from django.forms.utils import ErrorDict
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from audit import selectors
from audit.models import Action, AuditEntry
from audit.permissions import MayReadAuditTrail
from audit.serializers import AuditEntrySerializer
from core.days import DAY_OUT_OF_RANGE, day_in_range, local_day_range
from core.filters import NoEmptyValuesFilterSet

# The query names the client sends, and the filter's own (``from`` is a keyword).
_RENAMED = {
    "from": "date_from",
    "to": "date_to",
    "object_type": "object_type_",
    "object_id": "object_id_",
}


class AuditEntryFilter(NoEmptyValuesFilterSet):
    action = django_filters.MultipleChoiceFilter(choices=Action.choices)
    actor = django_filters.CharFilter(method="filter_actor", label="Actor's id or username.")
    object_type_ = django_filters.CharFilter(method="filter_object_type")
    object_id_ = django_filters.CharFilter(field_name="object_id", max_length=64)
    date_from = django_filters.DateFilter(method="filter_from")
    date_to = django_filters.DateFilter(method="filter_to")

    class Meta:
        model = AuditEntry
        fields = ["action"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = data.copy()
            for name, field in _RENAMED.items():
                if name in data:
                    data[field] = data.pop(name)[-1]
        super().__init__(data, *args, **kwargs)

    @property
    def errors(self):
        # Errors name the parameters the client sent.
        back = {field: name for name, field in _RENAMED.items()}
        errors = super().errors
        return ErrorDict(
            {back.get(name, name): error for name, error in errors.items()},
            renderer=errors.renderer,
        )

    def filter_actor(self, queryset, name, value):
        if value.isdigit():
            return queryset.filter(actor_id=int(value))
        if value.lower() == "system":
            return queryset.filter(actor_id__isnull=True)
        return queryset.filter(actor_username=value)

    def filter_object_type(self, queryset, name, value):
        app_label, _, model = value.lower().partition(".")
        content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
        if content_type is None:
            raise ValidationError(
                {"object_type": ["Give a type as <app>.<model>, e.g. bookings.reservation."]}
            )
        return queryset.filter(content_type=content_type)

    @staticmethod
    def _day(value, name: str):
        if not day_in_range(value):
            raise ValidationError({name: [DAY_OUT_OF_RANGE]})
        return local_day_range(value)

    def filter_from(self, queryset, name, value):
        return queryset.filter(at__gte=self._day(value, "from")[0])

    def filter_to(self, queryset, name, value):
        return queryset.filter(at__lt=self._day(value, "to")[1])


@extend_schema_view(
    list=extend_schema(
        tags=["audit"],
        summary="The audit trail of staff actions (ADMIN)",
        description=(
            "Every staff action on money, seats, tickets, the schedule and roles, newest "
            "first: who (null: the system), when, what, on which object, from which "
            "address, and the changed fields before and after. Append-only. Filter by "
            "`action` (repeatable), `actor` (id, username, or `system`), `object_type` "
            "(`<app>.<model>`) with `object_id`, and the days `from`..`to` (inclusive, "
            "in the cinema's time zone)."
        ),
        parameters=[
            OpenApiParameter("actor", OpenApiTypes.STR, description="Id, username or `system`."),
            OpenApiParameter(
                "object_type",
                OpenApiTypes.STR,
                description="`<app>.<model>`, e.g. `bookings.reservation`.",
            ),
            OpenApiParameter("object_id", OpenApiTypes.STR, description="The object's id."),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="On or after this day (TIME_ZONE)."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="On or before this day (TIME_ZONE)."
            ),
            OpenApiParameter("object_type_", exclude=True),
            OpenApiParameter("object_id_", exclude=True),
            OpenApiParameter("date_from", exclude=True),
            OpenApiParameter("date_to", exclude=True),
        ],
        responses={200: AuditEntrySerializer(many=True)},
    ),
)
class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEntrySerializer
    permission_classes = [MayReadAuditTrail]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEntryFilter
    queryset = AuditEntry.objects.none()  # for schema introspection; see get_queryset

    def get_queryset(self):
        return selectors.entry_list()
