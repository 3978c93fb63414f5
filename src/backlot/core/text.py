"""Checks for text that is stored: PostgreSQL refuses NUL bytes in text columns, and a
name with control characters is never what a person meant."""

from __future__ import annotations

import unicodedata


def no_control_characters(value: str) -> str:
    """A pydantic AfterValidator for names; refuses NUL, escape, bell and the other Cc
    characters, and lone surrogates (JSON can carry them; UTF-8 cannot store them)."""
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ValueError("control characters are not allowed")
    return value


def storable(value: str) -> str:
    """A pydantic AfterValidator for longer text (line breaks welcome): refuses only what
    the database cannot store, NUL and lone surrogates."""
    if "\x00" in value or any(unicodedata.category(char) == "Cs" for char in value):
        raise ValueError("NUL characters and lone surrogates are not allowed")
    return value
