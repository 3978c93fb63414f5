"""Rules for corporations and users: who may see and change what, tenant by tenant.

Every function takes the acting user; rows of another corporation answer 404, so ids do
not reveal what exists elsewhere. Services flush, the unit of work commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import Corporation, PlanType, RefreshToken, Role, User
from backlot.accounts.passwords import check_password_strength
from backlot.accounts.schemas import (
    CorporationCreate,
    CorporationUpdate,
    MeUpdate,
    UserCreate,
    UserUpdate,
)
from backlot.accounts.sessions import announce_after_commit, end_sessions
from backlot.core.bus import EventBus
from backlot.core.clock import Clock
from backlot.core.db import flush_unique
from backlot.core.errors import ProblemError, conflict, forbidden, not_found
from backlot.core.paging import fetch_page
from backlot.core.security import hash_password, verify_password

# --- lookups and low-level writes ---------------------------------------------------


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def find_user_by_google_sub(session: AsyncSession, subject: str) -> User | None:
    return await session.scalar(select(User).where(User.google_sub == subject))


async def add_corporation(
    session: AsyncSession,
    *,
    name: str,
    plan_type: PlanType = PlanType.free,
    plan_expired_at: datetime | None = None,
) -> Corporation:
    _check_plan(plan_type, plan_expired_at)
    corporation = Corporation(name=name, plan_type=plan_type, plan_expired_at=plan_expired_at)
    session.add(corporation)
    await session.flush()
    return corporation


async def add_user(
    session: AsyncSession,
    *,
    email: str,
    password_hash: str | None,
    display_name: str | None,
    role: Role,
    corporation_id: int | None,
    google_sub: str | None = None,
    is_superuser: bool = False,
    email_verified: bool = False,
) -> User:
    if role == Role.admin and corporation_id is None and not is_superuser:
        raise ProblemError(422, "admin_needs_corporation", "An admin must belong to a corporation.")
    if await find_user_by_email(session, email) is not None:
        raise _email_taken(email)
    user = User(
        email=email.lower(),
        password_hash=password_hash,
        display_name=display_name or email.split("@", 1)[0],
        role=role,
        corporation_id=corporation_id,
        google_sub=google_sub,
        is_superuser=is_superuser,
        email_verified=email_verified,
    )
    session.add(user)
    await flush_unique(session, _email_taken(email))
    return user


async def revoke_all_refresh_tokens(session: AsyncSession, clock: Clock, *, user_id: int) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def _email_taken(email: str) -> ProblemError:
    return conflict("email_taken", f"An account with {email} already exists.")


def _check_plan(plan_type: str, plan_expired_at: datetime | None) -> None:
    if plan_type == PlanType.paid and plan_expired_at is None:
        raise ProblemError(
            422, "plan_expiry_required", "A paid plan needs plan_expired_at (when it ends)."
        )


# --- corporations -------------------------------------------------------------------


async def get_corporation(
    session: AsyncSession, *, requester: User, corporation_id: int
) -> Corporation:
    corporation = await session.get(Corporation, corporation_id)
    if corporation is None or not (
        requester.is_superuser or requester.corporation_id == corporation_id
    ):
        raise not_found("Corporation")
    if not (requester.is_superuser or requester.is_corporation_admin):
        raise forbidden("Only the corporation's admins may see it.")
    return corporation


async def list_corporations(
    session: AsyncSession, *, requester: User, limit: int, offset: int
) -> tuple[list[Corporation], int]:
    stmt = select(Corporation).order_by(Corporation.id)
    if not requester.is_superuser:
        if not requester.is_corporation_admin:
            raise forbidden("Only admins may list corporations.")
        stmt = stmt.where(Corporation.id == requester.corporation_id)
    return await fetch_page(session, stmt, limit, offset)


async def create_corporation(
    session: AsyncSession, *, requester: User, data: CorporationCreate
) -> Corporation:
    if not requester.is_superuser:
        raise forbidden("Only the platform superuser creates corporations.")
    return await add_corporation(
        session, name=data.name, plan_type=data.plan_type, plan_expired_at=data.plan_expired_at
    )


async def update_corporation(
    session: AsyncSession, *, requester: User, corporation_id: int, data: CorporationUpdate
) -> Corporation:
    corporation = await get_corporation(session, requester=requester, corporation_id=corporation_id)
    changes = data.model_dump(exclude_unset=True)
    if {"plan_type", "plan_expired_at"} & changes.keys() and not requester.is_superuser:
        raise forbidden("Only the platform superuser sets plans.", code="plan_change_forbidden")
    if changes.get("name", "") is None or changes.get("plan_type", "") is None:
        raise ProblemError(422, "null_not_allowed", "name and plan_type cannot be null.")
    for field, value in changes.items():
        setattr(corporation, field, value)
    _check_plan(corporation.plan_type, corporation.plan_expired_at)
    await session.flush()
    return corporation


async def delete_corporation(
    session: AsyncSession, *, requester: User, corporation_id: int
) -> None:
    corporation = await get_corporation(session, requester=requester, corporation_id=corporation_id)
    if not requester.is_superuser:
        raise forbidden("Only the platform superuser deletes corporations.")
    members = await session.scalar(
        select(func.count()).select_from(User).where(User.corporation_id == corporation_id)
    )
    if members:
        raise conflict(
            "corporation_not_empty", f"The corporation still has {members} user(s).", users=members
        )
    await session.delete(corporation)
    await session.flush()


# --- users ----------------------------------------------------------------------------


def _may_manage(requester: User, user: User) -> bool:
    return requester.is_superuser or (
        requester.is_corporation_admin and requester.corporation_id == user.corporation_id
    )


async def get_user(session: AsyncSession, *, requester: User, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("User")
    same_corporation = requester.corporation_id is not None and (
        requester.corporation_id == user.corporation_id
    )
    if not (requester.is_superuser or same_corporation or requester.id == user.id):
        raise not_found("User")
    if not (_may_manage(requester, user) or requester.id == user.id):
        raise forbidden("Guests may only read themselves.")
    return user


async def list_users(
    session: AsyncSession, *, requester: User, corporation_id: int | None, limit: int, offset: int
) -> tuple[list[User], int]:
    stmt = select(User).order_by(User.id)
    if requester.is_superuser:
        if corporation_id is not None:
            stmt = stmt.where(User.corporation_id == corporation_id)
    elif requester.is_corporation_admin:
        if corporation_id not in (None, requester.corporation_id):
            raise not_found("Corporation")
        stmt = stmt.where(User.corporation_id == requester.corporation_id)
    else:
        raise forbidden("Only admins may list users.")
    return await fetch_page(session, stmt, limit, offset)


async def create_user(session: AsyncSession, *, requester: User, data: UserCreate) -> User:
    if requester.is_superuser:
        corporation_id = data.corporation_id
        if corporation_id is not None and await session.get(Corporation, corporation_id) is None:
            raise not_found("Corporation")
    elif requester.is_corporation_admin:
        if data.corporation_id not in (None, requester.corporation_id):
            raise not_found("Corporation")
        corporation_id = requester.corporation_id
    else:
        raise forbidden("Only admins may create users.")
    await check_password_strength(data.password, email=data.email, display_name=data.display_name)
    # Not verified: the admin vouches for the account, not for who reads the mailbox.
    return await add_user(
        session,
        email=data.email,
        password_hash=await hash_password(data.password),
        display_name=data.display_name,
        role=data.role,
        corporation_id=corporation_id,
    )


async def update_user(
    session: AsyncSession,
    bus: EventBus,
    clock: Clock,
    *,
    requester: User,
    user_id: int,
    data: UserUpdate,
) -> User:
    user = await get_user(session, requester=requester, user_id=user_id)
    if not _may_manage(requester, user):
        raise forbidden("Only admins may change users; use /v1/users/me for yourself.")
    changes = data.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        raise ProblemError(422, "null_not_allowed", "Fields cannot be set to null.")
    _check_credentials_change(requester, user, changes)
    ended = None
    if "role" in changes and changes["role"] != user.role:
        ended = "role_changed"
        if changes["role"] == Role.admin and user.corporation_id is None:
            raise ProblemError(
                422, "admin_needs_corporation", "An admin must belong to a corporation."
            )
        if changes["role"] != Role.admin and user.role == Role.admin:
            await _keep_one_admin(session, user)
        user.role = changes["role"]
    if "email" in changes and changes["email"] != user.email:
        if await find_user_by_email(session, changes["email"]) is not None:
            raise _email_taken(changes["email"])
        user.email = changes["email"]
        user.email_verified = False  # the new address's owner has not confirmed it
    if "display_name" in changes:
        user.display_name = changes["display_name"]
    if "password" in changes:
        await check_password_strength(
            changes["password"], email=user.email, display_name=user.display_name
        )
        user.password_hash = await hash_password(changes["password"])
        await revoke_all_refresh_tokens(session, clock, user_id=user.id)
        ended = "password_reset"
    await flush_unique(session, _email_taken(user.email))
    if ended is not None:
        await end_sessions(session, bus, user.id, ended)
    return user


def _check_credentials_change(requester: User, user: User, changes: dict[str, object]) -> None:
    """Whoever proved the address manages its credentials: an admin who could set the
    password or move the address (then reset it) of a verified user would take the
    account over, e.g. one a stranger's admin planted and its owner then claimed."""
    new_email = "email" in changes and changes["email"] != user.email
    if (
        requester.is_superuser
        or not user.email_verified
        or not ("password" in changes or new_email)
    ):
        return
    raise forbidden(
        "This user confirmed their email address and manages their own password and "
        "email: send them a password reset instead (POST /v1/auth/password-reset).",
        code="user_manages_own_credentials",
    )


async def delete_user(
    session: AsyncSession, bus: EventBus, *, requester: User, user_id: int
) -> None:
    user = await get_user(session, requester=requester, user_id=user_id)
    if not _may_manage(requester, user):
        raise forbidden("Only admins may delete users.")
    if user.id == requester.id and requester.is_superuser:
        raise conflict("cannot_delete_self", "A superuser cannot delete their own account.")
    if user.role == Role.admin:
        await _keep_one_admin(session, user)
    await session.delete(user)
    await session.flush()
    announce_after_commit(session, bus, user_id, "deleted")


async def update_me(
    session: AsyncSession, bus: EventBus, clock: Clock, *, requester: User, data: MeUpdate
) -> User:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("display_name", "") is None or changes.get("password", "") is None:
        raise ProblemError(422, "null_not_allowed", "Fields cannot be set to null.")
    if "display_name" in changes:
        requester.display_name = changes["display_name"]
    if "password" in changes:
        # A stolen access token alone must not be enough to take the account over.
        if requester.password_hash is not None and not await verify_password(
            data.current_password or "", requester.password_hash
        ):
            raise forbidden("current_password is wrong.", code="wrong_password")
        await check_password_strength(
            changes["password"], email=requester.email, display_name=requester.display_name
        )
        requester.password_hash = await hash_password(changes["password"])
        await revoke_all_refresh_tokens(session, clock, user_id=requester.id)
        await end_sessions(session, bus, requester.id, "password_changed")
    await session.flush()
    return requester


async def _keep_one_admin(session: AsyncSession, leaving: User) -> None:
    """Refuse to remove a corporation's last admin (the corporation row serialises it)."""
    if leaving.corporation_id is None:
        return
    await session.execute(
        select(Corporation.id).where(Corporation.id == leaving.corporation_id).with_for_update()
    )
    others = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.corporation_id == leaving.corporation_id,
            User.role == Role.admin,
            User.id != leaving.id,
        )
    )
    if not others:
        raise conflict("last_admin", "A corporation must keep at least one admin.")


async def downgrade_lapsed_plans(session: AsyncSession, now: datetime) -> int:
    """Turn paid plans whose period ended into `free`, recording when (the periodic job).

    Rules never wait for this: they read `effective_plan`, which is already `free`.
    """
    result = await session.execute(
        update(Corporation)
        .where(Corporation.plan_type == PlanType.paid, Corporation.plan_expired_at <= now)
        .values(plan_type=PlanType.free, plan_downgraded_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
