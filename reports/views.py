from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.selectors import stats_report
from reports.serializers import StatsQuerySerializer, StatsSerializer
from users.permissions import IsAdminRole


class StatsView(APIView):
    """Revenue, tickets and occupancy for staff."""

    permission_classes = [IsAdminRole]

    @extend_schema(
        tags=["reports"],
        summary="Revenue, tickets sold and occupancy (ADMIN)",
        description=(
            "Figures for the showtimes that start on the days `from`..`to` (inclusive, "
            "days in the cinema's time zone; default: the last 30 days through the next "
            "7; at most 366 days): in total, per movie, per showtime and per day. Revenue "
            "is the price paid for the seats of confirmed reservations; occupancy is "
            "tickets sold / capacity of the showtimes."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
            OpenApiParameter("movie", OpenApiTypes.INT, description="Only this movie's id."),
            OpenApiParameter("hall", OpenApiTypes.INT, description="Only this hall's id."),
        ],
        responses={200: StatsSerializer},
    )
    def get(self, request):
        # A plain dict, so an empty ``?to=`` is an invalid date rather than "not given".
        query = StatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        report = stats_report(
            date_from=params.get("from"),
            date_to=params.get("to"),
            movie_id=params.get("movie"),
            hall_id=params.get("hall"),
        )
        return Response(StatsSerializer(report.as_dict()).data)
