"""URL tokens never reach a log line: `?token=...` (stream, audio and progress URLs),
`access_token` and `refresh_token` query values are replaced by `[redacted]`.

Two ways in, one rule: `RedactUrlTokens` is a logging filter for handlers configured
with dictConfig (`backlot serve`, `backlot worker`); `install_token_redaction()` wraps the
log record factory, so every record of the process is cleaned at birth, whatever
logger or handler it goes to (uvicorn's access log included).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

SECRET_PARAMETERS = frozenset({"token", "access_token", "refresh_token"})
REDACTED = "[redacted]"

# name=value pairs of a query string; a name may be percent-encoded (`%74oken` is
# `token` to the server's parser, so it must be to ours).
_PAIR = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&;#\s\"'?]+)=(?P<value>[^&;#\s\"']*)")


def _redact_pair(match: re.Match[str]) -> str:
    if unquote_plus(match["name"]).strip().lower() not in SECRET_PARAMETERS:
        return match[0]
    return f"{match['lead']}{match['name']}={REDACTED}"


def redact_url_tokens(text: str) -> str:
    if "=" not in text:
        return text
    return _PAIR.sub(_redact_pair, text)


def _redact_arg(arg: Any) -> Any:
    if isinstance(arg, str):
        return redact_url_tokens(arg)
    if isinstance(arg, int | float | bool) or arg is None:
        return arg
    text = str(arg)  # URL objects and the like: redacted as text when they carry a token
    cleaned = redact_url_tokens(text)
    return arg if cleaned == text else cleaned


def redact_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = redact_url_tokens(record.msg)
    if isinstance(record.args, dict):
        record.args = {key: _redact_arg(value) for key, value in record.args.items()}
    elif isinstance(record.args, tuple):
        record.args = tuple(_redact_arg(arg) for arg in record.args)


class RedactUrlTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_token_redaction() -> None:
    """Clean every log record of this process from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_url_tokens", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        redact_record(record)
        return record

    factory.redacts_url_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
