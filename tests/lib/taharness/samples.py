"""Sample files for the demo and the browser tests: small pictures made here (PNG, written with
zlib alone, so no imaging library is needed), text, a folder."""

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width: int, height: int, pixel) -> bytes:
    """An 8-bit RGB PNG; pixel(x, y) gives (r, g, b)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(bytes(pixel(x, y)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) +
            _chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _chunk(b"IEND", b""))


def sunset(width: int = 320, height: int = 200) -> bytes:
    """A sky fading from orange to purple over a dark sea."""
    def pixel(x, y):
        if y > height * 2 // 3:
            return (20, 30 + y % 7, 70)
        t = y / (height * 2 / 3)
        return (int(250 - 120 * t), int(140 - 100 * t), int(60 + 90 * t))
    return png(width, height, pixel)


def checkers(width: int = 320, height: int = 200, size: int = 20) -> bytes:
    """A green and white chequerboard."""
    return png(width, height, lambda x, y: (40, 150, 60) if (x // size + y // size) % 2
               else (240, 240, 230))


def rings(width: int = 320, height: int = 200) -> bytes:
    """Blue rings around the middle."""
    cx, cy = width // 2, height // 2

    def pixel(x, y):
        d = int(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5)
        return (30, 90, 200) if d // 12 % 2 else (220, 230, 250)
    return png(width, height, pixel)


PICTURES = {"sunset.png": sunset, "checkers.png": checkers, "rings.png": rings}
