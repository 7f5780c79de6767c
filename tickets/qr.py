"""QR codes of ticket codes, drawn by segno (pure Python, no image library)."""

import io

import segno

# Error correction M at least (segno raises it when the symbol has room to spare): a
# phone screen with a crack or glare still scans.
_ERROR = "m"
# A border of four modules is what the QR standard asks for as quiet zone.
_BORDER = 4


def _qr(code: str):
    return segno.make_qr(code, error=_ERROR)


def qr_svg(code: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="svg", scale=scale, border=_BORDER, title=code)
    return buffer.getvalue()


def qr_png(code: str, *, scale: int = 8) -> bytes:
    buffer = io.BytesIO()
    _qr(code).save(buffer, kind="png", scale=scale, border=_BORDER)
    return buffer.getvalue()


def qr_matrix(code: str) -> list[list[bool]]:
    """The symbol's modules, row by row from the top, quiet zone included: for drawing
    the same QR code as vector shapes (the printed tickets, tickets.pdf)."""
    return [[bool(module) for module in row] for row in _qr(code).matrix_iter(border=_BORDER)]
