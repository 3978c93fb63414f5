"""Outgoing mail: SMTP when configured, `.eml` files under <var_dir>/mail/ otherwise.

Mails are posted, not awaited by the request: a slow or failing mail server must
neither delay an answer nor make answers differ in time (which would tell a caller
whether an address has an account). A failed delivery is logged; the user can ask again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import anyio

from backlot.core.secrets import ConfigurationError

log = logging.getLogger("backlot.mail")


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer(ABC):
    def __init__(self, sender: str) -> None:
        self.sender = sender
        self._pending: set[asyncio.Task[None]] = set()

    def post(self, mail: Mail) -> None:
        """Send in the background (see the module's note)."""
        task = asyncio.create_task(self._send_logged(mail), name="mail")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def send(self, mail: Mail) -> None:
        await self._deliver(self._message(mail))

    async def close(self) -> None:
        """Let mails already posted go out (the caller bounds the wait)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2].strip("> "))
        message.set_content(mail.text)
        return message

    async def _send_logged(self, mail: Mail) -> None:
        try:
            await self.send(mail)
        except Exception:
            log.exception("mail to %s (%s) was not sent", mail.to, mail.subject)

    @abstractmethod
    async def _deliver(self, message: EmailMessage) -> None: ...


class SmtpMailer(Mailer):
    """smtp://[user:password@]host[:587] upgrades with STARTTLS when the server offers it;
    smtps://...:465 speaks TLS from the start."""

    def __init__(self, url: str, sender: str) -> None:
        super().__init__(sender)
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigurationError("BACKLOT_SMTP_URL must be smtp://host[:port] or smtps://...")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 587)
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None

    async def _deliver(self, message: EmailMessage) -> None:
        import aiosmtplib

        await aiosmtplib.send(
            message,
            hostname=self._host,
            port=self._port,
            username=self._username,
            password=self._password,
            use_tls=self._tls,
            start_tls=False if self._tls else None,
            timeout=30,
        )


class FileMailer(Mailer):
    """The embedded default: each mail becomes <directory>/<time>-<id>.eml and the log
    says where, so the quickstart works without a mail server (open the file for the link)."""

    def __init__(self, directory: Path, sender: str) -> None:
        super().__init__(sender)
        self.directory = directory

    async def _deliver(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{time.time_ns() // 1_000_000}-{uuid.uuid4().hex[:8]}.eml"
        await anyio.Path(path).write_bytes(bytes(message))
        # The file, not the text: log redaction would hide the link's token anyway.
        log.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)


def build_mailer(smtp_url: str | None, sender: str, var_dir: Path) -> Mailer:
    if smtp_url:
        return SmtpMailer(smtp_url, sender)
    return FileMailer(var_dir / "mail", sender)
