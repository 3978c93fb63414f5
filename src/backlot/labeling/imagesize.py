"""An image's pixel size from its first bytes, for the formats uploads accept (no decoder:
only the header is read). None when the header is not understood."""

from __future__ import annotations

import struct

HEAD_BYTES = 256 * 1024  # a JPEG's frame header may follow large EXIF/ICC segments


def _png(head: bytes) -> tuple[int, int] | None:
    if head[12:16] != b"IHDR" or len(head) < 24:
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def _gif(head: bytes) -> tuple[int, int] | None:
    width, height = struct.unpack("<HH", head[6:10])
    return int(width), int(height)


def _bmp(head: bytes) -> tuple[int, int] | None:
    width, height = struct.unpack("<ii", head[18:26])
    return abs(int(width)), abs(int(height))  # negative height: rows stored top-down


def _jpeg(head: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 < len(head):
        if head[at] != 0xFF:
            return None
        marker = head[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length: standalone
            at += 2
            continue
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        (length,) = struct.unpack(">H", head[at + 2 : at + 4])
        # SOF0..SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[at + 5 : at + 9])
            return int(width), int(height)
        at += 2 + length
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _tiff(head: bytes) -> tuple[int, int] | None:
    order = "<" if head[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", head[4:8])
    (count,) = struct.unpack(order + "H", head[ifd : ifd + 2])
    found: dict[int, int] = {}
    for i in range(count):
        entry = head[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):  # ImageWidth, ImageLength: SHORT (3) or LONG (4)
            fmt = order + ("H" if kind == 3 else "I")
            found[tag] = int(struct.unpack(fmt, entry[8 : 8 + struct.calcsize(fmt)])[0])
    if 256 in found and 257 in found:
        return found[256], found[257]
    return None


def image_size(head: bytes, content_type: str) -> tuple[int, int] | None:
    reader = {
        "image/png": _png,
        "image/gif": _gif,
        "image/bmp": _bmp,
        "image/jpeg": _jpeg,
        "image/webp": _webp,
        "image/tiff": _tiff,
    }.get(content_type)
    if reader is None:
        return None
    try:
        size = reader(head)
    except (struct.error, IndexError):
        return None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size
