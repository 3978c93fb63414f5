"""Checks for text that is stored: PostgreSQL refuses NUL bytes in text columns, and a
name with control or invisible format characters is never what a person meant."""

from __future__ import annotations

import unicodedata


def no_control_characters(value: str) -> str:
    """A pydantic AfterValidator for names (file names, display names, titles).

    Refuses NUL, escape, bell and the other Cc characters; lone surrogates (JSON can carry
    them, UTF-8 cannot store them); and the invisible Cf characters: bidi embeddings,
    overrides and isolates (which make `gpj.exe` display as `exe.jpg`), zero-width spaces
    and joiners, BOMs and soft hyphens (which make two names look the same yet differ).
    """
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs"):
            raise ValueError("control characters are not allowed")
        if category == "Cf":
            raise ValueError(
                f"invisible formatting characters (U+{ord(char):04X}) are not allowed in names"
            )
    return value


def storable(value: str) -> str:
    """A pydantic AfterValidator for longer text (line breaks welcome): refuses only what
    the database cannot store, NUL and lone surrogates."""
    if "\x00" in value or any(unicodedata.category(char) == "Cs" for char in value):
        raise ValueError("NUL characters and lone surrogates are not allowed")
    return value
