"""How a ticket code is written and read: pure rules, no database.

Here rather than in tickets/ so that the layers below tickets may read a code as people
type it too: the reservation search of bookings finds a reservation by the code of one of
its tickets (``bookings.selectors.reservation_search``), and bookings may not import
tickets. tickets/codes.py makes the codes and re-exports these names.

Codes are 28 characters of Crockford's base32 (``0-9`` and ``A-Z`` without I, L, O and
U). People see them in groups of four (``K3F9-7QXM-...``); what a person or a scanner
sends is read leniently (any case, dashes and spaces ignored, I and L read as 1, O as 0).
"""

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 28  # x 5 bits = 140 bits
GROUP = 4
_VALID = frozenset(ALPHABET)
# Crockford's decoding: the look-alikes of 1 and 0, and separators people type.
_READ = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None})


def display(code: str) -> str:
    """``K3F97QXM...`` as people read it: ``K3F9-7QXM-...``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(raw: str) -> str | None:
    """The stored form of a code as typed or scanned; None if it cannot be one."""
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    code = raw.strip().upper().translate(_READ)
    if len(code) != CODE_LENGTH or not _VALID.issuperset(code):
        return None
    return code
