"""Seed 002's wire format: JSON text frames `{t, payload}`, parsed without trusting them.

`parse` turns any frame into one typed message or a `ProtocolError` with a stable code;
it never raises anything else (the Hypothesis test holds it to that).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

BlockId = Annotated[StrictStr, Field(min_length=1, max_length=128)]


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LockAcquire(_Payload):
    t: Literal["LOCK_ACQUIRE"] = "LOCK_ACQUIRE"
    blockId: BlockId  # noqa: N815 - the seed's field names


class Commit(_Payload):
    t: Literal["COMMIT"] = "COMMIT"
    blockId: BlockId  # noqa: N815
    events: list[Any] = Field(max_length=10_000)
    workspaceXml: StrictStr | None = None  # noqa: N815
    token: Annotated[StrictInt, Field(ge=1)] | None = None


class Heartbeat(_Payload):
    t: Literal["HEARTBEAT"] = "HEARTBEAT"


class Auth(_Payload):
    """A fresh access token of the socket's user, before the one it connected with expires."""

    t: Literal["AUTH"] = "AUTH"
    token: Annotated[StrictStr, Field(min_length=1, max_length=4096)]


Inbound = LockAcquire | Commit | Heartbeat | Auth

INBOUND: dict[str, type[LockAcquire] | type[Commit] | type[Heartbeat] | type[Auth]] = {
    "LOCK_ACQUIRE": LockAcquire,
    "COMMIT": Commit,
    "HEARTBEAT": Heartbeat,
    "AUTH": Auth,
}


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "payload"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)[:500]


def _has_lone_surrogate(message: Any) -> bool:
    try:
        json.dumps(message, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse(frame: str | bytes) -> Inbound:
    """One client frame as a message; ProtocolError for anything else."""
    if isinstance(frame, bytes):
        raise ProtocolError("invalid_message", "Send JSON text frames, not binary ones.")
    try:
        # The standard parser: orjson would read integers over 64 bits as floats.
        message = json.loads(frame)
    except (ValueError, RecursionError):
        raise ProtocolError("invalid_json", "The frame is not JSON.") from None
    if not isinstance(message, dict):
        raise ProtocolError("invalid_message", "A message is a JSON object {t, payload}.")
    if "\\u" in frame and _has_lone_surrogate(message):
        # JSON escapes can smuggle them in; they could be neither stored nor sent on.
        raise ProtocolError("invalid_message", "The message holds lone surrogates.")
    kind = message.get("t")
    if not isinstance(kind, str):
        raise ProtocolError("invalid_message", "A message needs a string `t`.")
    model = INBOUND.get(kind)
    if model is None:
        raise ProtocolError(
            "unknown_type", f"Unknown message type {kind[:40]!r}; use {', '.join(INBOUND)}."
        )
    payload = message.get("payload", {})
    if not isinstance(payload, dict):
        raise ProtocolError("invalid_message", "`payload` must be a JSON object.")
    try:
        return model.model_validate({**payload, "t": kind})
    except ValidationError as exc:
        raise ProtocolError("validation_failed", _describe(exc)) from None


def encode(kind: str, payload: dict[str, Any]) -> str:
    """One server frame; built once per event and sent to every socket as is."""
    message = {"t": kind, "payload": payload}
    try:
        return orjson.dumps(message).decode()
    except TypeError:  # orjson's refusals (integers over 64 bits): the standard encoder
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False)
