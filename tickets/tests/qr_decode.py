"""Reading QR codes back, as a phone at the door would: PNG through Pillow, and the SVG
drawn pixel by pixel from its path, both decoded by zxing-cpp."""

import io
import re
import xml.etree.ElementTree as ET

import zxingcpp
from PIL import Image

_SVG = "{http://www.w3.org/2000/svg}"
_COMMAND = re.compile(r"([MmHhVv])\s*(-?[\d.]+)(?:[\s,]+(-?[\d.]+))?")


def decode_png(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data))
    image.load()
    return [barcode.text for barcode in zxingcpp.read_barcodes(image.convert("L"))]


def _svg_modules(root) -> tuple[int, int, list[tuple[int, int]]]:
    """The dark modules of a QR code drawn by segno: one path of horizontal strokes
    (``M x y`` / ``m dx dy`` moves, ``h n`` strokes), each module 1 unit wide, drawn at
    half a unit below its row's top, scaled by the path's ``transform``."""
    path = root.find(f"{_SVG}path")
    scale = float(re.search(r"scale\(([\d.]+)\)", path.get("transform", "scale(1)")).group(1))
    x = y = 0.0
    dark = []
    for command, first, second in _COMMAND.findall(path.get("d")):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        elif command in "hH":
            length = float(first) if command == "h" else float(first) - x
            dark.extend((int(x) + i, int(y - 0.5)) for i in range(int(length)))
            x += length
    width = int(float(root.get("width")) / scale)
    height = int(float(root.get("height")) / scale)
    return width, height, dark


def decode_svg(data: bytes, *, pixels_per_module: int = 4) -> list[str]:
    root = ET.fromstring(data)  # noqa: S314  (our own server's SVG)
    assert root.tag == f"{_SVG}svg", root.tag
    width, height, dark = _svg_modules(root)
    image = Image.new("L", (width * pixels_per_module, height * pixels_per_module), 255)
    for column, row in dark:
        image.paste(
            0,
            (
                column * pixels_per_module,
                row * pixels_per_module,
                (column + 1) * pixels_per_module,
                (row + 1) * pixels_per_module,
            ),
        )
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]
