"""Best available seats: which block of N adjacent free seats to offer, from the hall's
layout and the seats already taken. Pure: no database, no clock; the booking engine
(``services._book``) calls it under the showtime lock with what it read there.

The rules (docs in the README, "Best available"):

- A block is N seats of one row whose numbers are consecutive, all free and all of one
  seat type (one price). With ``seat_type`` only seats of that type; without it any
  STANDARD or VIP seat: ACCESSIBLE seats go only to those who ask for them.
- Rows run from the screen (row A, first in hall order) back. The best row is the one
  about two thirds back; a block scores
  ``|row index - (rows - 1) * 2/3| + |centre of the block - centre of the row|``
  (rows and seats count alike, one unit each); the lowest score wins, ties go to the
  block nearer the front-left (lower position), so the choice is deterministic.
- Never strand one seat: a block that would leave a single free seat between itself
  and a taken seat, a seat of another type or the row's end is only chosen when its row
  offers no block that does not.
"""

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from cinema.models import SeatType

# What a request without a seat type may get.
_ANY_TYPE = frozenset({SeatType.STANDARD, SeatType.VIP})
# How far back the best row is, as a share of the hall's depth.
BEST_ROW_DEPTH = 2 / 3


class SeatLike(Protocol):
    id: int
    row: str
    number: int
    position: int
    seat_type: str


class Pick(NamedTuple):
    """The chosen seats' ids, in hall order (empty when no block of that size is free),
    and the size of the largest block of adjacent free seats there is, of the type
    asked for."""

    seat_ids: tuple[int, ...]
    largest: int


def _rows(seats: Iterable[SeatLike]) -> list[list[SeatLike]]:
    """The hall's rows, front first, each in seat-number order."""
    rows: dict[str, list[SeatLike]] = {}
    for seat in sorted(seats, key=lambda s: s.position):
        rows.setdefault(seat.row, []).append(seat)
    return [sorted(row, key=lambda s: s.number) for row in rows.values()]


def _runs(row: Sequence[SeatLike], taken: set[int], types: frozenset) -> list[list[SeatLike]]:
    """Maximal runs of free seats of the row that a block may use: consecutive numbers,
    one seat type."""
    runs: list[list[SeatLike]] = []
    current: list[SeatLike] = []
    for seat in row:
        usable = seat.id not in taken and seat.seat_type in types
        joins = (
            current
            and usable
            and seat.number == current[-1].number + 1
            and seat.seat_type == current[-1].seat_type
        )
        if joins:
            current.append(seat)
            continue
        if current:
            runs.append(current)
        current = [seat] if usable else []
    if current:
        runs.append(current)
    return runs


def _row_candidates(row, runs, quantity, row_distance):
    """(score, strands, position, seat ids) of every block of the row."""
    centre = (row[0].number + row[-1].number) / 2
    for run in runs:
        for start in range(len(run) - quantity + 1):
            block = run[start : start + quantity]
            left, right = start, len(run) - start - quantity
            strands = left == 1 or right == 1
            block_centre = (block[0].number + block[-1].number) / 2
            score = row_distance + abs(block_centre - centre)
            yield score, strands, block[0].position, tuple(seat.id for seat in block)


def best_block(
    seats: Iterable[SeatLike], taken: Iterable[int], quantity: int, seat_type: str | None = None
) -> Pick:
    """The best block of ``quantity`` adjacent free seats of the hall (``seats``, all
    of them) given the ``taken`` seat ids, of ``seat_type`` if given. See the module's
    docstring for what "best" means."""
    taken = set(taken)
    types = frozenset({seat_type}) if seat_type else _ANY_TYPE
    rows = _rows(seats)
    target = (len(rows) - 1) * BEST_ROW_DEPTH
    best, largest = None, 0
    for index, row in enumerate(rows):
        runs = _runs(row, taken, types)
        largest = max([largest, *(len(run) for run in runs)])
        if quantity < 1:
            continue
        candidates = list(_row_candidates(row, runs, quantity, abs(index - target)))
        tidy = [c for c in candidates if not c[1]] or candidates
        for score, _, position, ids in tidy:
            if best is None or (score, position) < best[:2]:
                best = (score, position, ids)
    return Pick(seat_ids=best[2] if best else (), largest=largest)
