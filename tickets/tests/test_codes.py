import math

import pytest

from tickets.codes import ALPHABET, CODE_LENGTH, display, new_code, normalise


def test_codes_new_code_carries_at_least_128_random_bits_url_safe():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == CODE_LENGTH for code in codes)
    assert CODE_LENGTH * math.log2(len(ALPHABET)) >= 128
    # URL-safe and unambiguous: Crockford's base32 (no I, L, O, U).
    assert set("".join(codes)) <= set(ALPHABET)
    assert not set("ILOU") & set(ALPHABET)
    # Every position varies (the bits are spread over the whole code).
    for position in range(CODE_LENGTH):
        assert len({code[position] for code in codes}) > 16


def test_codes_display_groups_of_four():
    code = "K3F97QXMA2B4C6D8E9F0G1H2J3K4"
    assert display(code) == "K3F9-7QXM-A2B4-C6D8-E9F0-G1H2-J3K4"


@pytest.mark.parametrize(
    "typed",
    [
        "K3F97QXMA2B4C6D8E9F0G1H2J3K4",
        "K3F9-7QXM-A2B4-C6D8-E9F0-G1H2-J3K4",
        "  k3f9 7qxm a2b4 c6d8 e9f0 g1h2 j3k4 ",
        "K3F9-7QXM-A2B4-C6D8-E9FO-GIH2-J3K4",  # O for 0, I for 1: read as Crockford does
    ],
)
def test_codes_normalise_reads_what_people_type(typed):
    assert normalise(typed) == "K3F97QXMA2B4C6D8E9F0G1H2J3K4"


@pytest.mark.parametrize(
    "typed", ["", "K3F9", "K3F97QXMA2B4C6D8E9F0G1H2J3K4X", "K3F97QXMA2B4C6D8E9F0G1H2J3KU", "é" * 28]
)
def test_codes_normalise_refuses_what_cannot_be_a_code(typed):
    assert normalise(typed) is None
