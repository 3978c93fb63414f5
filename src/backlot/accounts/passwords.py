"""What makes a password acceptable: long enough, not blank, not guessable.

Length and blankness are checked by the schemas (`Password`); guessability needs the
person's own words (their email, their name), so it is checked where those are known.
"""

from __future__ import annotations

import re

import anyio

from backlot.core.errors import ProblemError

MIN_LENGTH = 10
MIN_SCORE = 2  # zxcvbn: 0 too guessable, 1 very guessable, 2 somewhat guessable...
# zxcvbn refuses passwords over 72 characters (ValueError) and its cost grows with
# length; what it says of the first 72 holds for the rest.
_SCORED_LENGTH = 72


def not_blank(value: str) -> str:
    """A pydantic AfterValidator: eight spaces are not a password."""
    if not value.strip():
        raise ValueError("a password cannot be only spaces")
    return value


def _user_inputs(email: str | None, display_name: str | None) -> list[str]:
    words: list[str] = [email.partition("@")[0]] if email else []
    for text in (email, display_name):
        if text:
            words.append(text)
            words.extend(part for part in re.split(r"[^\w]+", text) if len(part) > 2)
    return words


def _verdict(password: str, inputs: list[str]) -> str | None:
    # Imported on first use: its dictionaries are 12 MB the API process needs only
    # when someone chooses a password.
    from zxcvbn import zxcvbn  # type: ignore[import-untyped]  # no stubs published

    result = zxcvbn(password[:_SCORED_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result.get("feedback") or {}
    warning = feedback.get("warning") or "This password is too easy to guess."
    hints = " ".join(feedback.get("suggestions") or [])
    return f"{warning.rstrip('.')}. {hints or 'Add more words that are less common.'}".strip()


async def check_password_strength(
    password: str, *, email: str | None, display_name: str | None, field: str = "password"
) -> None:
    """Refuse (422 `weak_password`) a password that is common or built from the user's
    own email or name; the `errors` entry says why in a sentence."""
    reason = await anyio.to_thread.run_sync(_verdict, password, _user_inputs(email, display_name))
    if reason is not None:
        raise ProblemError(
            422,
            "weak_password",
            f"Choose a stronger password: {reason}",
            errors=[{"loc": ["body", field], "msg": reason, "type": "weak_password"}],
        )
