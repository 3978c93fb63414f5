"""Our Standard Webhooks signatures, checked with the official `standardwebhooks`
package both ways, and forgeries refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from backlot.core.webhooks import WebhookError, headers, new_secret, sign, verify

BODY = b'{"job_id": "abc", "scores": {"overall": 88.5}}'


def test_the_official_library_accepts_our_signatures() -> None:
    secret = new_secret()
    now = datetime.now(UTC)
    sent = headers(secret, BODY, now)
    assert Webhook(secret).verify(BODY, sent) == {"job_id": "abc", "scores": {"overall": 88.5}}


def test_we_accept_the_official_librarys_signatures() -> None:
    secret = new_secret()
    now = datetime.now(UTC).replace(microsecond=0)
    signature = Webhook(secret).sign("msg_1", now, BODY.decode())
    received = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert verify([secret], received, BODY, now) == "msg_1"


def test_forgeries_and_stale_deliveries_are_refused() -> None:
    secret, other = new_secret(), new_secret()
    now = datetime.now(UTC)
    good = headers(secret, BODY, now, "msg_2")
    cases = {
        "other key": headers(other, BODY, now, "msg_2"),
        "body changed": {**good},
        "id changed": {**good, "webhook-id": "msg_3"},
        "no signature": {k: v for k, v in good.items() if k != "webhook-signature"},
        "not v1": {**good, "webhook-signature": good["webhook-signature"].replace("v1,", "v2,")},
        "too old": headers(secret, BODY, now - timedelta(minutes=6), "msg_2"),
        "too new": headers(secret, BODY, now + timedelta(minutes=6), "msg_2"),
        "bad timestamp": {**good, "webhook-timestamp": "soon"},
    }
    for name, received in cases.items():
        body = BODY + b" " if name == "body changed" else BODY
        with pytest.raises(WebhookError):
            verify([secret], received, body, now)
    assert verify([secret], good, BODY, now) == "msg_2"  # the genuine one passes


def test_several_signatures_and_keys_for_rotation() -> None:
    old, new = new_secret(), new_secret()
    now = datetime.now(UTC)
    message = headers(new, BODY, now, "msg_4")
    stamp = int(message["webhook-timestamp"])
    both = f"{sign(old, 'msg_4', stamp, BODY)} {message['webhook-signature']}"
    assert verify([old], {**message, "webhook-signature": both}, BODY, now) == "msg_4"
    assert verify([new, old], message, BODY, now) == "msg_4"
    with pytest.raises(WebhookError):
        verify(["whsec_not base64!"], message, BODY, now)


@pytest.mark.parametrize("stamp", ["²³", "\u0661" * 10, "9" * 400, "9" * 5000, "+1", ""])
def test_a_timestamp_that_is_not_ascii_seconds_is_a_webhook_error(stamp: str) -> None:
    secret = new_secret()
    sent = headers(secret, BODY, datetime.now(UTC)) | {"webhook-timestamp": stamp}
    with pytest.raises(WebhookError):
        verify([secret], sent, BODY, datetime.now(UTC))
