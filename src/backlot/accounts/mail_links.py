"""Single-use links sent by mail (verify an address, reset a password) and the mails.

The token travels in the link only; the database keeps its SHA-256 digest, the purpose,
and the address it was sent to, so a link stops working if the address changes.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import EmailPurpose, EmailToken, User
from backlot.core.clock import Clock
from backlot.core.db import after_commit
from backlot.core.errors import bad_request
from backlot.core.mail import Mail, Mailer
from backlot.core.security import digest_token, new_opaque_token


async def issue_link_token(
    session: AsyncSession, clock: Clock, *, user: User, purpose: EmailPurpose, ttl: timedelta
) -> str:
    token, digest = new_opaque_token()
    session.add(
        EmailToken(
            user_id=user.id,
            purpose=purpose,
            email=user.email,
            token_hash=digest,
            expired_at=clock.now() + ttl,
        )
    )
    await session.flush()
    return token


async def consume_link_token(
    session: AsyncSession, clock: Clock, *, token: str, purpose: EmailPurpose
) -> User:
    """The token's user; the token (and every other of that purpose) is used up. One
    conditional UPDATE claims it, so two requests cannot both use one link."""
    now = clock.now()
    claimed = (
        await session.execute(
            update(EmailToken)
            .where(
                EmailToken.token_hash == digest_token(token),
                EmailToken.purpose == purpose,
                EmailToken.used_at.is_(None),
                EmailToken.expired_at > now,
            )
            .values(used_at=now)
            .returning(EmailToken.user_id, EmailToken.email)
        )
    ).one_or_none()
    user = None if claimed is None else await session.get(User, claimed.user_id)
    if user is None or claimed is None or user.email != claimed.email:
        raise bad_request(
            "invalid_link_token", "This link is not valid, was already used, or has expired."
        )
    await session.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == user.id,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return user


def post_after_commit(session: AsyncSession, mailer: Mailer, mail: Mail) -> None:
    """Mail once the change it speaks of is committed; never when it is rolled back."""

    async def post() -> None:
        mailer.post(mail)

    after_commit(session, post)


def link(public_url: str, page: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/{page}?{urlencode({'token': token})}"


def verification_mail(to: str, url: str, ttl_hours: float) -> Mail:
    return Mail(
        to,
        "Confirm your email address",
        f"Confirm that this address is yours by opening this link:\n\n{url}\n\n"
        f"It works once, for {ttl_hours:g} hours. If you did not create an account, "
        "ignore this mail.",
    )


def register_notice_mail(to: str, public_url: str) -> Mail:
    return Mail(
        to,
        "Someone tried to register with your address",
        "Someone (perhaps you) tried to create an account with this address, which already "
        f"has one. Sign in at {public_url}, or reset your password there if you forgot it. "
        "If it was not you, you can ignore this mail: nothing changed.",
    )


def password_reset_mail(to: str, url: str, ttl_minutes: float) -> Mail:
    return Mail(
        to,
        "Reset your password",
        f"Choose a new password by opening this link:\n\n{url}\n\n"
        f"It works once, for {ttl_minutes:g} minutes. If you did not ask for this, "
        "ignore this mail: your password stays as it is.",
    )


def takeover_notice_mail(to: str, corporation: str | None) -> Mail:
    """`corporation`: the account's, when it has one; someone may have added this
    address to a corporation its owner never heard of."""
    membership = (
        f'\n\nThe account belongs to the corporation "{corporation}", whose admins can '
        "see it and change its role. If you do not know this corporation, ask the "
        "platform's operator to remove the account from it."
        if corporation is not None
        else ""
    )
    return Mail(
        to,
        "Your account now signs in with Google",
        "You signed in with Google using this address. The account registered with it "
        "had never confirmed the address, so its password was removed and every other "
        "session signed out: whoever set that password cannot use it. Sign in with Google, "
        "or set a password with 'forgot password'." + membership,
    )
