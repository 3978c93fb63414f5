"""Flows that go through the owner's mailbox: registering, confirming an address,
resetting a password. Their answers never tell whether an address has an account."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts import service as accounts_service
from backlot.accounts.mail_links import (
    consume_link_token,
    issue_link_token,
    link,
    password_reset_mail,
    post_after_commit,
    register_notice_mail,
    verification_mail,
)
from backlot.accounts.models import EmailPurpose, Role, User
from backlot.accounts.passwords import check_password_strength
from backlot.accounts.schemas import PasswordResetConfirm, RegisterRequest
from backlot.accounts.sessions import end_sessions
from backlot.accounts.throttle import may_mail, throttle_mail
from backlot.core.errors import ProblemError
from backlot.core.security import hash_password
from backlot.core.state import AppState


async def register(
    session: AsyncSession, state: AppState, *, data: RegisterRequest, client: str
) -> None:
    """Create the account and mail a confirmation link; for an address that already has
    an account, mail its owner instead. Both paths hash the password, so their timing
    does not tell them apart either. `client` is the asking client's address (mail
    limits)."""
    await check_password_strength(data.password, email=data.email, display_name=data.display_name)
    password_hash = await hash_password(data.password)
    try:
        # A savepoint: a concurrent registration of the same address makes the insert
        # fail, and only this part (the corporation too) is undone.
        async with session.begin_nested():
            user = await _add_account(session, data, password_hash)
    except ProblemError as exc:
        if exc.code != "email_taken":
            raise
        if await may_mail(state, email=data.email, client=client):
            notice = register_notice_mail(data.email, state.settings.public_url)
            post_after_commit(session, state.mailer, notice)
        return
    await send_verification(session, state, user=user)


async def _add_account(session: AsyncSession, data: RegisterRequest, password_hash: str) -> User:
    corporation_id = None
    role = Role.guest
    if data.corporation_name is not None:
        corporation = await accounts_service.add_corporation(session, name=data.corporation_name)
        corporation_id, role = corporation.id, Role.admin
    return await accounts_service.add_user(
        session,
        email=data.email,
        password_hash=password_hash,
        display_name=data.display_name,
        role=role,
        corporation_id=corporation_id,
    )


async def _mail_link(
    session: AsyncSession,
    state: AppState,
    user: User,
    purpose: EmailPurpose,
    ttl: timedelta,
    page: str,
) -> str:
    """Issue a link token for `user` and its link to `page`; the caller writes the mail."""
    token = await issue_link_token(session, state.clock, user=user, purpose=purpose, ttl=ttl)
    return link(state.settings.public_url, page, token)


async def send_verification(session: AsyncSession, state: AppState, *, user: User) -> None:
    hours = state.settings.email_verification_ttl_hours
    url = await _mail_link(
        session, state, user, EmailPurpose.verify_email, timedelta(hours=hours), "app/verify-email"
    )
    post_after_commit(session, state.mailer, verification_mail(user.email, url, hours))


async def resend_verification(
    session: AsyncSession, state: AppState, *, email: str, client: str
) -> None:
    await throttle_mail(state, email=email, client=client)
    user = await accounts_service.find_user_by_email(session, email)
    if user is not None and not user.email_verified:
        await send_verification(session, state, user=user)


async def verify_email(session: AsyncSession, state: AppState, *, token: str) -> None:
    user = await consume_link_token(
        session, state.clock, token=token, purpose=EmailPurpose.verify_email
    )
    user.email_verified = True
    await session.flush()


async def request_password_reset(
    session: AsyncSession, state: AppState, *, email: str, client: str
) -> None:
    await throttle_mail(state, email=email, client=client)
    user = await accounts_service.find_user_by_email(session, email)
    if user is None:
        return
    minutes = state.settings.password_reset_ttl_minutes
    url = await _mail_link(
        session,
        state,
        user,
        EmailPurpose.password_reset,
        timedelta(minutes=minutes),
        "app/reset-password",
    )
    post_after_commit(session, state.mailer, password_reset_mail(user.email, url, minutes))


async def reset_password(
    session: AsyncSession, state: AppState, *, data: PasswordResetConfirm
) -> None:
    """Set the new password from a reset link: the link proves the mailbox, so the address
    counts as verified; every session of the account ends."""
    user = await consume_link_token(
        session, state.clock, token=data.token, purpose=EmailPurpose.password_reset
    )
    await check_password_strength(
        data.new_password, email=user.email, display_name=user.display_name, field="new_password"
    )
    user.password_hash = await hash_password(data.new_password)
    user.email_verified = True
    await accounts_service.revoke_all_refresh_tokens(session, state.clock, user_id=user.id)
    await end_sessions(session, state.bus, user.id, "password_reset")
