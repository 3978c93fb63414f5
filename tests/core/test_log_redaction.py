"""URL tokens are redacted from log records shaped like uvicorn's access records and from
our own, whatever the parameter order or encoding."""

from __future__ import annotations

import logging

import pytest

from backlot.core.log_redaction import RedactUrlTokens, install_token_redaction


def _access_record(path: str) -> logging.LogRecord:
    # uvicorn.protocols.http: '%s - "%s %s HTTP/%s" %d' with these five arguments.
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/v1/videos/stream/1?token=abc.def", "/v1/videos/stream/1?token=[redacted]"),
        ("/p?a=1&token=abc&b=2", "/p?a=1&token=[redacted]&b=2"),
        ("/p?access_token=abc", "/p?access_token=[redacted]"),
        ("/p?refresh_token=abc&token=def", "/p?refresh_token=[redacted]&token=[redacted]"),
        ("/p?TOKEN=abc", "/p?TOKEN=[redacted]"),
        ("/p?%74oken=abc", "/p?%74oken=[redacted]"),
        ("/p?tokens=keep&mytoken=keep", "/p?tokens=keep&mytoken=keep"),
        ("/p?nickname=ann", "/p?nickname=ann"),
    ],
)
def test_the_filter_redacts_access_records(path: str, expected: str) -> None:
    record = _access_record(path)
    RedactUrlTokens().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "GET {expected} HTTP/1.1" 200'


def test_every_record_of_the_process_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_token_redaction()
    install_token_redaction()  # idempotent
    with caplog.at_level(logging.INFO):
        logging.getLogger("backlot.anything").info("fetching %s", "/x?token=s3cr3t")
        logging.getLogger("backlot.other").info("inline /y?a=b&access_token=s3cr3t")
    assert "s3cr3t" not in caplog.text
    assert caplog.text.count("[redacted]") == 2
