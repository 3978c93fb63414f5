"""Standard Webhooks (standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body` with a
shared secret (`whsec_` + base64), sent as `webhook-id`, `webhook-timestamp` and
`webhook-signature: v1,<base64>` (several, space-separated, while keys rotate)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import datetime

TOLERANCE_SECONDS = 5 * 60
PREFIX = "whsec_"
MAX_STAMP_DIGITS = 12  # seconds until the year 33658


class WebhookError(ValueError):
    pass


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except ValueError as exc:
        raise WebhookError("the webhook secret is not whsec_<base64>") from exc


def new_secret() -> str:
    return PREFIX + base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secret: str, body: bytes, now: datetime, message_id: str | None = None
) -> dict[str, str]:
    """The three headers of a webhook delivery of `body`."""
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    timestamp = int(now.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(secrets: list[str], received: Mapping[str, str], body: bytes, now: datetime) -> str:
    """The webhook id when one of the signatures is right for one of `secrets` (the raw
    body bytes, never re-serialised JSON) and the timestamp is within five minutes."""
    message_id = received.get("webhook-id")
    stamp = received.get("webhook-timestamp")
    signatures = received.get("webhook-signature")
    if not message_id or not stamp or not signatures:
        raise WebhookError("missing webhook-id, webhook-timestamp or webhook-signature")
    # ASCII digits only, and few: str.isdigit() also takes superscripts, which int()
    # refuses, and a thousand digits would overflow the float subtraction.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_STAMP_DIGITS):
        raise WebhookError("webhook-timestamp is not a number of seconds")
    if abs(now.timestamp() - int(stamp)) > TOLERANCE_SECONDS:
        raise WebhookError("webhook-timestamp is more than five minutes away")
    offered = [s.split(",", 1)[1] for s in signatures.split() if s.startswith("v1,")]
    for secret in secrets:
        expected = sign(secret, message_id, int(stamp), body).split(",", 1)[1]
        if any(hmac.compare_digest(expected.encode(), sig.encode()) for sig in offered):
            return message_id
    raise WebhookError("no valid signature")
