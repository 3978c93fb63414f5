"""`CurrentUser`: the signed-in user behind a request's Bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from backlot.accounts.models import User
from backlot.core.deps import SessionDep, SignerDep
from backlot.core.errors import unauthorized
from backlot.core.security import ACCESS_AUDIENCE

# auto_error=False: a missing token becomes our problem JSON, not FastAPI's plain 401.
_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/login", auto_error=False)


async def _current_user(
    session: SessionDep, signer: SignerDep, token: Annotated[str | None, Depends(_bearer)]
) -> User:
    if not token:
        raise unauthorized("not_authenticated", "Sign in and send Authorization: Bearer <token>.")
    claims = signer.verify(token, ACCESS_AUDIENCE)
    user = await session.get(User, int(claims.subject)) if claims.subject.isdigit() else None
    if user is None:
        raise unauthorized("invalid_token", "The token's user no longer exists.")
    return user


CurrentUser = Annotated[User, Depends(_current_user)]
