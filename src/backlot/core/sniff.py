"""What a file is, from its first bytes rather than its name or the client's word."""

from __future__ import annotations

# How many leading bytes `sniff` needs to tell every kind below apart.
SNIFF_BYTES = 128

IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp", "image/tiff"}
)


VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm", "video/x-matroska"})

# Recordings: browsers' MediaRecorder writes WebM (Chrome, Firefox) or MP4 (Safari)
# containers, which sniff as video; the decoder then checks they hold audio.
AUDIO_TYPES = frozenset(
    {
        "audio/wav",
        "audio/mpeg",
        "audio/aac",
        "audio/mp4",
        "audio/ogg",
        "audio/flac",
        "video/webm",
        "video/mp4",
    }
)


def _audio(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # A frame sync: layer bits 00 are AAC in ADTS, anything else MPEG audio (MP3).
        return "audio/aac" if head[1] & 0x06 == 0 else "audio/mpeg"
    return None


def _iso_media(head: bytes) -> str | None:
    """ISO base media (MP4, MOV, M4A...): a `ftyp` box first, whose brand says which."""
    if head[4:8] != b"ftyp":
        return None
    brand = head[8:12]
    if brand == b"qt  ":
        return "video/quicktime"
    if brand in (b"M4A ", b"M4B "):
        return "audio/mp4"
    return "video/mp4"


def _matroska(head: bytes) -> str | None:
    """EBML header, then a DocType saying webm or matroska (within the first bytes)."""
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    if b"webm" in head:
        return "video/webm"
    if b"matroska" in head:
        return "video/x-matroska"
    return None


def sniff(head: bytes) -> str | None:
    """The MIME type of a file starting with `head`, or None when it is none we know."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM" and len(head) >= 14:
        return "image/bmp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return _iso_media(head) or _matroska(head) or _audio(head)
