"""Sample files for the demo and the browser tests: small pictures made here (PNG, written with
zlib alone, so no imaging library is needed) and a one-page PDF written by hand."""

import math
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


def _mix(a, b, t: float) -> tuple:
    """The colour t of the way from a to b (t in 0..1)."""
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b))


def _speck(x: int, y: int, one_in: int) -> bool:
    """A scatter without visible lines: true for about one pixel in one_in."""
    h = (x * 374761393 + y * 668265263) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * 1274126177) & 0xFFFFFFFF
    return (h ^ (h >> 16)) % one_in == 0


def _sky(y: int, height: int, top, bottom) -> tuple:
    return _mix(top, bottom, min(1.0, y / max(1, height)))


def mountains(width: int = 320, height: int = 200) -> bytes:
    """Two grey ridges with snowy tops under a blue sky, a green valley in front."""
    def ridge(x, peak, base, period):
        return base - abs((x % period) - period / 2) * (base - peak) / (period / 2)

    def pixel(x, y):
        far, near = ridge(x, height * 0.2, height * 0.6, width * 0.7), \
            ridge(x + width // 3, height * 0.35, height * 0.8, width * 0.5)
        if y > height * 0.85:
            return (60, 130 + y % 5, 50)
        if y > near:
            return (90, 95, 105)
        if y > far:
            return (240, 240, 245) if y < far + height * 0.05 else (130, 135, 150)
        return _sky(y, height // 2, (70, 130, 220), (180, 210, 240))
    return png(width, height, pixel)


def night_sky(width: int = 320, height: int = 200) -> bytes:
    """A pale moon and a scatter of stars on deep blue."""
    mx, my, r = width * 3 // 4, height // 3, min(width, height) // 8

    def pixel(x, y):
        if (x - mx) ** 2 + (y - my) ** 2 <= r * r:
            return (245, 240, 200)
        if _speck(x, y, 400):
            return (255, 255, 255)
        return _sky(y, height, (5, 10, 40), (30, 40, 90))
    return png(width, height, pixel)


def waves(width: int = 320, height: int = 200) -> bytes:
    """Rolling teal waves."""
    def pixel(x, y):
        crest = math.sin(x / 25.0 + (y // 20) * 1.3) * 6
        return (20, 120, 150) if (y + crest) // 20 % 2 else (90, 190, 200)
    return png(width, height, pixel)


def meadow(width: int = 320, height: int = 200) -> bytes:
    """A sun over green hills with yellow flowers."""
    sx, sy, r = width // 5, height // 4, min(width, height) // 10

    def pixel(x, y):
        hill = height * 0.6 + math.sin(x / 40.0) * height * 0.06
        if y > hill:
            if _speck(x, y, 60):
                return (250, 220, 40)
            return (70, 160 - int((y - hill) / 3) % 40, 60)
        if (x - sx) ** 2 + (y - sy) ** 2 <= r * r:
            return (255, 210, 60)
        return _sky(y, height, (110, 170, 240), (200, 230, 250))
    return png(width, height, pixel)


def beach(width: int = 320, height: int = 200) -> bytes:
    """Sky, a blue sea and sand."""
    def pixel(x, y):
        if y > height * 0.7:
            return (230, 205, 150) if (x + y) % 9 else (215, 190, 135)
        if y > height * 0.45:
            return (30, 110, 170) if y % 6 else (120, 180, 220)
        return _sky(y, height // 2, (120, 180, 240), (220, 235, 250))
    return png(width, height, pixel)


PHOTOS = dict(PICTURES, **{"mountains.png": mountains, "night-sky.png": night_sky,
                           "waves.png": waves, "meadow.png": meadow, "beach.png": beach})


def _pdf_text(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(title: str, lines) -> bytes:
    """A one-page A4 PDF (PDF 1.4, Helvetica) with a title and lines of text; ASCII only."""
    body = "BT /F1 20 Tf 72 770 Td (%s) Tj ET\nBT /F1 12 Tf 72 730 Td 16 TL\n" % _pdf_text(title)
    body += "".join("(%s) Tj T*\n" % _pdf_text(ln) for ln in lines) + "ET\n"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Length %d >>\nstream\n%sendstream" % (len(body), body),
    ]
    out = "%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += "%d 0 obj\n%s\nendobj\n" % (i, obj)
    xref = len(out)
    out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += "".join("%010d 00000 n \n" % off for off in offsets)
    out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out.encode("ascii")
