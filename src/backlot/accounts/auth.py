"""Sign-in rules: passwords, token pairs, refresh rotation with reuse detection, Google."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts import service as accounts_service
from backlot.accounts.models import RefreshToken, Role, User
from backlot.accounts.schemas import RegisterRequest, TokenPair
from backlot.core.clock import Clock
from backlot.core.errors import ProblemError, forbidden, unauthorized
from backlot.core.security import (
    ACCESS_AUDIENCE,
    TokenSigner,
    digest_token,
    hash_password,
    new_opaque_token,
    verify_password,
)
from backlot.settings import Settings


@dataclass(frozen=True)
class RefreshReused:
    """A rotated or revoked refresh token came back: its whole family is now revoked."""

    family_id: str


async def register(session: AsyncSession, data: RegisterRequest) -> User:
    corporation_id = None
    role = Role.guest
    if data.corporation_name is not None:
        corporation = await accounts_service.add_corporation(session, name=data.corporation_name)
        corporation_id, role = corporation.id, Role.admin
    return await accounts_service.add_user(
        session,
        email=data.email,
        password_hash=await hash_password(data.password),
        display_name=data.display_name,
        role=role,
        corporation_id=corporation_id,
    )


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = await accounts_service.find_user_by_email(session, email)
    # verify_password does the same work whether or not the user exists.
    if not await verify_password(password, user.password_hash if user else None) or not user:
        raise unauthorized("invalid_credentials", "Wrong email or password.")
    return user


async def issue_token_pair(
    session: AsyncSession,
    settings: Settings,
    signer: TokenSigner,
    clock: Clock,
    user: User,
    family_id: str | None = None,
) -> TokenPair:
    ttl = timedelta(seconds=settings.access_token_ttl_seconds)
    access = signer.issue(str(user.id), ACCESS_AUDIENCE, ttl)
    refresh, digest = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=digest,
            family_id=family_id or uuid.uuid4().hex,
            expired_at=clock.now() + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    await session.flush()
    return TokenPair(
        access_token=access, refresh_token=refresh, expires_in=settings.access_token_ttl_seconds
    )


async def rotate_refresh_token(
    session: AsyncSession, settings: Settings, signer: TokenSigner, clock: Clock, token: str
) -> TokenPair | RefreshReused:
    now = clock.now()
    # Claiming the token is one conditional UPDATE, so two concurrent refreshes with the
    # same token cannot both win: the loser is treated as reuse.
    claimed = (
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == digest_token(token),
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expired_at > now,
            )
            .values(used_at=now)
            .returning(RefreshToken.user_id, RefreshToken.family_id)
        )
    ).one_or_none()
    if claimed is None:
        known = await session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == digest_token(token))
        )
        if known is None:
            raise unauthorized("invalid_refresh_token", "The refresh token is not valid.")
        if known.used_at is not None:
            await _revoke_family(session, known.family_id, clock)
            return RefreshReused(known.family_id)
        if known.revoked_at is not None:
            raise unauthorized("refresh_token_revoked", "The refresh token has been revoked.")
        raise unauthorized("refresh_token_expired", "The refresh token has expired.")
    user = await session.get(User, claimed.user_id)
    if user is None:
        raise unauthorized("invalid_refresh_token", "The refresh token is not valid.")
    return await issue_token_pair(session, settings, signer, clock, user, claimed.family_id)


async def logout(session: AsyncSession, clock: Clock, token: str) -> None:
    """Revoke the token's family; unknown tokens are refused so typos are visible."""
    known = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == digest_token(token))
    )
    if known is None:
        raise unauthorized("invalid_refresh_token", "The refresh token is not valid.")
    await _revoke_family(session, known.family_id, clock)


async def _revoke_family(session: AsyncSession, family_id: str, clock: Clock) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


async def sign_in_with_google(session: AsyncSession, claims: dict[str, Any]) -> User:
    """Find the user by Google subject, else link by verified email, else create one."""
    subject = str(claims["sub"])
    user = await accounts_service.find_user_by_google_sub(session, subject)
    if user is not None:
        return user
    email = claims.get("email")
    verified = claims.get("email_verified") in (True, "true")
    if not isinstance(email, str) or not verified:
        raise ProblemError(
            401, "email_not_verified", "The Google account has no verified email address."
        )
    user = await accounts_service.find_user_by_email(session, email)
    if user is not None:
        if user.google_sub is not None:
            raise forbidden(
                "This email is linked to another Google account.", code="google_account_conflict"
            )
        user.google_sub = subject
        await session.flush()
        return user
    name = claims.get("name")
    return await accounts_service.add_user(
        session,
        email=email.lower(),
        password_hash=None,
        display_name=name[:100] if isinstance(name, str) and name.strip() else None,
        role=Role.guest,
        corporation_id=None,
        google_sub=subject,
    )
