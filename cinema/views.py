from django.db import DEFAULT_DB_ALIAS
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from cinema import selectors, services
from cinema.exceptions import (
    HallInUse,
    HallLayoutLocked,
    MovieDurationLocked,
    MovieInUse,
    PriceListInUse,
    PriceListIsDefault,
    ShowtimeHasReservations,
    ShowtimeInUse,
    ShowtimeOverlap,
)
from cinema.filters import MovieFilter, ShowtimeFilter, schedule_day
from cinema.queries import SHOWTIME_LIST_COLUMNS
from cinema.serializers import (
    MOVIE_LIST_COLUMNS,
    HallCreateSerializer,
    HallDetailSerializer,
    HallSerializer,
    HallUpdateSerializer,
    MovieSerializer,
    MovieWriteSerializer,
    PriceListSerializer,
    PriceListWriteSerializer,
    ShowtimeCreateSerializer,
    ShowtimeSerializer,
    ShowtimeUpdateSerializer,
    movie_list_data,
    showtime_list_data,
)
from core.conditional import cache_headers, etag_of_data, not_modified
from core.schema import NOT_MODIFIED, POLL_PARAMETERS, domain_errors
from users.authentication import PublicReadsMixin
from users.permissions import IsAdminOrReadOnly

_DELETED = OpenApiResponse(description="Deleted.")
_PLAIN_PAGE_PARAMS = frozenset({"page", "page_size"})
_PLAIN_SCHEDULE_PARAMS = frozenset({"date", "page", "page_size"})

# --- Movies ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        tags=["movies"],
        auth=[],
        summary="List movies",
        description="Search title and description with `?search=`, filter by `?genre=`, "
        "sort with `?ordering=title|-title|release_date|-release_date`.",
        responses={200: MovieSerializer(many=True)},
    ),
    retrieve=extend_schema(
        tags=["movies"],
        auth=[],
        summary="One movie",
        responses={200: MovieSerializer},
    ),
    create=extend_schema(
        tags=["movies"],
        summary="Add a movie (ADMIN)",
        description="`release_date` and `genre` are required: the catalogue sorts by the "
        "one and filters by the other, and a movie without them would drop out of every "
        "client's filter.",
        request=MovieWriteSerializer,
        responses={201: MovieSerializer},
    ),
    update=extend_schema(
        tags=["movies"],
        summary="Replace a movie (ADMIN)",
        description="The duration cannot change once the movie has showtimes (409).",
        request=MovieWriteSerializer,
        responses={200: MovieSerializer, **domain_errors(MovieDurationLocked)},
    ),
    partial_update=extend_schema(
        tags=["movies"],
        summary="Change a movie (ADMIN)",
        description="The duration cannot change once the movie has showtimes (409).",
        request=MovieWriteSerializer,
        responses={200: MovieSerializer, **domain_errors(MovieDurationLocked)},
    ),
    destroy=extend_schema(
        tags=["movies"],
        summary="Delete a movie (ADMIN)",
        description="Refused with 409 `protected` while the movie has any showtime.",
        responses={204: _DELETED, **domain_errors(MovieInUse)},
    ),
)
class MovieViewSet(PublicReadsMixin, viewsets.ModelViewSet):
    queryset = selectors.movie_list()
    serializer_class = MovieSerializer
    permission_classes = [IsAdminOrReadOnly]
    filterset_class = MovieFilter
    search_fields = ["title", "description"]
    ordering_fields = ["title", "release_date"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return MovieWriteSerializer
        return MovieSerializer

    def filter_queryset(self, queryset):
        # Without any of its parameters the FilterSet filters nothing, but building and
        # validating its form costs a tenth of the list (docs/performance.md): skip it.
        params = self.request.query_params
        skip = None
        if not any(name in params for name in MovieFilter.base_filters):
            skip = DjangoFilterBackend
        for backend in self.filter_backends:
            if backend is not skip:
                queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def list(self, request, *args, **kwargs):
        # Rows straight into MovieSerializer's shape: no model or serializer per row.
        if _PLAIN_PAGE_PARAMS.issuperset(request.query_params):
            # No search, filter or ordering: the whole catalogue, one prepared query.
            page = self.paginate_queryset(selectors.MovieCatalogue())
            return self.get_paginated_response(movie_list_data(page))
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values_list(*MOVIE_LIST_COLUMNS))
        return self.get_paginated_response(movie_list_data(page))

    def create(self, request, *args, **kwargs):
        serializer = MovieWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_create(**serializer.validated_data)
        return Response(MovieSerializer(movie).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        movie = self.get_object()
        serializer = MovieWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        movie = services.movie_update(movie=movie, **serializer.validated_data)
        return Response(MovieSerializer(movie).data)

    def destroy(self, request, *args, **kwargs):
        services.movie_delete(movie=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _showtimes(self, request):
        movie = self.get_object()
        showtimes = selectors.movie_upcoming_showtimes(movie=movie)
        page = self.paginate_queryset(showtimes.values_list(*SHOWTIME_LIST_COLUMNS))
        return self.get_paginated_response(showtime_list_data(page))

    @extend_schema(
        tags=["movies"],
        auth=[],
        summary="Upcoming showtimes of a movie",
        responses={200: ShowtimeSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def showtimes(self, request, pk=None):
        return self._showtimes(request)

    @extend_schema(
        tags=["compatibility"],
        auth=[],
        summary="Upcoming showtimes of a movie (alias of /movies/{id}/showtimes/)",
        responses={200: ShowtimeSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def shows(self, request, pk=None):
        return self._showtimes(request)


# --- Halls ----------------------------------------------------------------------------

_HALL_EXAMPLE = OpenApiExample(
    "A 10 x 12 hall with two VIP back rows",
    value={
        "name": "Studio 2",
        "rows": 10,
        "seats_per_row": 12,
        "vip_rows": ["I", "J"],
        "accessible_seats": ["A1", "A2"],
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        tags=["halls"],
        auth=[],
        summary="List halls with their capacity",
        responses={200: HallSerializer(many=True)},
    ),
    retrieve=extend_schema(
        tags=["halls"],
        auth=[],
        summary="One hall with its seat layout",
        responses={200: HallDetailSerializer},
    ),
    create=extend_schema(
        tags=["halls"],
        summary="Create a hall from a layout (ADMIN)",
        description="Rows are lettered A, B, ... Z, AA, AB ... from the screen; seats are "
        "numbered from 1. All seats are created in one transaction.",
        request=HallCreateSerializer,
        responses={201: HallDetailSerializer},
        examples=[_HALL_EXAMPLE],
    ),
    partial_update=extend_schema(
        tags=["halls"],
        summary="Rename a hall or replace its layout (ADMIN)",
        description="A new layout (rows and seats_per_row, optionally vip_rows and "
        "accessible_seats) is refused with 409 `layout_locked` once the hall has showtimes.",
        request=HallUpdateSerializer,
        responses={200: HallDetailSerializer, **domain_errors(HallLayoutLocked)},
    ),
    destroy=extend_schema(
        tags=["halls"],
        summary="Delete a hall (ADMIN)",
        description="Refused with 409 `protected` while the hall has showtimes.",
        responses={204: _DELETED, **domain_errors(HallInUse)},
    ),
)
class HallViewSet(
    PublicReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAdminOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = []

    def get_queryset(self):
        if self.action == "list":
            return selectors.hall_list()
        return selectors.hall_detail_queryset()

    def get_serializer_class(self):
        return {
            "list": HallSerializer,
            "create": HallCreateSerializer,
            "partial_update": HallUpdateSerializer,
        }.get(self.action, HallDetailSerializer)

    def _detail(self, hall, status_code=status.HTTP_200_OK):
        # From the primary: a replica may not have the row just written yet.
        hall = selectors.hall_detail_queryset().using(DEFAULT_DB_ALIAS).get(pk=hall.pk)
        return Response(HallDetailSerializer(hall).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = HallCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hall = services.hall_create(**serializer.validated_data)
        return self._detail(hall, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        hall = self.get_object()
        serializer = HallUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        layout = None
        if "rows" in data:
            layout = services.Layout(
                rows=data["rows"],
                seats_per_row=data["seats_per_row"],
                vip_rows=tuple(data.get("vip_rows", ())),
                accessible_seats=tuple(data.get("accessible_seats", ())),
            )
        hall = services.hall_update(hall=hall, name=data.get("name"), layout=layout)
        return self._detail(hall)

    def destroy(self, request, *args, **kwargs):
        services.hall_delete(hall=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Showtimes ------------------------------------------------------------------------

_SHOWTIME_EXAMPLE = OpenApiExample(
    "An evening show",
    value={
        "movie": 1,
        "hall": 1,
        "start_time": "2030-05-01T20:00:00+02:00",
        "price": "11.50",
        "vip_price": "16.00",
    },
    request_only=True,
)
_OVERLAP_EXAMPLE = OpenApiExample(
    "Overlap",
    value={
        "detail": "Hall 1 is busy then: showtime 7 (Dune) runs from 2030-05-01 19:00 to "
        "21:50 including the 15-minute cleaning buffer.",
        "code": "showtime_overlap",
        "clash": {
            "id": 7,
            "movie": "Dune",
            "start_time": "2030-05-01T19:00:00+02:00",
            "end_time": "2030-05-01T21:50:00+02:00",
        },
    },
    response_only=True,
    status_codes=["400"],
)


@extend_schema_view(
    list=extend_schema(
        tags=["showtimes"],
        auth=[],
        summary="The schedule",
        description="Upcoming showtimes by default; `?date=YYYY-MM-DD` gives every "
        "showtime of that day in the cinema's time zone. Filter with `?movie=` and `?hall=`.",
        parameters=[
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                description="A day in the cinema's time zone (TIME_ZONE).",
            )
        ],
        responses={200: ShowtimeSerializer(many=True)},
    ),
    retrieve=extend_schema(
        tags=["showtimes"],
        auth=[],
        summary="One showtime",
        description="With `available_seats`. Poll it like the seat map: its `ETag` "
        "changes exactly when what it shows does, and `If-None-Match` answers 304.",
        parameters=POLL_PARAMETERS,
        responses={200: ShowtimeSerializer, 304: NOT_MODIFIED},
    ),
    create=extend_schema(
        tags=["showtimes"],
        summary="Schedule a showtime (ADMIN)",
        description="The end is start + duration + the cleaning buffer. A start in the "
        "past, a time without offset or an overlap with another showtime of the hall is "
        "400 (`showtime_overlap` names the clashing showtime). `vip_price` defaults to "
        "`price`.",
        request=ShowtimeCreateSerializer,
        responses={201: ShowtimeSerializer, **domain_errors(ShowtimeOverlap)},
        examples=[_SHOWTIME_EXAMPLE, _OVERLAP_EXAMPLE],
    ),
    partial_update=extend_schema(
        tags=["showtimes"],
        summary="Change a showtime (ADMIN)",
        description="Once a showtime has reservations only its prices may change "
        "(409 `showtime_has_reservations`).",
        request=ShowtimeUpdateSerializer,
        responses={
            200: ShowtimeSerializer,
            **domain_errors(ShowtimeOverlap, ShowtimeHasReservations),
        },
        examples=[_OVERLAP_EXAMPLE],
    ),
    destroy=extend_schema(
        tags=["showtimes"],
        summary="Delete a showtime (ADMIN)",
        description="Refused with 409 `protected` once the showtime has reservations.",
        responses={204: _DELETED, **domain_errors(ShowtimeInUse)},
    ),
)
class ShowtimeViewSet(
    PublicReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAdminOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_class = ShowtimeFilter
    filter_backends = [
        backend
        for backend in viewsets.GenericViewSet.filter_backends
        if not issubclass(backend, SearchFilter | OrderingFilter)
    ]

    def get_queryset(self):
        upcoming_only = self.action == "list" and "date" not in self.request.query_params
        return selectors.showtime_list(
            upcoming_only=upcoming_only, listed_only=self.action == "list"
        )

    def get_serializer_class(self):
        return {
            "create": ShowtimeCreateSerializer,
            "partial_update": ShowtimeUpdateSerializer,
        }.get(self.action, ShowtimeSerializer)

    def list(self, request, *args, **kwargs):
        # Rows straight into ShowtimeSerializer's shape: no models or serializers per row.
        if _PLAIN_SCHEDULE_PARAMS.issuperset(request.query_params):
            # A day's schedule (or the upcoming one) without other filters: one prepared
            # query per page (docs/performance.md).
            schedule = selectors.ShowtimeSchedule(day=schedule_day(request))
            page = self.paginate_queryset(schedule)
            return self.get_paginated_response(showtime_list_data(page))
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values_list(*SHOWTIME_LIST_COLUMNS))
        return self.get_paginated_response(showtime_list_data(page))

    def retrieve(self, request, *args, **kwargs):
        data = ShowtimeSerializer(self.get_object()).data
        etag = etag_of_data(data)
        return not_modified(request, etag) or Response(data, headers=cache_headers(etag))

    def _detail(self, showtime, status_code=status.HTTP_200_OK):
        # From the primary: a replica may not have the row just written yet.
        showtime = selectors.showtime_list().using(DEFAULT_DB_ALIAS).get(pk=showtime.pk)
        return Response(ShowtimeSerializer(showtime).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = ShowtimeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        showtime = services.showtime_create(**serializer.validated_data)
        return self._detail(showtime, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        showtime = self.get_object()
        serializer = ShowtimeUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        showtime = services.showtime_update(showtime=showtime, **serializer.validated_data)
        return self._detail(showtime)

    def destroy(self, request, *args, **kwargs):
        services.showtime_delete(showtime=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Price lists ----------------------------------------------------------------------

_PRICE_LIST_EXAMPLE = OpenApiExample(
    "Matinee prices with a child ticket",
    value={
        "name": "Matinee",
        "ticket_types": [
            {"code": "adult", "name": "Adult"},
            {
                "code": "child",
                "name": "Child",
                "max_age": 12,
                "prices": {"STANDARD": "7.50", "VIP": "11.00"},
            },
        ],
    },
    request_only=True,
)


def _ticket_type_specs(data: dict) -> dict:
    """The write serializer's data as the service's arguments."""
    if "ticket_types" in data:
        data = {
            **data,
            "ticket_types": [services.TicketTypeSpec(**kind) for kind in data["ticket_types"]],
        }
    return data


@extend_schema_view(
    list=extend_schema(
        tags=["prices"],
        auth=[],
        summary="Price lists with their ticket types",
        description="The default list first. A ticket type's `prices` are per seat type; "
        "a seat type it leaves out (and every seat of the base type `adult`) sells at the "
        "showtime's own `price` / `vip_price`.",
        responses={200: PriceListSerializer(many=True)},
    ),
    retrieve=extend_schema(
        tags=["prices"],
        auth=[],
        summary="One price list",
        responses={200: PriceListSerializer},
    ),
    create=extend_schema(
        tags=["prices"],
        summary="Add a price list (ADMIN)",
        description="With all its ticket types: the base type `adult` always, without "
        "prices; codes unique in the list.",
        request=PriceListWriteSerializer,
        responses={201: PriceListSerializer},
        examples=[_PRICE_LIST_EXAMPLE],
    ),
    partial_update=extend_schema(
        tags=["prices"],
        summary="Change a price list (ADMIN)",
        description="`ticket_types`, when given, replaces all of the list's types. "
        "`is_default: true` makes it the default (the previous one stops being it); the "
        "default cannot be un-made by itself. New prices apply to new bookings.",
        request=PriceListWriteSerializer,
        responses={200: PriceListSerializer},
    ),
    destroy=extend_schema(
        tags=["prices"],
        summary="Delete a price list (ADMIN)",
        description="Refused with 409 `protected` for the default list and while a "
        "showtime sells it.",
        responses={204: _DELETED, **domain_errors(PriceListInUse, PriceListIsDefault)},
    ),
)
class PriceListViewSet(
    PublicReadsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsAdminOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filter_backends = []
    queryset = selectors.price_list_list()

    def get_serializer_class(self):
        if self.action in ("create", "partial_update"):
            return PriceListWriteSerializer
        return PriceListSerializer

    def _detail(self, price_list, status_code=status.HTTP_200_OK):
        # From the primary: a replica may not have the rows just written yet.
        price_list = selectors.price_list_list().using(DEFAULT_DB_ALIAS).get(pk=price_list.pk)
        return Response(PriceListSerializer(price_list).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = PriceListWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        price_list = services.price_list_create(**_ticket_type_specs(serializer.validated_data))
        return self._detail(price_list, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        price_list = self.get_object()
        serializer = PriceListWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        price_list = services.price_list_update(
            price_list=price_list, **_ticket_type_specs(serializer.validated_data)
        )
        return self._detail(price_list)

    def destroy(self, request, *args, **kwargs):
        services.price_list_delete(price_list=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
