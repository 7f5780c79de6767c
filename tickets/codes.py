"""Ticket codes: 140 random bits from ``secrets``, written in Crockford's base32.

28 characters of ``0-9`` and ``A-Z`` without I, L, O and U: URL-safe as they are, in QR
codes' compact alphanumeric mode, and hard to misread. How they are written and read
(``display``, ``normalise``) lives in core/ticket_codes.py, where the layers below
tickets can read a typed code too; the names stay importable from here.
"""

import secrets

from core.ticket_codes import ALPHABET, CODE_LENGTH, GROUP, display, normalise

__all__ = ["ALPHABET", "CODE_LENGTH", "GROUP", "display", "new_code", "normalise"]

_BITS = CODE_LENGTH * 5


def new_code() -> str:
    number = secrets.randbits(_BITS)
    chars = []
    for _ in range(CODE_LENGTH):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))
