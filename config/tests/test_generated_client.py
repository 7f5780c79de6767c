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
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
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


def test_generated_client_drives_the_journeys(generated, live_server):
    m = importlib.import_module(f"{generated.__name__}.models")
    client_module = importlib.import_module(f"{generated.__name__}.client")
    anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)

    def signed_in(username, password):
        login = _op(generated, "auth_login_create").sync_detailed(
            client=anonymous, body=m.TokenObtainPairRequest(username=username, password=password)
        )
        assert login.status_code == 200, login.content
        return client_module.AuthenticatedClient(
            base_url=live_server.url, token=login.parsed.access, raise_on_unexpected_status=True
        )

    # What the cinema has: a movie with a showtime tomorrow in a 3 x 4 hall.
    start = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(
        hour=20, minute=0, second=0, microsecond=0
    )
    hall = HallFactory()
    dune = MovieFactory(title="Dune: Part Two")
    show = ShowtimeFactory(movie=dune, hall=hall, start_time=start)
    admin = AdminFactory()

    # --- the customer ---------------------------------------------------------------
    registered = _op(generated, "auth_register_create").sync_detailed(
        client=anonymous,
        body=m.UserRegisterRequest(
            username="june", email="june@example.com", password="correct-horse-battery"
        ),
    )
    assert registered.status_code == 201
    assert registered.parsed.role == m.RoleEnum.CUSTOMER
    june = signed_in("june", "correct-horse-battery")

    movies = _op(generated, "movies_list").sync(client=anonymous)
    assert dune.pk in [movie.id for movie in movies.results]
    found = _op(generated, "movies_list").sync(
        client=anonymous, search="Dune", ordering=m.MoviesListOrdering.TITLE_DESC
    )
    assert [movie.title for movie in found.results] == ["Dune: Part Two"]
    assert isinstance(found.results[0].age_rating, m.AgeRatingEnum)
    showtimes = _op(generated, "movies_showtimes_list").sync(dune.pk, client=anonymous)
    assert [s.id for s in showtimes.results] == [show.pk]
    schedule = _op(generated, "showtimes_list").sync(client=anonymous, date=start.date())
    assert show.pk in [s.id for s in schedule.results]

    seat_map_op = _op(generated, "showtimes_seats_retrieve")
    seat_map = seat_map_op.sync_detailed(show.pk, client=june)
    assert seat_map.status_code == 200
    seats = {seat.label: seat for seat in seat_map.parsed.seats}
    assert seats["A1"].status == m.SeatStatusEnum.AVAILABLE
    assert isinstance(seats["A1"].seat_type, m.SeatTypeEnum)
    unchanged = seat_map_op.sync_detailed(
        show.pk, client=june, if_none_match=seat_map.headers["ETag"]
    )
    assert unchanged.status_code == 304

    create = _op(generated, "reservations_create")
    hold = create.sync(
        client=june,
        body=m.ReservationCreateRequest(
            showtime=show.pk, seats=[seats["A1"].id, seats["A2"].id], hold=True
        ),
    )
    assert hold.status == m.ReservationStatusEnum.HELD
    assert hold.expires_at is not None
    confirmed = _op(generated, "reservations_confirm_create").sync(hold.id, client=june)
    assert confirmed.status == m.ReservationStatusEnum.CONFIRMED
    mine = _op(generated, "reservations_list").sync(client=june)
    assert [r.id for r in mine.results] == [hold.id]
    cancelled = _op(generated, "reservations_destroy").sync(hold.id, client=june)
    assert cancelled.status == m.ReservationStatusEnum.CANCELLED
    assert cancelled.cancelled_at is not None
    rebooked = create.sync(
        client=june, body=m.ReservationCreateRequest(showtime=show.pk, seats=[seats["A1"].id])
    )
    assert rebooked.status == m.ReservationStatusEnum.CONFIRMED
    assert rebooked.total_price == "10.00"

    tickets = _op(generated, "reservations_tickets_list").sync(rebooked.id, client=june)
    (ticket,) = tickets.results
    qr = _op(generated, "tickets_qr_svg_retrieve").sync_detailed(ticket.code, client=june)
    assert qr.status_code == 200
    assert qr.content.startswith(b"<?xml") or b"<svg" in qr.content[:200]

    # --- the admin ------------------------------------------------------------------
    boss = signed_in(admin.username, DEFAULT_PASSWORD)
    movie = _op(generated, "movies_create").sync(
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
    new_hall = _op(generated, "halls_create").sync(
        client=boss,
        body=m.HallCreateRequest(name="Studio 9", rows=4, seats_per_row=5, vip_rows=["D"]),
    )
    assert new_hall.capacity == 20
    later = start + dt.timedelta(days=1)
    scheduled = _op(generated, "showtimes_create").sync(
        client=boss,
        body=m.ShowtimeCreateRequest(
            movie=movie.id, hall=new_hall.id, start_time=later, price="9.50"
        ),
    )
    assert scheduled.vip_price == "9.50"
    repriced = _op(generated, "showtimes_partial_update").sync(
        scheduled.id,
        client=boss,
        body=m.PatchedShowtimeUpdateRequest(price="12.50", vip_price="15.00"),
    )
    assert repriced.price == "12.50"
    stats = _op(generated, "admin_stats_retrieve").sync(client=boss)
    assert stats.totals.tickets_sold == 1
    june_id = User.objects.get(username="june").pk
    promoted = _op(generated, "users_partial_update").sync(
        june_id, client=boss, body=m.PatchedUserRoleUpdateRequest(role=m.RoleEnum.ADMIN)
    )
    assert promoted.role == m.RoleEnum.ADMIN
    assert User.objects.get(pk=june_id).role == Role.ADMIN

    # --- every error arrives typed, with its code ---------------------------------------
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
    again = _op(generated, "reservations_confirm_create").sync(hold.id, client=june)
    assert again.code == m.ReservationsConfirmCreateConflictErrorCode.ALREADY_CANCELLED
    overlap = _op(generated, "showtimes_create").sync(
        client=boss,
        body=m.ShowtimeCreateRequest(
            movie=movie.id, hall=new_hall.id, start_time=later, price="9.50"
        ),
    )
    assert overlap.code == m.ShowtimesCreateBadRequestErrorCode.SHOWTIME_OVERLAP
    assert overlap.clash.id == scheduled.id
    fields = _op(generated, "halls_create").sync(
        client=boss, body=m.HallCreateRequest(name="Studio 9", rows=1, seats_per_row=1)
    )
    assert isinstance(fields, m.FieldErrors)
    assert "name" in fields
    own_role = _op(generated, "users_partial_update").sync(
        admin.pk, client=boss, body=m.PatchedUserRoleUpdateRequest(role=m.RoleEnum.CUSTOMER)
    )
    assert own_role.code == m.UsersPartialUpdateBadRequestErrorCode.OWN_ROLE_CHANGE
    missing = _op(generated, "reservations_retrieve").sync(999999, client=boss)
    assert missing.code == m.NotFoundErrorCode.NOT_FOUND
    anonymous_list = _op(generated, "reservations_list").sync(client=anonymous)
    assert anonymous_list.code == m.AuthenticationErrorCode.NOT_AUTHENTICATED
    bad_login = _op(generated, "auth_login_create").sync(
        client=anonymous, body=m.TokenObtainPairRequest(username="june", password="wrong")
    )
    assert bad_login.code == m.AuthLoginCreateUnauthorizedErrorCode.NO_ACTIVE_ACCOUNT
    early = _op(generated, "check_ins_create").sync(
        client=boss, body=m.CheckInRequest(code=ticket.code, showtime=show.pk)
    )
    assert isinstance(early, m.CheckInRefusal)
    assert early.code == m.CheckInRefusalCodeEnum.TOO_EARLY
    assert early.doors_open_at is not None
    customer = signed_in(*_customer())
    forbidden = _op(generated, "movies_create").sync(
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
