"""A real SMTP server (aiosmtpd on 127.0.0.1, a free port) that the app mails through."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import anyio
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from backlot.core.settings import Settings
from tests.helpers import free_port

_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_\-]+)")


class Mailbox:
    """What the SMTP server received, in order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> EmailMessage:
        """The `count`-th mail to `address`, once it arrived (mails are sent in the
        background after the request's commit)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail #{count} to {address}: {self.summary()}")
            await anyio.sleep(0.02)
        return self.to(address)[count - 1]

    async def link_token(self, address: str, count: int = 1) -> str:
        message = await self.wait_for(address, count)
        match = _TOKEN.search(message.get_content())
        assert match, message.get_content()
        return match[1]

    def summary(self) -> list[tuple[str, str]]:
        return [(str(m["To"]), str(m["Subject"])) for m in self.messages]


@pytest.fixture
def mailbox(settings: Settings) -> Iterator[Mailbox]:
    """Request it before `client`/`app`: it points the settings at the server."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_url = SecretStr(f"smtp://127.0.0.1:{port}")
    settings.mail_from = "Backlot <no-reply@backlot.test>"
    try:
        yield box
    finally:
        controller.stop()
