"""Making the platform superuser from the command line."""

from __future__ import annotations

from backlot.accounts import service as accounts_service
from backlot.accounts.models import Role
from backlot.accounts.passwords import check_password_strength
from backlot.accounts.schemas import UserCreate
from backlot.core.db import build_engine, build_sessionmaker, unit_of_work
from backlot.core.errors import ProblemError
from backlot.core.security import hash_password
from backlot.core.settings import Settings


async def create_superuser(
    settings: Settings, email: str, password: str, display_name: str | None
) -> int:
    """Validates like the API does; raises ValueError with the reason on refusal.

    The address counts as verified: the operator at the server's console vouches for it,
    and a superuser must not be taken over by a Google sign-in."""
    data = UserCreate(email=email, password=password, display_name=display_name)
    engine = build_engine(settings.database_url)
    try:
        await check_password_strength(
            data.password, email=data.email, display_name=data.display_name
        )
        async with unit_of_work(build_sessionmaker(engine)) as session:
            user = await accounts_service.add_user(
                session,
                email=data.email,
                password_hash=await hash_password(data.password),
                display_name=data.display_name,
                role=Role.admin,
                corporation_id=None,
                is_superuser=True,
                email_verified=True,
            )
            return user.id
    except ProblemError as exc:
        raise ValueError(exc.detail) from exc
    finally:
        await engine.dispose()
