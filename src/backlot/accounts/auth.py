"""Sign-in rules: passwords, token pairs, refresh rotation with reuse detection (and a
grace for tabs refreshing at once), Google (linking, and taking over unverified accounts)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts import service as accounts_service
from backlot.accounts.mail_links import post_after_commit, takeover_notice_mail
from backlot.accounts.models import Corporation, RefreshToken, Role, User
from backlot.accounts.schemas import GoogleClaims, TokenPair
from backlot.accounts.sessions import end_sessions
from backlot.core.bus import EventBus
from backlot.core.clock import Clock
from backlot.core.errors import ProblemError, forbidden, unauthorized
from backlot.core.security import (
    ACCESS_AUDIENCE,
    TokenSigner,
    digest_token,
    new_opaque_token,
    verify_password,
)
from backlot.core.settings import Settings
from backlot.core.state import AppState


@dataclass(frozen=True)
class RefreshReused:
    """A rotated or revoked refresh token came back: its whole family is now revoked."""

    family_id: str


async def authenticate(
    session: AsyncSession, settings: Settings, *, email: str, password: str
) -> User:
    user = await accounts_service.find_user_by_email(session, email)
    # verify_password does the same work whether or not the user exists.
    if not await verify_password(password, user.password_hash if user else None) or not user:
        raise unauthorized("invalid_credentials", "Wrong email or password.")
    if settings.require_email_verification and not user.email_verified:
        raise forbidden(
            "Confirm your email address first: open the link we mailed you "
            "(POST /v1/auth/verify-email/resend sends a new one).",
            code="email_not_verified",
        )
    return user


async def issue_token_pair(
    session: AsyncSession,
    settings: Settings,
    signer: TokenSigner,
    clock: Clock,
    *,
    user: User,
    family_id: str | None = None,
    refresh: str | None = None,
    now: datetime | None = None,
) -> TokenPair:
    """A new sign-in (random refresh token), or the next pair of a family (`refresh` is
    then the successor derived from the rotated token)."""
    # A rotation passes the time it claimed the old token: a grace-period answer
    # re-issues the access token from that same instant.
    now = now or clock.now()
    if refresh is None:
        refresh, digest = new_opaque_token()
    else:
        digest = digest_token(refresh)
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=digest,
            family_id=family_id or uuid.uuid4().hex,
            expired_at=now + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    await session.flush()
    return _pair(settings, signer, user, refresh, now, now)


def _pair(
    settings: Settings,
    signer: TokenSigner,
    user: User,
    refresh: str,
    issued_at: datetime,
    now: datetime,
) -> TokenPair:
    # The access token is a function of the refresh token, its issue time and the user's
    # session generation: answering a grace-period refresh again gives the same pair.
    ttl = timedelta(seconds=settings.access_token_ttl_seconds)
    access = signer.issue(
        str(user.id),
        ACCESS_AUDIENCE,
        ttl,
        issued_at=issued_at,
        token_id=digest_token(refresh)[:32],
        gen=user.session_generation,
    )
    remaining = int((issued_at + ttl - now).total_seconds())
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=max(1, remaining))


def _successor(signer: TokenSigner, token: str) -> str:
    return signer.derive("refresh-successor", token)


async def rotate_refresh_token(
    session: AsyncSession, settings: Settings, signer: TokenSigner, clock: Clock, *, token: str
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
            again = await _answer_again(session, settings, signer, now, token, known)
            if again is not None:
                return again
            await _revoke_family(session, known.family_id, clock)
            return RefreshReused(known.family_id)
        if known.revoked_at is not None:
            raise unauthorized("refresh_token_revoked", "The refresh token has been revoked.")
        raise unauthorized("refresh_token_expired", "The refresh token has expired.")
    user = await session.get(User, claimed.user_id)
    if user is None:
        raise unauthorized("invalid_refresh_token", "The refresh token is not valid.")
    successor = _successor(signer, token)
    return await issue_token_pair(
        session,
        settings,
        signer,
        clock,
        user=user,
        family_id=claimed.family_id,
        refresh=successor,
        now=now,
    )


async def _answer_again(
    session: AsyncSession,
    settings: Settings,
    signer: TokenSigner,
    now: datetime,
    token: str,
    known: RefreshToken,
) -> TokenPair | None:
    """Within the grace after a rotation (two tabs refreshing at once), the pair that
    rotation gave, re-derived from the token: nothing secret is stored to answer it.
    None when the grace is over or the family was revoked meanwhile: that is reuse."""
    used_at = known.used_at
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    if used_at is None or known.revoked_at is not None or now - used_at > grace:
        return None
    successor = _successor(signer, token)
    row = await session.scalar(
        select(RefreshToken).where(
            RefreshToken.token_hash == digest_token(successor),
            RefreshToken.family_id == known.family_id,
            RefreshToken.revoked_at.is_(None),
        )
    )
    user = None if row is None else await session.get(User, row.user_id)
    if user is None:
        return None
    return _pair(settings, signer, user, successor, used_at, now)


async def logout(session: AsyncSession, bus: EventBus, clock: Clock, *, token: str) -> None:
    """Revoke the token's family and end the user's access tokens (other devices refresh
    theirs); unknown tokens are refused so typos are visible. A token no longer live
    (revoked, rotated, expired) ends nothing: whoever once held one must not keep a
    switch that signs the user out for ever."""
    known = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == digest_token(token))
    )
    if known is None:
        raise unauthorized("invalid_refresh_token", "The refresh token is not valid.")
    live = known.used_at is None and known.revoked_at is None
    if not live or known.expired_at <= clock.now():
        return
    await _revoke_family(session, known.family_id, clock)
    await end_sessions(session, bus, known.user_id, "logout")


async def _revoke_family(session: AsyncSession, family_id: str, clock: Clock) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


async def sign_in_with_google(
    session: AsyncSession, state: AppState, *, raw_claims: dict[str, Any]
) -> User:
    """Find the user by Google subject, else by verified email (linking a verified
    account, taking over an unverified one), else create one."""
    claims = _checked_claims(raw_claims)
    user = await accounts_service.find_user_by_google_sub(session, claims.sub)
    if user is not None:
        return user
    if claims.email is None or claims.email_verified not in (True, "true"):
        raise ProblemError(
            401, "email_not_verified", "The Google account has no verified email address."
        )
    user = await accounts_service.find_user_by_email(session, claims.email)
    if user is not None:
        if user.google_sub is not None:
            raise forbidden(
                "This email is linked to another Google account.", code="google_account_conflict"
            )
        if not user.email_verified:
            await _take_over(session, state, user)
        user.google_sub = claims.sub
        await session.flush()
        return user
    return await accounts_service.add_user(
        session,
        email=claims.email,
        password_hash=None,
        display_name=claims.name,
        role=Role.guest,
        corporation_id=None,
        google_sub=claims.sub,
        email_verified=True,
    )


def _checked_claims(raw: dict[str, Any]) -> GoogleClaims:
    try:
        return GoogleClaims.model_validate(
            {name: raw.get(name) for name in ("sub", "email", "email_verified", "name")}
        )
    except ValidationError as exc:
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
        raise ProblemError(
            422,
            "invalid_id_token_claims",
            f"The Google account's {' and '.join(fields) or 'claims'} cannot be used here.",
            errors=[
                {"loc": ["id_token", *err["loc"]], "msg": err["msg"], "type": err["type"]}
                for err in exc.errors(include_input=False)
            ],
        ) from exc


async def _take_over(session: AsyncSession, state: AppState, user: User) -> None:
    """Google proves the address; nobody ever proved it for this account, so whoever
    registered it may not be its owner (pre-account takeover): their password and every
    session go, and the owner is told."""
    user.password_hash = None
    user.email_verified = True
    await accounts_service.revoke_all_refresh_tokens(session, state.clock, user_id=user.id)
    await end_sessions(session, state.bus, user.id, "taken_over")
    corporation = (
        None if user.corporation_id is None else await session.get(Corporation, user.corporation_id)
    )
    name = None if corporation is None else corporation.name
    post_after_commit(session, state.mailer, takeover_notice_mail(user.email, name))
