"""Printed tickets, and the receipt of a counter sale, as a PDF.

Drawn with reportlab's canvas: pure Python (no Cairo, Pango or other system library to
install, unlike WeasyPrint), maintained since 2000 with releases every few months, and
its canvas draws text and vector shapes, which is all a ticket is. The text is set in
Bitstream Vera, which reportlab ships (the PDF's 14 standard fonts stop at Latin-1 and
have no euro sign in every viewer); the font is embedded, so the page prints the same
everywhere. The QR code is segno's, the same symbol as the e-ticket's (tickets.qr),
drawn as vector squares, so it stays sharp at any printer's resolution.

Two layouts (``LAYOUTS``): ``a4``, one ticket a page, for an office printer or a PDF
passed on; and ``thermal``, an 80 mm receipt roll (72 mm printable) where each page is
as long as its content and the printer cuts after it.

The drawing takes plain values (``PrintedTicket``, ``Receipt``): the receipt's payment
comes from the payments app, which assembles the whole PDF (payments/papers.py) since
tickets may not import it.
"""

import dataclasses
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.utils import dateformat, timezone
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bookings.models import Reservation, ReservationStatus
from core.days import local_zone
from core.money import format_money
from tickets.codes import display
from tickets.exceptions import NoTicketsToPrint, UnknownLayout
from tickets.models import TicketStatus
from tickets.qr import qr_matrix
from tickets.selectors import reservation_tickets

_FONT, _BOLD = "MarqueeVera", "MarqueeVera-Bold"
pdfmetrics.registerFont(TTFont(_FONT, "Vera.ttf"))
pdfmetrics.registerFont(TTFont(_BOLD, "VeraBd.ttf"))


@dataclasses.dataclass(frozen=True)
class Layout:
    name: str
    width: float
    height: float | None  # None: a roll, each page as long as its content
    margin: float
    title_size: float
    text_size: float
    qr_size: float


LAYOUTS = {
    layout.name: layout
    for layout in (
        Layout("a4", 210 * mm, 297 * mm, 20 * mm, 26, 13, 70 * mm),
        Layout("thermal", 80 * mm, None, 4 * mm, 15, 9, 50 * mm),
    )
}
DEFAULT_LAYOUT = "a4"


def layout_named(name: str) -> Layout:
    """The layout called ``name``; UnknownLayout (400) otherwise."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise UnknownLayout(layouts=list(LAYOUTS)) from None


@dataclasses.dataclass(frozen=True)
class PrintedTicket:
    code: str
    reservation: int
    movie: str
    hall: str
    seat_label: str
    seat_type: str
    start: datetime  # in the cinema's time zone
    price: Decimal
    ticket_type: str = "Adult"  # its name, as people read it


@dataclasses.dataclass(frozen=True)
class Receipt:
    """The receipt of a sale at the counter: what was sold, the money and who took it."""

    reservation: int
    movie: str
    hall: str
    start: datetime
    seats: Sequence[tuple[str, Decimal]]  # (seat label with its ticket type, price)
    total: Decimal
    method: str  # as people read it ("Cash")
    cashier: str
    paid_at: datetime
    # What came off the list prices, and why ("Voucher FAMILY10"); none: 0.00.
    discount: Decimal = Decimal("0.00")
    discount_reason: str = ""


# --- what is printed ------------------------------------------------------------------------
def printable_tickets(*, reservation: Reservation) -> list[PrintedTicket]:
    """The valid tickets of a CONFIRMED reservation, in the hall's seat order, with the
    price paid for each seat. NoTicketsToPrint (409) when there is none: a hold, a
    cancelled or expired reservation, or every ticket already used at the door."""
    if reservation.status != ReservationStatus.CONFIRMED:
        raise NoTicketsToPrint()
    prices = dict(reservation.seats.values_list("seat_id", "price"))
    tickets = [
        PrintedTicket(
            code=ticket.code,
            reservation=reservation.pk,
            movie=ticket.showtime.movie.title,
            hall=ticket.showtime.hall.name,
            seat_label=ticket.seat.label,
            seat_type=ticket.seat.get_seat_type_display(),
            start=timezone.localtime(ticket.showtime.start_time, local_zone()),
            price=prices[ticket.seat_id],
            ticket_type=ticket.ticket_type_name,
        )
        for ticket in reservation_tickets(reservation_id=reservation.pk).filter(
            status=TicketStatus.VALID
        )
    ]
    if not tickets:
        raise NoTicketsToPrint()
    return tickets


# --- drawing ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Line:
    text: str
    size: float
    bold: bool = False
    right: str = ""  # drawn flush right on the same line (a price)
    gap: float = 0.0  # space above, in lines


def _when(start: datetime) -> str:
    return f"{dateformat.format(start, 'l j F Y, H:i')} ({start.tzname()})"


def _wrapped(line: _Line, width: float) -> list[_Line]:
    """A line too long for the page, on as many lines as it takes."""
    if line.right:
        return [line]
    font = _BOLD if line.bold else _FONT
    parts = simpleSplit(line.text, font, line.size, width) or [""]
    return [
        dataclasses.replace(line, text=part, gap=line.gap if i == 0 else 0.0)
        for i, part in enumerate(parts)
    ]


def _leading(line: _Line) -> float:
    return line.size * (1.3 + line.gap)


class _Pages:
    """A canvas that lays out one page at a time, top to bottom."""

    def __init__(self, layout: Layout, title: str):
        self.layout = layout
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=(layout.width, layout.height or layout.width))
        self.canvas.setTitle(title)
        self.canvas.setCreator("Marquee")
        self.inner = layout.width - 2 * layout.margin

    def page(self, lines: list[_Line], *, qr: str | None = None, below_qr: list[_Line] = ()):
        layout = self.layout
        lines = [part for line in lines for part in _wrapped(line, self.inner)]
        below_qr = [part for line in below_qr for part in _wrapped(line, self.inner)]
        qr_size = min(layout.qr_size, self.inner) if qr else 0.0
        content = sum(map(_leading, lines)) + qr_size + sum(map(_leading, below_qr))
        height = layout.height or content + 2 * layout.margin + (layout.text_size if qr else 0)
        self.canvas.setPageSize((layout.width, height))
        y = height - layout.margin
        y = self._lines(lines, y)
        if qr:
            y -= layout.text_size / 2
            left = (layout.width - qr_size) / 2
            _draw_qr(self.canvas, qr, left, y - qr_size, qr_size)
            y -= qr_size
            self._lines(below_qr, y, centred=True)
        self.canvas.showPage()

    def _lines(self, lines: list[_Line], y: float, *, centred: bool = False) -> float:
        left = self.layout.margin
        for line in lines:
            y -= _leading(line)
            self.canvas.setFont(_BOLD if line.bold else _FONT, line.size)
            if centred:
                self.canvas.drawCentredString(self.layout.width / 2, y, line.text)
            else:
                self.canvas.drawString(left, y, line.text)
            if line.right:
                self.canvas.drawRightString(left + self.inner, y, line.right)
        return y

    def bytes(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()


def _draw_qr(canvas: Canvas, code: str, x: float, y: float, size: float) -> None:
    """The QR code of ``code`` in the square of ``size`` at (x, y), its bottom left: one
    filled path of the dark runs of each row (one path, so no seams between modules)."""
    matrix = qr_matrix(code)
    module = size / len(matrix)
    path = canvas.beginPath()
    for row, modules in enumerate(matrix):
        top = y + size - (row + 1) * module
        column = 0
        while column < len(modules):
            if not modules[column]:
                column += 1
                continue
            start = column
            while column < len(modules) and modules[column]:
                column += 1
            path.rect(x + start * module, top, (column - start) * module, module)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)


def _ticket_page(pages: _Pages, ticket: PrintedTicket, number: int, of: int) -> None:
    layout = pages.layout
    text = layout.text_size
    pages.page(
        [
            _Line(f"Marquee · ticket {number} of {of} · reservation {ticket.reservation}", text),
            _Line(ticket.movie, layout.title_size, bold=True, gap=0.3),
            _Line(_when(ticket.start), text, gap=0.3),
            _Line(f"Hall: {ticket.hall}", text),
            _Line(f"Seat {ticket.seat_label}", layout.title_size, bold=True, gap=0.3),
            _Line(f"{ticket.seat_type} · {ticket.ticket_type}", text),
            _Line("Price", text, right=format_money(ticket.price), gap=0.3),
        ],
        qr=ticket.code,
        below_qr=[_Line(display(ticket.code), text, bold=True)],
    )


def _receipt_page(pages: _Pages, receipt: Receipt) -> None:
    text = pages.layout.text_size
    seats = [
        _Line(f"Seat {label}", text, right=format_money(price), gap=0.5 if i == 0 else 0.0)
        for i, (label, price) in enumerate(receipt.seats)
    ]
    pages.page(
        [
            _Line("Marquee · receipt", text),
            _Line(f"Reservation {receipt.reservation}", pages.layout.title_size, bold=True),
            _Line(receipt.movie, text, gap=0.3),
            _Line(_when(receipt.start), text),
            _Line(f"Hall: {receipt.hall}", text),
            *seats,
            *(
                [_Line(receipt.discount_reason, text, right=f"-{format_money(receipt.discount)}")]
                if receipt.discount
                else []
            ),
            _Line("Total", text, bold=True, right=format_money(receipt.total), gap=0.5),
            _Line("Payment", text, right=receipt.method, gap=0.5),
            _Line("Cashier", text, right=receipt.cashier),
            _Line(f"Sold {_when(receipt.paid_at)}", text),
        ]
    )


def tickets_pdf(
    tickets: Sequence[PrintedTicket], *, layout: Layout, receipt: Receipt | None = None
) -> bytes:
    """The tickets, one a page, then the receipt if there is one."""
    title = f"Tickets of reservation {tickets[0].reservation}" if tickets else "Tickets"
    pages = _Pages(layout, title)
    for number, ticket in enumerate(tickets, start=1):
        _ticket_page(pages, ticket, number, len(tickets))
    if receipt is not None:
        _receipt_page(pages, receipt)
    return pages.bytes()
