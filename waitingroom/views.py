"""The waiting room's API: join a showtime's queue, ask where you are."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.limits import MAX_ID
from core.schema import domain_errors
from waitingroom import services
from waitingroom.exceptions import NotQueued, QueueClosed, QueueTokenInvalid, QueueUnavailable
from waitingroom.serializers import QueuePlaceSerializer

_HOW = (
    "A showtime with a waiting room sells online only to holders of a pass. Join with "
    "POST: the answer is your place (`position`, `ahead`, `estimated_wait_seconds`) and "
    "a `token`; ask again with GET `?token=` after `poll_after` seconds. Everyone who "
    "joins before the queue opens is put in random order (arriving early, or asking "
    "often, gains nothing); later arrivals queue first come, first served. One place per "
    "account. From the opening the queue admits `admit_per_minute` people a minute; "
    "once admitted the answer carries a `pass`, good for this user and showtime until "
    "`pass_expires_at`: send it as the `Queue-Pass` header of POST /api/reservations/."
)

TOKEN_PARAMETER = OpenApiParameter(
    "token", str, OpenApiParameter.QUERY, required=True, description="From the POST."
)


def _data(answer: services.QueueAnswer) -> dict:
    return QueuePlaceSerializer(answer).data


@extend_schema_view(
    post=extend_schema(
        tags=["showtimes"],
        summary="Join a showtime's waiting room",
        description=_HOW + "\n\nJoining again returns the same place (a new token for "
        "it); after your pass expired, a new place at the back. A showtime without a "
        "waiting room is 409 `not_queued`; a closed one (sold out) 409 `queue_closed`; "
        "Redis down 503 `queue_unavailable` with Retry-After.",
        request=None,
        responses={
            200: QueuePlaceSerializer,
            **domain_errors(NotQueued, QueueClosed, QueueUnavailable),
        },
    ),
    get=extend_schema(
        tags=["showtimes"],
        summary="Your place in a showtime's waiting room",
        description=_HOW + "\n\nA token that is forged, another user's or another "
        "showtime's, or names no place, is 400 `queue_token_invalid`.",
        parameters=[TOKEN_PARAMETER],
        responses={
            200: QueuePlaceSerializer,
            **domain_errors(QueueTokenInvalid, NotQueued, QueueClosed, QueueUnavailable),
        },
    ),
)
class ShowtimeQueueView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request, showtime_id: int):
        if not 0 < showtime_id <= MAX_ID:
            raise NotQueued()
        return Response(_data(services.queue_join(user=request.user, showtime_id=showtime_id)))

    def get(self, request, showtime_id: int):
        if not 0 < showtime_id <= MAX_ID:
            raise NotQueued()
        answer = services.queue_status(
            user=request.user, showtime_id=showtime_id, token=request.query_params.get("token", "")
        )
        return Response(_data(answer))
