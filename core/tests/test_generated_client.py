"""A real client in CI: a Python client generated from the live schema with
openapi-python-client (pinned in requirements-dev.txt) drives the customer's and the
admin's journey through its typed functions only, against the live server, and every
error arrives as its typed model with its ``code``.

The client is generated into a temporary directory on each run (never committed),
without the generator's post hooks (they would run ruff, and nothing here may need the
network). The test fails if the generator warns.
"""

import datetime as dt
import importlib
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from pricing.models import DiscountKind
from pricing.services import forget_ticket_types
from pricing.tests.factories import VoucherFactory, family_prices
from users.models import Role, User
from users.tests.factories import DEFAULT_PASSWORD, AdminFactory

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "marquee_generated_client"
# No post hooks (they run ruff); the tickets' QR images are binary files to the client
# (openapi-python-client reads only JSON, text and octet-stream bodies by itself).
CONFIG = f"""\
post_hooks: []
project_name_override: marquee-generated-client
package_name_override: {PACKAGE}
content_type_overrides:
  image/png: application/octet-stream
  image/svg+xml: application/octet-stream
  application/pdf: application/octet-stream
"""

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def generated(live_server, tmp_path, monkeypatch):
    """The generated package, imported: ``generated.api``, ``generated.models``..."""
    schema = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=30)
    assert schema.status_code == 200
    (tmp_path / "schema.json").write_bytes(schema.content)
    (tmp_path / "config.yaml").write_text(CONFIG)
    result = subprocess.run(  # noqa: S603 - the venv's own generator, fixed arguments
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--config",
            str(tmp_path / "config.yaml"),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # What the generator said, without the paths it names (a path may contain anything).
    output = (result.stdout + result.stderr).replace(str(tmp_path), "<tmp>")
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    assert "error" not in output.lower(), output
    assert (tmp_path / PACKAGE / "api").is_dir(), output
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]
    return importlib.import_module(PACKAGE)


def _op(generated, operation: str):
    """The generated module of an operation (by its operationId), whatever tag it is
    filed under."""
    api = Path(generated.__file__).parent / "api"
    (found,) = api.glob(f"*/{operation}.py")
    return importlib.import_module(f"{generated.__name__}.api.{found.parent.name}.{operation}")


@dataclass
class _Api:
    """The generated client as the steps below use it: its models, an anonymous client,
    and each operation's module by its operationId."""

    generated: object
    live_server: object

    def __post_init__(self):
        self.m = importlib.import_module(f"{self.generated.__name__}.models")
        self.clients = importlib.import_module(f"{self.generated.__name__}.client")
        self.anonymous = self.clients.Client(
            base_url=self.live_server.url, raise_on_unexpected_status=True
        )

    def op(self, operation):
        return _op(self.generated, operation)

    def signed_in(self, username, password):
        login = self.op("auth_login_create").sync_detailed(
            client=self.anonymous,
            body=self.m.TokenObtainPairRequest(username=username, password=password),
        )
        assert login.status_code == 200, login.content
        return self.clients.AuthenticatedClient(
            base_url=self.live_server.url,
            token=login.parsed.access,
            raise_on_unexpected_status=True,
        )


def test_generated_client_drives_the_journeys(generated, live_server):
    api = _Api(generated, live_server)
    # What the cinema has: a movie with a showtime tomorrow in a 3 x 4 hall.
    start = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    show = ShowtimeFactory(
        movie=MovieFactory(title="Dune: Part Two"), hall=HallFactory(), start_time=start
    )
    admin = AdminFactory()

    june = _customer_registers_and_browses(api, show)
    seats = _customer_reads_the_seat_map(api, june, show)
    hold, ticket = _customer_books_cancels_and_rebooks(api, june, show, seats)
    _a_family_books_with_a_voucher(api, june, show, seats)
    boss = api.signed_in(admin.username, DEFAULT_PASSWORD)
    scheduled, same_slot = _admin_schedules_and_reports(api, boss, start)
    _booking_errors_arrive_typed(api, boss, june, show, seats, hold)
    _other_errors_arrive_typed(api, boss, admin, show, (scheduled, same_slot), ticket)


def _customer_registers_and_browses(api, show):
    m = api.m
    registered = api.op("auth_register_create").sync_detailed(
        client=api.anonymous,
        body=m.UserRegisterRequest(
            username="june", email="june@example.com", password="correct-horse-battery"
        ),
    )
    assert registered.status_code == 201
    assert registered.parsed.role == m.RoleEnum.CUSTOMER
    june = api.signed_in("june", "correct-horse-battery")

    movies = api.op("movies_list").sync(client=api.anonymous)
    assert show.movie.pk in [movie.id for movie in movies.results]
    found = api.op("movies_list").sync(
        client=api.anonymous, search="Dune", ordering=m.MoviesListOrdering.TITLE_DESC
    )
    assert [movie.title for movie in found.results] == ["Dune: Part Two"]
    assert isinstance(found.results[0].age_rating, m.AgeRatingEnum)
    showtimes = api.op("movies_showtimes_list").sync(show.movie.pk, client=api.anonymous)
    assert [s.id for s in showtimes.results] == [show.pk]
    schedule = api.op("showtimes_list").sync(
        client=api.anonymous, date=timezone.localtime(show.start_time).date()
    )
    assert show.pk in [s.id for s in schedule.results]
    return june


def _customer_reads_the_seat_map(api, june, show):
    seat_map_op = api.op("showtimes_seats_retrieve")
    seat_map = seat_map_op.sync_detailed(show.pk, client=june)
    assert seat_map.status_code == 200
    seats = {seat.label: seat for seat in seat_map.parsed.seats}
    assert seats["A1"].status == api.m.SeatStatusEnum.AVAILABLE
    assert isinstance(seats["A1"].seat_type, api.m.SeatTypeEnum)
    unchanged = seat_map_op.sync_detailed(
        show.pk, client=june, if_none_match=seat_map.headers["ETag"]
    )
    assert unchanged.status_code == 304
    return seats


def _customer_books_cancels_and_rebooks(api, june, show, seats):
    m = api.m
    create = api.op("reservations_create")
    hold = create.sync(
        client=june,
        body=m.ReservationCreateRequest(
            showtime=show.pk, seats=[seats["A1"].id, seats["A2"].id], hold=True
        ),
    )
    assert hold.status == m.ReservationStatusEnum.HELD
    assert hold.expires_at is not None
    confirmed = api.op("reservations_confirm_create").sync(hold.id, client=june)
    assert confirmed.status == m.ReservationStatusEnum.CONFIRMED
    mine = api.op("reservations_list").sync(client=june)
    assert [r.id for r in mine.results] == [hold.id]
    cancelled = api.op("reservations_destroy").sync(hold.id, client=june)
    assert cancelled.status == m.ReservationStatusEnum.CANCELLED
    assert cancelled.cancelled_at is not None
    rebooked = create.sync(
        client=june, body=m.ReservationCreateRequest(showtime=show.pk, seats=[seats["A1"].id])
    )
    assert rebooked.status == m.ReservationStatusEnum.CONFIRMED
    assert rebooked.total_price == "10.00"

    tickets = api.op("reservations_tickets_list").sync(rebooked.id, client=june)
    (ticket,) = tickets.results
    qr = api.op("tickets_qr_svg_retrieve").sync_detailed(ticket.code, client=june)
    assert qr.status_code == 200
    assert qr.content.startswith(b"<?xml") or b"<svg" in qr.content[:200]
    return hold, ticket


def _a_family_books_with_a_voucher(api, june, show, seats):
    """Two adults and two children with a 15 % voucher, and each pricing refusal as its
    typed model."""
    m = api.m
    family_prices()  # Child 7.50 (under 12), Student 8.00
    VoucherFactory(code="FAMILY15", kind=DiscountKind.PERCENT, value=Decimal("15"))
    VoucherFactory(code="USEDUP", max_uses=0)
    forget_ticket_types()  # seat maps keep a list's types a few seconds; skip the wait
    seat_map = api.op("showtimes_seats_retrieve").sync(show.pk, client=june)
    child = next(kind for kind in seat_map.ticket_types if kind.code == "child")
    assert (child.name, child.max_age, child.prices["STANDARD"]) == ("Child", 12, "7.50")

    create = api.op("reservations_create")
    child_seat = m.ReservationCreateRequestSeatsItemType1

    def family(**extra):
        return m.ReservationCreateRequest(
            showtime=show.pk,
            seats=[
                seats["B1"].id,
                seats["B2"].id,
                child_seat(id=seats["B3"].id, type_="child"),
                child_seat(id=seats["B4"].id, type_="child"),
            ],
            **extra,
        )

    unknown = create.sync(
        client=june,
        body=m.ReservationCreateRequest(
            showtime=show.pk, seats=[child_seat(id=seats["B1"].id, type_="pensioner")]
        ),
    )
    assert unknown.code == m.ReservationsCreateBadRequestErrorCode.UNKNOWN_TICKET_TYPE
    assert unknown.ticket_types == ["adult", "child", "student"]
    invalid = create.sync(client=june, body=family(voucher="NOSUCH"))
    assert invalid.code == m.ReservationsCreateBadRequestErrorCode.VOUCHER_INVALID
    exhausted = create.sync(client=june, body=family(voucher="usedup"))
    assert isinstance(exhausted, m.ReservationsCreateConflictError)
    assert exhausted.code == m.ReservationsCreateConflictErrorCode.VOUCHER_EXHAUSTED

    booked = create.sync(client=june, body=family(voucher="family15"))
    assert isinstance(booked, m.Reservation), booked
    assert [(s.ticket_type, s.list_price, s.discount, s.price) for s in booked.seats] == [
        ("adult", "10.00", "1.50", "8.50"),
        ("adult", "10.00", "1.50", "8.50"),
        ("child", "7.50", "1.12", "6.38"),
        ("child", "7.50", "1.12", "6.38"),
    ]
    assert (booked.voucher, booked.discount, booked.total_price) == ("FAMILY15", "5.24", "29.76")
    cancelled = api.op("reservations_destroy").sync(booked.id, client=june)
    assert cancelled.status == m.ReservationStatusEnum.CANCELLED


def _admin_schedules_and_reports(api, boss, start):
    m = api.m
    movie = api.op("movies_create").sync(
        client=boss,
        body=m.MovieWriteRequest(
            title="Arrival",
            duration_minutes=116,
            release_date=dt.date(2016, 11, 11),
            genre=m.GenreEnum.SCIFI,
            age_rating=m.AgeRatingEnum.TWELVE,
        ),
    )
    assert movie.age_rating == m.AgeRatingEnum.TWELVE
    new_hall = api.op("halls_create").sync(
        client=boss,
        body=m.HallCreateRequest(name="Studio 9", rows=4, seats_per_row=5, vip_rows=["D"]),
    )
    assert new_hall.capacity == 20
    later = start + dt.timedelta(days=1)
    scheduled = api.op("showtimes_create").sync(
        client=boss,
        body=m.ShowtimeCreateRequest(
            movie=movie.id, hall=new_hall.id, start_time=later, price="9.50"
        ),
    )
    assert scheduled.vip_price == "9.50"
    repriced = api.op("showtimes_partial_update").sync(
        scheduled.id,
        client=boss,
        body=m.PatchedShowtimeUpdateRequest(price="12.50", vip_price="15.00"),
    )
    assert repriced.price == "12.50"
    stats = api.op("admin_stats_retrieve").sync(client=boss)
    assert stats.totals.tickets_sold == 1
    june_id = User.objects.get(username="june").pk
    promoted = api.op("users_partial_update").sync(
        june_id, client=boss, body=m.PatchedUserRoleUpdateRequest(role=m.RoleEnum.ADMIN)
    )
    assert promoted.role == m.RoleEnum.ADMIN
    assert User.objects.get(pk=june_id).role == Role.ADMIN
    # What a second, clashing showtime would be scheduled with.
    return scheduled, {"movie": movie.id, "hall": new_hall.id, "start_time": later}


def _booking_errors_arrive_typed(api, boss, june, show, seats, hold):
    m = api.m
    create = api.op("reservations_create")
    taken = create.sync(
        client=boss, body=m.ReservationCreateRequest(showtime=show.pk, seats=[seats["A1"].id])
    )
    assert isinstance(taken, m.ReservationsCreateConflictError)
    assert taken.code == m.ReservationsCreateConflictErrorCode.SEATS_UNAVAILABLE
    assert [seat.label for seat in taken.seats] == ["A1"]
    empty = create.sync(client=boss, body=m.ReservationCreateRequest(showtime=show.pk, seats=[]))
    assert isinstance(empty, m.ReservationsCreateBadRequestError)
    assert empty.code == m.ReservationsCreateBadRequestErrorCode.NO_SEATS
    too_many = create.sync(
        client=boss,
        body=m.ReservationCreateRequest(showtime=show.pk, seats=list(range(1, 12))),
    )
    assert too_many.code == m.ReservationsCreateBadRequestErrorCode.TOO_MANY_SEATS
    assert too_many.limit == 10
    again = api.op("reservations_confirm_create").sync(hold.id, client=june)
    assert again.code == m.ReservationsConfirmCreateConflictErrorCode.ALREADY_CANCELLED


def _other_errors_arrive_typed(api, boss, admin, show, clash, ticket):
    m = api.m
    scheduled, same_slot = clash
    overlap = api.op("showtimes_create").sync(
        client=boss, body=m.ShowtimeCreateRequest(**same_slot, price="9.50")
    )
    assert overlap.code == m.ShowtimesCreateBadRequestErrorCode.SHOWTIME_OVERLAP
    assert overlap.clash.id == scheduled.id
    fields = api.op("halls_create").sync(
        client=boss, body=m.HallCreateRequest(name="Studio 9", rows=1, seats_per_row=1)
    )
    assert isinstance(fields, m.FieldErrors)
    assert "name" in fields
    own_role = api.op("users_partial_update").sync(
        admin.pk, client=boss, body=m.PatchedUserRoleUpdateRequest(role=m.RoleEnum.CUSTOMER)
    )
    assert own_role.code == m.UsersPartialUpdateBadRequestErrorCode.OWN_ROLE_CHANGE
    missing = api.op("reservations_retrieve").sync(999999, client=boss)
    assert missing.code == m.NotFoundErrorCode.NOT_FOUND
    anonymous_list = api.op("reservations_list").sync(client=api.anonymous)
    assert anonymous_list.code == m.AuthenticationErrorCode.NOT_AUTHENTICATED
    bad_login = api.op("auth_login_create").sync(
        client=api.anonymous, body=m.TokenObtainPairRequest(username="june", password="wrong")
    )
    assert bad_login.code == m.AuthLoginCreateUnauthorizedErrorCode.NO_ACTIVE_ACCOUNT
    early = api.op("check_ins_create").sync(
        client=boss, body=m.CheckInRequest(code=ticket.code, showtime=show.pk)
    )
    assert isinstance(early, m.CheckInRefusal)
    assert early.code == m.CheckInRefusalCodeEnum.TOO_EARLY
    assert early.doors_open_at is not None
    customer = api.signed_in(*_customer())
    forbidden = api.op("movies_create").sync(
        client=customer,
        body=m.MovieWriteRequest(
            title="X",
            duration_minutes=90,
            release_date=dt.date(2020, 1, 1),
            genre=m.GenreEnum.DRAMA,
        ),
    )
    assert forbidden.code == m.PermissionDeniedErrorCode.PERMISSION_DENIED


def _customer():
    from users.tests.factories import UserFactory

    return UserFactory().username, DEFAULT_PASSWORD
