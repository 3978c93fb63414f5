"""Pixel sizes read from image headers, for every type uploads accept."""

from __future__ import annotations

import struct

import pytest

from backlot.labeling.imagesize import image_size

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + struct.pack(">II", 640, 480) + bytes(8)
GIF = b"GIF89a" + struct.pack("<HH", 320, 200) + bytes(8)
BMP = b"BM" + bytes(16) + struct.pack("<ii", 100, -50) + bytes(8)
# SOI, an APP0 segment to skip, then SOF2 (progressive) with height 300, width 400
JPEG = (
    b"\xff\xd8"
    + b"\xff\xe0"
    + struct.pack(">H", 16)
    + bytes(14)
    + b"\xff\xc2"
    + struct.pack(">HBHH", 17, 8, 300, 400)
    + bytes(12)
)
WEBP_X = (
    b"RIFF"
    + bytes(4)
    + b"WEBPVP8X"
    + bytes(8)
    + (1023).to_bytes(3, "little")
    + (767).to_bytes(3, "little")
)
WEBP_LOSSLESS = (
    b"RIFF"
    + bytes(4)
    + b"WEBPVP8L"
    + bytes(4)
    + b"\x2f"
    + ((99) | (49 << 14)).to_bytes(4, "little")
)
TIFF = (
    b"II*\x00"
    + struct.pack("<I", 8)
    + struct.pack("<H", 2)
    + struct.pack("<HHII", 256, 3, 1, 123)
    + struct.pack("<HHII", 257, 4, 1, 456)
)


@pytest.mark.parametrize(
    ("head", "content_type", "size"),
    [
        (PNG, "image/png", (640, 480)),
        (GIF, "image/gif", (320, 200)),
        (BMP, "image/bmp", (100, 50)),
        (JPEG, "image/jpeg", (400, 300)),
        (WEBP_X, "image/webp", (1024, 768)),
        (WEBP_LOSSLESS, "image/webp", (100, 50)),
        (TIFF, "image/tiff", (123, 456)),
        (b"\xff\xd8\xff\xe0" + bytes(10), "image/jpeg", None),  # cut short
        (b"\x89PNG\r\n\x1a\n" + bytes(3), "image/png", None),
        (PNG, "video/mp4", None),
    ],
)
def test_image_size(head: bytes, content_type: str, size: tuple[int, int] | None) -> None:
    assert image_size(head, content_type) == size
