"""`CurrentUser`: the signed-in user behind a request's Bearer token; `CurrentPrincipal`:
the same user's identity and role, cached for hot paths."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts.models import User
from backlot.accounts.principal import Principal
from backlot.accounts.runtime import AccountsRuntime
from backlot.core.cache import RowCache
from backlot.core.deps import SessionDep, SignerDep, StateDep
from backlot.core.errors import unauthorized
from backlot.core.security import ACCESS_AUDIENCE, TokenClaims, TokenSigner
from backlot.core.state import AppState, runtime_of

# auto_error=False: a missing token becomes our problem JSON, not FastAPI's plain 401.
_bearer = OAuth2PasswordBearer(tokenUrl="/v1/auth/login", auto_error=False)


def _access(signer: TokenSigner, token: str | None) -> tuple[int, int]:
    """The access token's user id and session generation."""
    if not token:
        raise unauthorized("not_authenticated", "Sign in and send Authorization: Bearer <token>.")
    claims = signer.verify(token, ACCESS_AUDIENCE)
    return _subject_id(claims), session_generation_of(claims)


def _subject_id(claims: TokenClaims) -> int:
    # isdigit() alone admits "²" and other digits int() refuses.
    if not (claims.subject.isascii() and claims.subject.isdigit()):
        raise unauthorized("invalid_token", "The token's user no longer exists.")
    return int(claims.subject)


def session_generation_of(claims: TokenClaims) -> int:
    """The `gen` claim of an access token (0 in tokens from before generations existed).
    Socket servers that verify access tokens themselves compare it with the user's."""
    generation = claims.extra.get("gen", 0)
    if not isinstance(generation, int):
        raise unauthorized("invalid_token", "The token is not valid.")
    return generation


def check_session(generation: int, current: int) -> None:
    if generation != current:
        raise unauthorized("session_ended", "This session has ended; sign in again.")


async def _load(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise unauthorized("invalid_token", "The token's user no longer exists.")
    return user


async def _current_user(
    session: SessionDep, signer: SignerDep, token: Annotated[str | None, Depends(_bearer)]
) -> User:
    user_id, generation = _access(signer, token)
    user = await _load(session, user_id)
    check_session(generation, user.session_generation)
    return user


async def principal_of(
    request: Request, state: AppState, user_id: int, generation: int | None = None
) -> Principal:
    """The user's principal, from the cache or (on a miss) a short session of its own:
    a cached request touches no database. With the token's `generation`, a token from an
    ended session is refused (every process drops the cached principal when sessions
    end; a token newer than the cached principal makes it re-read)."""
    return await cached_principal(
        runtime_of(request, AccountsRuntime).principals, state, user_id, generation
    )


async def _principals(state: AppState, user_ids: list[int]) -> dict[int, Principal]:
    """The principals of the users that still exist, in one query (cache re-reads)."""
    async with state.sessionmaker() as session:
        users = await session.scalars(select(User).where(User.id.in_(user_ids)))
        return {user.id: Principal.of(user) for user in users}


async def cached_principal(
    cache: RowCache[Principal], state: AppState, user_id: int, generation: int | None = None
) -> Principal:
    """`principal_of` for callers without a request (socket servers)."""
    principal = cache.get(user_id)
    if principal is None or (generation is not None and generation > principal.session_generation):
        async with state.sessionmaker() as session:
            principal = Principal.of(await _load(session, user_id))
        cache.put(user_id, principal)
    else:
        cache.refresh_soon(user_id, partial(_principals, state))
    if generation is not None:
        check_session(generation, principal.session_generation)
    return principal


async def live_principal(
    cache: RowCache[Principal], state: AppState, token: str
) -> tuple[Principal, TokenClaims]:
    """An access token's user, of a session that has not ended, and the token's claims:
    for the socket servers, which verify tokens themselves (at connect and re-auth)."""
    claims = state.signer.verify(token, ACCESS_AUDIENCE)
    principal = await cached_principal(
        cache, state, _subject_id(claims), session_generation_of(claims)
    )
    return principal, claims


async def _current_principal(
    request: Request, state: StateDep, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    return await principal_of(request, state, *_access(state.signer, token))


async def request_principal(request: Request, state: AppState) -> Principal:
    """`CurrentPrincipal` for handlers that read the request themselves (the lock
    endpoint's lean handler): the same token rules, answers and caches."""
    return await _current_principal(request, state, await _bearer(request))


async def bearer_user_id(
    request: Request, state: StateDep, token: Annotated[str | None, Depends(_bearer)]
) -> int | None:
    """The Bearer token's user (of a live session), or None when the request has none."""
    if token is None:
        return None
    principal = await principal_of(request, state, *_access(state.signer, token))
    return principal.id


# A URL token held by a service for a job (the external analysis server fetching a job's
# recordings) rather than by the user: it lives as long as the job needs it, whatever
# happens to the owner's sessions. Only `job_url_token` sets it.
_JOB_HOLDER = "job"


def url_token(
    signer: TokenSigner, user: Principal, audience: str, ttl: timedelta, **scope: Any
) -> str:
    """A short-lived URL token for `audience`, good for `scope` (one video, one job...) and
    for the user's current session only: it carries the session generation (`gen`), as
    access tokens do, and dies with the session."""
    return signer.issue(str(user.id), audience, ttl, gen=user.session_generation, **scope)


def job_url_token(
    signer: TokenSigner, owner_id: int, audience: str, ttl: timedelta, **scope: Any
) -> str:
    """A URL token for a service working on the owner's job, not for the owner's browser:
    it is not tied to the owner's session (the job goes on after a logout)."""
    return signer.issue(str(owner_id), audience, ttl, holder=_JOB_HOLDER, **scope)


async def scoped_user_id(
    request: Request,
    state: AppState,
    bearer: int | None,
    token: str | None,
    audience: str,
    **scope: object,
) -> int:
    """Who is asking: the Bearer token's user, or the user of a short-lived URL token
    issued for `audience` whose claims match `scope` (one video, one job...), of a
    session that has not ended (401 `session_ended` otherwise). Browsers' <video>,
    <audio> and EventSource cannot send headers; the access token never goes in a URL,
    these narrow tokens do."""
    if bearer is not None:
        return bearer
    if not token:
        raise unauthorized("not_authenticated", "Send a Bearer token or the URL's token.")
    claims = state.signer.verify(token, audience)
    if any(claims.extra.get(name) != value for name, value in scope.items()):
        raise unauthorized("invalid_token", "This token is for something else.")
    user_id = _subject_id(claims)
    if claims.extra.get("holder") == _JOB_HOLDER:
        await principal_of(request, state, user_id)  # the owner still exists
    else:
        await principal_of(request, state, user_id, session_generation_of(claims))
    return user_id


CurrentUser = Annotated[User, Depends(_current_user)]
CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]
