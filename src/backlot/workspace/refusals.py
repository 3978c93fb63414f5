"""Why a workspace socket is turned away or closed: its close codes, and the checks of
the connect URL's parameters."""

from __future__ import annotations

import re

# Close codes: RFC 6455's where one fits, else 4000 + the HTTP status it resembles.
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008  # flooding
CLOSE_TRY_LATER = 1013  # fell too far behind the room
CLOSE_ERROR = 1011
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_IDLE = 4408
CLOSE_FULL = 4409
CLOSE_GONE = 4410  # the room was deleted
CLOSE_TOO_MANY = 4429

SEQUENCE = re.compile(r"[0-9]{1,18}")


class Refused(Exception):  # noqa: N818 - a refusal, not an error of ours
    def __init__(self, close_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.close_code, self.code, self.message = close_code, code, message


def check_nickname(value: str | None) -> str:
    if value is None or not 1 <= len(value) <= 32 or not value.isprintable():
        raise Refused(
            CLOSE_BAD_REQUEST, "invalid_nickname", "nickname must be 1-32 printable characters."
        )
    return value


def check_since(value: str | None) -> int | None:
    if value is None:
        return None
    # ASCII digits only: str.isdigit() also passes '²', which int() then refuses.
    if not SEQUENCE.fullmatch(value):
        raise Refused(CLOSE_BAD_REQUEST, "invalid_since", "since must be a sequence number.")
    return int(value)
