"""Names that become Redis hash tags (`{name}` inside keys): lock scopes, bus channels."""

from __future__ import annotations

import re

# Braces would end the tag early and spread one scope's keys over several slots.
_TAGGABLE = re.compile(r"[A-Za-z0-9_.:\-]{1,200}")


def check_tag(value: str, what: str) -> str:
    """`value` if it is 1-200 letters, digits or `_.:-`; else ValueError naming `what`."""
    if not _TAGGABLE.fullmatch(value):
        raise ValueError(f"invalid {what} {value!r}")
    return value
