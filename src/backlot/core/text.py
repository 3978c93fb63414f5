"""Checks for text that is stored: PostgreSQL refuses NUL bytes in text columns, and a
name with control characters is never what a person meant."""

from __future__ import annotations

import unicodedata


def no_control_characters(value: str) -> str:
    """A pydantic AfterValidator; refuses NUL, escape, bell and the other Cc characters."""
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValueError("control characters are not allowed")
    return value
