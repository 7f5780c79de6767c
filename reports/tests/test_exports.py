"""CSV exports (/api/admin/exports/*.csv and the reports page's downloads): the same
figures as /api/admin/stats/ to the cent, the payments ledger in the order the money
moved, streamed, and bad ranges refused with a code."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bookings.models import ReservationStatus
from bookings.services import reservation_cancel
from bookings.tests.factories import reserve, seat_ids, seats_of
from boxoffice.services import counter_sale_create
from cinema.tests.factories import HallFactory, MovieFactory, ShowtimeFactory
from payments.models import Method, Payment, PaymentStatus, Provider
from payments.tests.factories import open_shift
from testsupport.testing import client_for
from tickets.models import Ticket, TicketStatus
from tickets.services import tickets_issue
from users.tests.factories import AdminFactory, CashierFactory, UserFactory

pytestmark = pytest.mark.django_db

SALES = "/api/admin/exports/sales.csv"
PAYMENTS = "/api/admin/exports/payments.csv"
STATS = "/api/admin/stats/"
BERLIN = ZoneInfo("Europe/Berlin")
RANGE = {"from": "2030-03-10", "to": "2030-03-12"}


def local(year, month, day, hour=20, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def read_csv(response) -> tuple[list[str], list[dict]]:
    """The streamed body, read as a client would: header and rows."""
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(body)))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture
def scene(db, settings):
    """Showtimes over three Berlin days (one just before midnight, one just after),
    one outside the range; reservations in every status."""
    settings.TIME_ZONE = "Europe/Berlin"
    hall_a = HallFactory(
        name="Salle Amélie", layout={"rows": 2, "seats_per_row": 5, "vip_rows": ["B"]}
    )
    hall_b = HallFactory(layout={"rows": 3, "seats_per_row": 4})
    drama, comedy = MovieFactory(title='Drama, "quoted"'), MovieFactory(title="Komödie")
    buyer, other = UserFactory(), UserFactory()

    def show(movie, hall, start, price="10.00", vip="16.50"):
        return ShowtimeFactory(
            movie=movie, hall=hall, start_time=start, price=Decimal(price), vip_price=Decimal(vip)
        )

    shows = {
        "late": show(drama, hall_a, local(2030, 3, 10, 23, 30)),
        "after_midnight": show(comedy, hall_b, local(2030, 3, 12, 0, 30), price="8.00"),
        "matinee": show(drama, hall_b, local(2030, 3, 11, 14, 0), price="7.25"),
        "empty": show(comedy, hall_a, local(2030, 3, 11, 18, 0)),
        "outside": show(drama, hall_a, local(2030, 3, 13, 0, 0)),
    }
    late, midnight = seats_of(shows["late"]), seats_of(shows["after_midnight"])
    reserve(buyer, shows["late"], late[:2], ReservationStatus.CONFIRMED)
    reserve(other, shows["late"], late[5:7], ReservationStatus.CONFIRMED)
    reserve(buyer, shows["late"], [late[2]], ReservationStatus.CANCELLED)
    reserve(other, shows["late"], [late[3]], ReservationStatus.HELD)
    reserve(buyer, shows["after_midnight"], midnight[:3], ReservationStatus.CONFIRMED)
    reserve(other, shows["after_midnight"], [midnight[3]], ReservationStatus.CANCELLED)
    reserve(other, shows["matinee"], [seats_of(shows["matinee"])[4]], ReservationStatus.CONFIRMED)
    reserve(buyer, shows["outside"], seats_of(shows["outside"])[:4], ReservationStatus.CONFIRMED)
    return shows


FIGURES = ("showtimes", "capacity", "tickets_sold", "reservations", "cancellations")
COUNTS = (*FIGURES, "checked_in", "no_shows")


def _same_figures(csv_row: dict, api_row: dict) -> None:
    for name in ("revenue", "list_revenue", "discount"):
        assert csv_row[name] == api_row[name], name  # both "84.25": to the cent
    assert float(csv_row["occupancy"]) == pytest.approx(api_row["occupancy"], abs=5e-5)
    for name in COUNTS:
        assert int(csv_row[name]) == api_row[name], name


@pytest.mark.parametrize(
    ("by", "key", "api_key", "api_list"),
    [
        ("showtime", "showtime_id", "showtime_id", "per_showtime"),
        ("day", "date", "date", "per_day"),
        ("movie", "movie_id", "movie_id", "per_movie"),
    ],
)
def test_sales_export_has_the_stats_figures_to_the_cent(
    admin_client, scene, by, key, api_key, api_list
):
    stats = admin_client.get(STATS, RANGE).json()

    response = admin_client.get(SALES, {**RANGE, "by": by})

    assert response.status_code == 200
    header, rows = read_csv(response)
    assert header[-11:] == [
        "showtimes",
        "capacity",
        "tickets_sold",
        "occupancy",
        "revenue",
        "reservations",
        "cancellations",
        "checked_in",
        "no_shows",
        "list_revenue",
        "discount",
    ]
    api_rows = {str(row[api_key]): row for row in stats[api_list]}
    assert [row[key] for row in rows] == list(api_rows)  # same rows, same order
    for row in rows:
        _same_figures(row, api_rows[row[key]])
    total = sum((Decimal(row["revenue"]) for row in rows), Decimal("0.00"))
    assert str(total) == stats["totals"]["revenue"] == "84.25"


def test_sales_export_per_showtime_names_local_days_and_times(admin_client, scene):
    response = admin_client.get(SALES, {**RANGE, "by": "showtime"})

    _, rows = read_csv(response)
    by_id = {int(row["showtime_id"]): row for row in rows}
    late = by_id[scene["late"].pk]
    # 23:30 Berlin is 22:30 UTC: the local day and time, not UTC's.
    assert (late["date"], late["start"]) == ("2030-03-10", "23:30")
    assert late["movie"] == 'Drama, "quoted"'  # the csv module quotes it, not mangles it
    assert late["hall"] == "Salle Amélie"  # UTF-8
    assert (late["revenue"], late["tickets_sold"], late["occupancy"]) == ("53.00", "4", "0.4000")
    midnight = by_id[scene["after_midnight"].pk]
    assert (midnight["date"], midnight["start"]) == ("2030-03-12", "00:30")
    assert scene["outside"].pk not in by_id


def test_sales_export_counts_the_door_as_the_stats(admin_client, settings):
    """A played showtime: one ticket checked in, one a no-show."""
    settings.TIME_ZONE = "Europe/Berlin"
    played = ShowtimeFactory(start_time=timezone.now() - dt.timedelta(days=1))
    sold = reserve(UserFactory(), played, seats_of(played)[:2], ReservationStatus.CONFIRMED)
    tickets_issue(reservation=sold, now=played.start_time - dt.timedelta(days=1))
    first = Ticket.objects.filter(reservation=sold).order_by("pk").first()
    Ticket.objects.filter(pk=first.pk).update(
        status=TicketStatus.USED, checked_in_at=played.start_time - dt.timedelta(minutes=10)
    )
    day = timezone.localdate(played.start_time, timezone=BERLIN).isoformat()
    stats = admin_client.get(STATS, {"from": day, "to": day}).json()

    _, rows = read_csv(admin_client.get(SALES, {"from": day, "to": day, "by": "showtime"}))

    assert (rows[0]["checked_in"], rows[0]["no_shows"]) == ("1", "1")
    _same_figures(rows[0], stats["per_showtime"][0])


def test_sales_export_per_day_lists_every_day_and_zero_days(admin_client, scene):
    response = admin_client.get(SALES, {"from": "2030-03-09", "to": "2030-03-12", "by": "day"})

    _, rows = read_csv(response)
    assert [row["date"] for row in rows] == [
        "2030-03-09",
        "2030-03-10",
        "2030-03-11",
        "2030-03-12",
    ]
    assert (rows[0]["showtimes"], rows[0]["revenue"], rows[0]["occupancy"]) == (
        "0",
        "0.00",
        "0.0000",
    )


def test_sales_export_follows_the_movie_and_hall_filters(admin_client, scene):
    movie = scene["late"].movie
    stats = admin_client.get(STATS, {**RANGE, "movie": movie.pk}).json()

    _, rows = read_csv(admin_client.get(SALES, {**RANGE, "by": "movie", "movie": movie.pk}))

    assert [int(row["movie_id"]) for row in rows] == [movie.pk]
    assert rows[0]["revenue"] == stats["totals"]["revenue"] == "60.25"


def test_sales_export_is_streamed_row_by_row_with_a_file_name(admin_client, scene):
    response = admin_client.get(SALES, {**RANGE, "by": "showtime"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="marquee-sales-by-showtime-2030-03-10_2030-03-12.csv"'
    )
    assert response["Cache-Control"] == "private, no-store"
    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 4  # the header, then one chunk per showtime
    assert chunks[0] == (
        b"date,start,showtime_id,movie_id,movie,hall_id,hall,showtimes,capacity,"
        b"tickets_sold,occupancy,revenue,reservations,cancellations,checked_in,no_shows,"
        b"list_revenue,discount\r\n"
    )


def test_sales_export_defaults_to_the_reports_range_per_day(admin_client, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    response = admin_client.get(SALES)

    assert response.status_code == 200
    _, rows = read_csv(response)
    assert len(rows) == 38  # the report's default: the last 30 days through the next 7
    today = timezone.localdate(timezone=BERLIN)
    assert rows[0]["date"] == (today - dt.timedelta(days=30)).isoformat()


# --- bad input ---------------------------------------------------------------------------
def test_an_export_of_ten_years_is_refused_with_a_code(admin_client):
    for url in (SALES, PAYMENTS):
        response = admin_client.get(url, {"from": "2020-01-01", "to": "2029-12-31"})

        assert response.status_code == 400
        assert response["Content-Type"].startswith("application/json")
        body = response.json()
        assert body["code"] == "range_too_long"
        assert body["max_days"] == 366
        assert "3653" in body["detail"]


def test_an_export_of_a_leap_year_is_allowed_and_a_day_more_is_not(admin_client):
    year = {"from": "2028-01-01", "to": "2028-12-31"}  # 366 days
    assert admin_client.get(SALES, year).status_code == 200
    longer = {"from": "2028-01-01", "to": "2029-01-01"}
    assert admin_client.get(SALES, longer).json()["code"] == "range_too_long"


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (SALES, {"by": "week"}, "by"),
        (SALES, {"from": "yesterday"}, "from"),
        (SALES, {"to": ""}, "to"),
        (SALES, {"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        (SALES, {"movie": "0"}, "movie"),
        (PAYMENTS, {"from": "2030-02-30"}, "from"),
    ],
)
def test_bad_export_parameters_are_400(admin_client, url, params, field):
    response = admin_client.get(url, params)

    assert response.status_code == 400
    assert field in response.json()


def test_a_reversed_export_range_is_400_with_a_code(admin_client):
    response = admin_client.get(PAYMENTS, {"from": "2030-03-12", "to": "2030-03-10"})

    assert response.status_code == 400
    assert response.json()["code"] == "range_reversed"


def test_export_errors_are_json_whatever_the_client_accepts(admin_client):
    response = admin_client.get(SALES, {"by": "week"}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_exports_are_for_admins_only(scene):
    assert client_for(CashierFactory()).get(SALES, RANGE).status_code == 403
    assert client_for(CashierFactory()).get(PAYMENTS, RANGE).status_code == 403
    assert client_for(None).get(PAYMENTS, RANGE).status_code == 401


# --- the payments ledger ----------------------------------------------------------------
def _payment(reservation, *, provider, method, status, at, refunded_at=None, staff=None, **kw):
    payment = Payment(
        reservation=reservation,
        provider=provider,
        method=method,
        amount=reservation.total_price,
        currency="EUR",
        taken_by=staff,
        succeeded_at=at if status != PaymentStatus.FAILED else None,
        refunded_at=refunded_at,
        **kw,
    )
    payment.set_status(status)
    payment.save()
    return payment


@pytest.fixture
def ledger(scene, settings):
    """Payments around the range's edges: online, at the counter, refunded inside and
    outside the range, failed, before and after it."""
    settings.CURRENCY = "EUR"
    cashier = CashierFactory(username="kasse")
    reservations = list(
        scene["late"].reservations.filter(status=ReservationStatus.CONFIRMED).order_by("pk")
    )
    midnight = scene["after_midnight"].reservations.get(status=ReservationStatus.CONFIRMED)
    matinee = scene["matinee"].reservations.get(status=ReservationStatus.CONFIRMED)
    cancelled = scene["late"].reservations.get(status=ReservationStatus.CANCELLED)
    held = scene["late"].reservations.get(status=ReservationStatus.HELD)
    outside = scene["outside"].reservations.get()
    return {
        # Paid online on the first day, just after local midnight (23:05 UTC the day before).
        "card": _payment(
            reservations[0],
            provider=Provider.STRIPE,
            method=Method.CARD,
            status=PaymentStatus.SUCCEEDED,
            at=local(2030, 3, 10, 0, 5),
            reference="pi_123",
        ),
        "cash": _payment(
            reservations[1],
            provider=Provider.BOX_OFFICE,
            method=Method.CASH,
            status=PaymentStatus.SUCCEEDED,
            at=local(2030, 3, 11, 19, 0),
            staff=cashier,
        ),
        # Taken and handed back within the range: two entries.
        "refunded": _payment(
            cancelled,
            provider=Provider.BOX_OFFICE,
            method=Method.CARD_TERMINAL,
            status=PaymentStatus.REFUNDED,
            at=local(2030, 3, 10, 12, 0),
            refunded_at=local(2030, 3, 12, 23, 59),
            staff=cashier,
        ),
        # Taken before the range, refunded on its last day: only the refund.
        "refunded_late": _payment(
            midnight,
            provider=Provider.STRIPE,
            method=Method.CARD,
            status=PaymentStatus.REFUNDED,
            at=local(2030, 3, 9, 23, 59),
            refunded_at=local(2030, 3, 12, 10, 0),
            reference="pi_456",
            refund_reference="re_456",
        ),
        # Owed back, not paid out yet: money still held, its payment listed.
        "owed": _payment(
            matinee,
            provider=Provider.STRIPE,
            method=Method.CARD,
            status=PaymentStatus.REFUND_PENDING,
            at=local(2030, 3, 12, 9, 0),
            reference="pi_789",
        ),
        "failed": _payment(
            held,
            provider=Provider.STRIPE,
            method=Method.CARD,
            status=PaymentStatus.FAILED,
            at=local(2030, 3, 11, 9, 0),
        ),
        # Just after the range (local midnight of the 13th).
        "after": _payment(
            outside,
            provider=Provider.STRIPE,
            method=Method.CARD,
            status=PaymentStatus.SUCCEEDED,
            at=local(2030, 3, 13, 0, 0),
            reference="pi_after",
        ),
    }


def test_ledger_lists_every_payment_and_refund_in_the_order_the_money_moved(admin_client, ledger):
    response = admin_client.get(PAYMENTS, RANGE)

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="marquee-payments-2030-03-10_2030-03-12.csv"'
    )
    header, rows = read_csv(response)
    assert header == [
        "entry",
        "date",
        "time",
        "payment_id",
        "reservation_id",
        "provider",
        "method",
        "amount",
        "currency",
        "status",
        "reference",
        "staff",
        "shift",
    ]
    seen = [(row["entry"], int(row["payment_id"])) for row in rows]
    assert seen == [
        ("payment", ledger["card"].pk),
        ("payment", ledger["refunded"].pk),
        ("payment", ledger["cash"].pk),
        ("payment", ledger["owed"].pk),
        ("refund", ledger["refunded_late"].pk),
        ("refund", ledger["refunded"].pk),
    ]
    card = rows[0]
    assert (card["date"], card["time"]) == ("2030-03-10", "00:05:00")  # local, not UTC
    assert (card["provider"], card["method"], card["reference"]) == ("stripe", "card", "pi_123")
    assert (card["amount"], card["currency"], card["status"]) == ("20.00", "EUR", "SUCCEEDED")
    cash = rows[2]
    assert (cash["staff"], cash["method"], cash["amount"]) == ("kasse", "cash", "33.00")
    assert cash["shift"] == ""  # filled once payments belong to shifts
    late_refund = rows[4]
    assert (late_refund["amount"], late_refund["reference"]) == ("-24.00", "re_456")
    assert (late_refund["date"], late_refund["time"]) == ("2030-03-12", "10:00:00")
    assert rows[5]["amount"] == "-10.00" and rows[5]["time"] == "23:59:00"
    # What the cinema kept of these days' movements.
    kept = sum((Decimal(row["amount"]) for row in rows), Decimal("0.00"))
    assert kept == Decimal("20.00") + Decimal("10.00") + Decimal("33.00") + Decimal(
        "7.25"
    ) - Decimal("24.00") - Decimal("10.00")


def test_ledger_streams_in_chunks(admin_client, ledger, monkeypatch):
    from reports import exports

    monkeypatch.setattr(exports, "LEDGER_CHUNK", 2)
    response = admin_client.get(PAYMENTS, RANGE)

    chunks = list(response.streaming_content)
    assert len(chunks) == 1 + 6
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)


def test_ledger_of_an_empty_range_is_the_header_only(admin_client, ledger):
    _, rows = read_csv(admin_client.get(PAYMENTS, {"from": "2031-01-01", "to": "2031-01-31"}))
    assert rows == []


# --- the reports page -------------------------------------------------------------------
def test_reports_page_links_the_csv_of_the_range_shown(staff_client, scene):
    page = staff_client.get("/admin/reports/", RANGE).content.decode()

    assert 'id="report-exports"' in page
    for link in (
        "/admin/reports/export/sales.csv?from=2030-03-10&amp;to=2030-03-12&amp;by=showtime",
        "/admin/reports/export/sales.csv?from=2030-03-10&amp;to=2030-03-12&amp;by=day",
        "/admin/reports/export/sales.csv?from=2030-03-10&amp;to=2030-03-12&amp;by=movie",
        "/admin/reports/export/payments.csv?from=2030-03-10&amp;to=2030-03-12",
    ):
        assert link in page


def test_reports_page_links_keep_the_movie_filter(staff_client, scene):
    movie = scene["late"].movie
    page = staff_client.get("/admin/reports/", {**RANGE, "movie": movie.pk}).content.decode()

    assert f"by=movie&amp;movie={movie.pk}" in page


def test_the_admins_download_equals_the_apis(staff_client, admin_client, ledger):
    for path, params in (("sales.csv", {**RANGE, "by": "showtime"}), ("payments.csv", RANGE)):
        page = staff_client.get(f"/admin/reports/export/{path}", params)
        api = admin_client.get(f"/api/admin/exports/{path}", params)

        assert page.status_code == 200
        assert page["Content-Disposition"] == api["Content-Disposition"]
        assert read_csv(page) == read_csv(api)


def test_the_admins_download_refuses_a_ten_year_range_plainly(staff_client):
    response = staff_client.get(
        "/admin/reports/export/payments.csv", {"from": "2020-01-01", "to": "2029-12-31"}
    )

    assert response.status_code == 400
    assert "at most 366 days" in response.content.decode()


def test_the_admins_download_is_for_admins_only(client, scene):
    client.force_login(CashierFactory())
    assert client.get("/admin/reports/export/sales.csv", RANGE).status_code == 403
    client.force_login(AdminFactory())
    assert client.get("/admin/reports/export/sales.csv", RANGE).status_code == 200


def test_ledger_puts_a_counter_refund_on_the_shift_that_paid_it_out(admin_client):
    """Sold in one cashier's shift, handed back by another in hers: the refund's row
    names the one who handed it back and her shift, the sale's the seller's."""

    show = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(hours=1))
    seller, other = CashierFactory(username="seller"), CashierFactory(username="other")
    sold_in, paid_out = open_shift(seller), open_shift(other)
    reservation = counter_sale_create(
        cashier=seller, showtime_id=show.pk, seat_ids=seat_ids(show, "A1"), method="cash"
    ).reservation
    reservation_cancel(reservation=reservation, by=other, at_counter=True)
    today = str(timezone.localdate())

    _, rows = read_csv(admin_client.get(PAYMENTS, {"from": today, "to": today}))

    seen = [(r["entry"], r["amount"], r["staff"], r["shift"]) for r in rows]
    price = f"{reservation.total_price:.2f}"
    assert seen == [
        ("payment", price, "seller", str(sold_in.pk)),
        ("refund", f"-{price}", "other", str(paid_out.pk)),
    ]


SHIFTS = "/api/admin/exports/shifts.csv"


def test_shift_closes_export_has_each_close_report(admin_client):
    """Two cashiers' shifts of the day: the export's figures are their close reports'
    (GET /api/shifts/{id}/), the open one without a count."""
    show = ShowtimeFactory(start_time=timezone.now() + dt.timedelta(hours=1))
    anna, ben = CashierFactory(username="anna"), CashierFactory(username="ben")
    closed = open_shift(anna, "100.00")
    open_shift(ben, "50.00")
    for who, labels, method in ((anna, ["A1", "A2"], "cash"), (anna, ["A3"], "card_terminal")):
        counter_sale_create(
            cashier=who, showtime_id=show.pk, seat_ids=seat_ids(show, *labels), method=method
        )
    counter_sale_create(
        cashier=ben, showtime_id=show.pk, seat_ids=seat_ids(show, "B1"), method="cash"
    )
    client_for(anna).post(f"/api/shifts/{closed.pk}/close/", {"counted": "119.50"}, format="json")
    report = admin_client.get(f"/api/shifts/{closed.pk}/").json()
    today = str(timezone.localdate())

    response = admin_client.get(SHIFTS, {"from": today, "to": today})

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="marquee-shifts-{today}_{today}.csv"'
    )
    header, rows = read_csv(response)
    assert header[:3] == ["shift_id", "cashier", "opened"]
    # (The admin of the fixture has a shift of their own: with no money, it is listed too.)
    first, second = [row for row in rows if row["cashier"] in {"anna", "ben"}]
    assert (first["shift_id"], first["cashier"]) == (str(closed.pk), "anna")
    for column in ("float", "cash_in", "cash_out", "expected", "counted", "difference"):
        assert first[column] == report[column], column
    assert (first["card_terminal_in"], first["sales"], first["refunds"]) == ("10.00", "2", "0")
    assert (second["cashier"], second["counted"], second["difference"], second["closed"]) == (
        "ben",
        "",
        "",
        "",
    )


def test_shift_closes_export_refuses_ten_years(admin_client):
    response = admin_client.get(SHIFTS, {"from": "2020-01-01", "to": "2030-01-01"})
    assert response.status_code == 400
    assert response.json()["code"] == "range_too_long"
