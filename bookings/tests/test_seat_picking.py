"""The choice of the best block of seats (bookings/seat_picking.py), on drawn layouts:
one string per row, front (row A) first; ``.`` a free standard seat, ``x`` a taken
one, ``V``/``v`` a free/taken VIP seat, ``A``/``a`` a free/taken accessible seat, a
space no seat (an aisle: the numbers jump)."""

from typing import NamedTuple

from bookings.seat_picking import best_block

FREE = {".": "STANDARD", "V": "VIP", "A": "ACCESSIBLE"}
TAKEN = {"x": "STANDARD", "v": "VIP", "a": "ACCESSIBLE"}


class S(NamedTuple):
    id: int
    row: str
    number: int
    position: int
    seat_type: str


def hall(*rows):
    seats, taken, position = [], set(), 0
    for r, drawn in enumerate(rows):
        label = chr(ord("A") + r)
        for n, mark in enumerate(drawn, start=1):
            if mark == " ":
                continue
            position += 1
            seat = S(position, label, n, position, FREE.get(mark) or TAKEN[mark])
            seats.append(seat)
            if mark in TAKEN:
                taken.add(seat.id)
    return seats, taken


def pick(rows, quantity, seat_type=None):
    seats, taken = hall(*rows)
    by_id = {seat.id: seat for seat in seats}
    result = best_block(seats, taken, quantity, seat_type)
    return [f"{by_id[i].row}{by_id[i].number}" for i in result.seat_ids], result.largest


def test_empty_hall_gets_the_centre_of_the_row_two_thirds_back():
    rows = ["........"] * 4  # the best row is (4 - 1) * 2/3 = 2: row C
    assert pick(rows, 2) == (["C4", "C5"], 8)
    assert pick(rows, 4) == (["C3", "C4", "C5", "C6"], 8)


def test_an_odd_block_in_an_odd_row_sits_at_its_centre():
    assert pick(["......."] * 4, 3) == (["C3", "C4", "C5"], 7)


def test_an_odd_block_in_an_even_row_goes_to_an_end_rather_than_strand_one():
    # Six seats, three asked: either place nearest the centre leaves one seat alone.
    assert pick(["......"] * 4, 3) == (["C1", "C2", "C3"], 6)


def test_taken_centre_moves_the_block_to_the_next_best_place():
    rows = ["........", "........", "..xxxx..", "........"]
    # C has only pairs at its ends (3.5 seats off centre); B and D are one row away
    # with their centres free.
    chosen, largest = pick(rows, 2)
    assert chosen in (["B4", "B5"], ["D4", "D5"])
    assert largest == 8


def test_an_aisle_of_taken_seats_splits_a_row():
    rows = ["xxxxxxxx", "xxxxxxxx", "...xx...", "xxxxxxxx"]
    assert pick(rows, 3) == (["C1", "C2", "C3"], 3)
    assert pick(rows, 4) == ([], 3)


def test_a_gap_in_the_numbers_is_not_adjacent():
    rows = ["xxxxxxxxx", "xxxxxxxxx", "... .....", "xxxxxxxxx"]
    # C5..C9 after the gap; either block of four strands one of them, so the one
    # nearer the row's centre (C5, numbers 1 to 9) wins.
    assert pick(rows, 4) == (["C5", "C6", "C7", "C8"], 5)
    assert pick(rows, 6) == ([], 5)


def test_never_strands_one_seat_when_the_row_offers_better():
    # Row C's free run is C2..C6 (5 seats) between taken ones. Two seats at the centre
    # (C3-C4 or C4-C5) would each leave one seat alone at one side; C5-C6 or C2-C3
    # leaves three together instead.
    rows = ["xxxxxxx", "xxxxxxx", "x.....x", "xxxxxxx"]
    chosen, _ = pick(rows, 2)
    assert chosen in (["C2", "C3"], ["C5", "C6"])


def test_a_single_seat_at_the_row_end_counts_as_stranded():
    rows = ["xxxxxx", "xxxxxx", "....xx", "xxxxxx"]
    # C1-C4 free: C2-C3 is nearest the centre but strands C1 and C4.
    assert pick(rows, 2) in ((["C1", "C2"], 4), (["C3", "C4"], 4))


def test_stranding_is_allowed_when_the_row_has_no_other_choice():
    rows = ["xxxxx", "xxxxx", "x...x", "xxxxx"]
    assert pick(rows, 2) == (["C2", "C3"], 3)


def test_vip_asks_pick_from_vip_rows_only():
    rows = ["........", "........", "........", "VVVVVVVV"]
    assert pick(rows, 2, "VIP") == (["D4", "D5"], 8)
    # Without a type the better-placed standard row C wins.
    assert pick(rows, 2)[0] == ["C4", "C5"]
    assert pick(rows, 2, "STANDARD")[0] == ["C4", "C5"]


def test_a_block_never_mixes_seat_types():
    rows = ["xxxxxxxx", "xxxxxxxx", "xx..VVxx", "xxxxxxxx"]
    assert pick(rows, 4) == ([], 2)
    assert pick(rows, 2) in ((["C3", "C4"], 2), (["C5", "C6"], 2))


def test_accessible_seats_go_only_to_those_who_ask():
    rows = ["xxxxxx", "xxxxxx", "AA..xx", "xxxxxx"]
    assert pick(rows, 2) == (["C3", "C4"], 2)
    assert pick(rows, 2, "ACCESSIBLE") == (["C1", "C2"], 2)
    assert pick(rows, 3) == ([], 2)
    assert pick(["xxxx", "AaAx"], 2, "ACCESSIBLE") == ([], 1)


def test_a_full_hall_has_no_block():
    assert pick(["xxxx", "vvvv", "aaaa"], 1) == ([], 0)


def test_quantity_bigger_than_any_row():
    assert pick(["......"] * 3, 7) == ([], 6)


def test_a_worse_row_wins_only_when_it_is_better_placed_overall():
    # Row C (the best) has only its two end seats free: 3.5 seats off centre. Row B,
    # one row forward, has its centre free: 1 < 3.5.
    rows = ["xxxxxxxx", "........", "..xxxxxx", "xxxxxxxx"]
    assert pick(rows, 2)[0] == ["B4", "B5"]
