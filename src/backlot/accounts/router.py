"""HTTP routes of the accounts app: /v1/auth, /v1/users, /v1/corporations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from backlot.accounts import auth, email_flows
from backlot.accounts import service as accounts_service
from backlot.accounts.deps import CurrentUser
from backlot.accounts.models import Corporation
from backlot.accounts.schemas import (
    Accepted,
    CorporationCreate,
    CorporationRead,
    CorporationSummary,
    CorporationUpdate,
    EmailRequest,
    GoogleLoginRequest,
    LoginRequest,
    MeRead,
    MeUpdate,
    PasswordResetConfirm,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    UserCreate,
    UserRead,
    UserUpdate,
    VerifyEmailRequest,
)
from backlot.accounts.sign_in import google_sign_in, password_sign_in
from backlot.accounts.throttle import (
    client_address,
    throttle_address,
    throttle_user_admin,
)
from backlot.core.clock import Clock
from backlot.core.deps import BusDep, ClockDep, SessionDep, StateDep
from backlot.core.errors import (
    ProblemError,
    problem_response,
    problem_responses,
    unauthorized,
)
from backlot.core.paging import Page, page_of
from backlot.core.params import MAX_ID, IdPath, Limit, Offset

# Every route can meet these: malformed JSON, an oversized body, a schema mismatch.
_COMMON = problem_responses(400, 413, 422)
auth_router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=_COMMON)
users_router = APIRouter(prefix="/v1/users", tags=["users"], responses=_COMMON)
corporations_router = APIRouter(prefix="/v1/corporations", tags=["corporations"], responses=_COMMON)

_AUTHED = problem_responses(401, 422)
_MANAGED = problem_responses(401, 403, 404, 422)

# --- auth -------------------------------------------------------------------------------


_THROTTLED = problem_responses(429)
_REGISTER_ACCEPTED = (
    "If this address can be registered, we mailed it a link to confirm it; if it already "
    "has an account, we mailed its owner. Check your inbox."
)


@auth_router.post(
    "/register",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(403, 422, 429),
)
async def register(
    request: Request, session: SessionDep, state: StateDep, body: RegisterRequest
) -> Any:
    """Create an account (with `corporation_name` also that corporation, as its admin) and
    mail a confirmation link. The answer is the same whether or not the address already
    has an account (its owner gets a mail instead), so it does not reveal who has one."""
    if not state.settings.allow_registration:
        raise ProblemError(403, "registration_closed", "Self-registration is turned off.")
    await throttle_address(request, state, action="register")
    await email_flows.register(session, state, data=body, client=client_address(request))
    return Accepted(detail=_REGISTER_ACCEPTED)


@auth_router.post("/verify-email", status_code=204, responses=problem_responses(400, 422, 429))
async def verify_email(
    request: Request, session: SessionDep, state: StateDep, body: VerifyEmailRequest
) -> Response:
    """Confirm an address with the token of the mailed link (single use, expires)."""
    await throttle_address(request, state, action="verify_email")
    await email_flows.verify_email(session, state, token=body.token)
    return Response(status_code=204)


@auth_router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(422, 429),
)
async def resend_verification(
    request: Request, session: SessionDep, state: StateDep, body: EmailRequest
) -> Any:
    """Mail a new confirmation link to an unconfirmed account (same answer for any address)."""
    await throttle_address(request, state, action="verify_email")
    await email_flows.resend_verification(
        session, state, email=body.email, client=client_address(request)
    )
    return Accepted(detail="If this address has an unconfirmed account, we mailed it a link.")


@auth_router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=problem_responses(422, 429),
)
async def request_password_reset(
    request: Request, session: SessionDep, state: StateDep, body: EmailRequest
) -> Any:
    """Mail a password reset link (same answer whether or not the address has an account)."""
    await throttle_address(request, state, action="password_reset")
    await email_flows.request_password_reset(
        session, state, email=body.email, client=client_address(request)
    )
    return Accepted(detail="If this address has an account, we mailed it a reset link.")


@auth_router.post(
    "/password-reset/confirm", status_code=204, responses=problem_responses(400, 422, 429)
)
async def confirm_password_reset(
    request: Request, session: SessionDep, state: StateDep, body: PasswordResetConfirm
) -> Response:
    """Set a new password with the mailed link's token; every session of the account ends."""
    await throttle_address(request, state, action="password_reset")
    await email_flows.reset_password(session, state, data=body)
    return Response(status_code=204)


_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "username": {"type": "string", "description": "Your email."},
                        "password": {"type": "string", "format": "password"},
                    },
                }
            },
        },
    }
}


@auth_router.post(
    "/login",
    response_model=TokenPair,
    openapi_extra=_LOGIN_BODY,
    responses=problem_responses(400, 401, 403, 415, 422, 429),
)
async def login(request: Request, session: SessionDep, state: StateDep) -> Any:
    """Exchange email and password (JSON, or the OAuth2 form Swagger's Authorize sends)."""
    user = await password_sign_in(request, session, state)
    return await auth.issue_token_pair(
        session, state.settings, state.signer, state.clock, user=user
    )


@auth_router.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422, 429))
async def refresh(
    request: Request, session: SessionDep, state: StateDep, body: RefreshRequest
) -> Any:
    """Rotate: the presented refresh token stops working and a new pair is issued.

    Presented again within BACKLOT_REFRESH_REUSE_GRACE_SECONDS (two tabs at once), it
    gets the same new pair; later, it revokes its whole family (theft detection).
    """
    await throttle_address(request, state, action="refresh")
    outcome = await auth.rotate_refresh_token(
        session, state.settings, state.signer, state.clock, token=body.refresh_token
    )
    if isinstance(outcome, auth.RefreshReused):
        # Answer without raising, so the unit of work commits the family's revocation.
        return problem_response(
            unauthorized(
                "refresh_token_reused",
                "This refresh token was already used; every token of its session is revoked.",
            )
        )
    return outcome


@auth_router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422, 429)
)
async def logout(
    request: Request, session: SessionDep, state: StateDep, body: RefreshRequest
) -> Response:
    """Revoke the refresh token and every token rotated from the same sign-in; access
    tokens issued before stop working (other devices refresh theirs). A token already
    revoked, rotated or expired ends nothing (204 all the same: logging out twice is fine)."""
    await throttle_address(request, state, action="logout")
    await auth.logout(session, state.bus, state.clock, token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.post(
    "/google", response_model=TokenPair, responses=problem_responses(401, 403, 404, 422)
)
async def google(session: SessionDep, state: StateDep, body: GoogleLoginRequest) -> Any:
    """Sign in with a Google ID token; creates or links the account, returns our tokens.

    An account with this address whose owner never confirmed it is taken over: its
    password is removed and its sessions end (whoever registered it may not own it)."""
    user = await google_sign_in(session, state, id_token=body.id_token)
    return await auth.issue_token_pair(
        session, state.settings, state.signer, state.clock, user=user
    )


# --- users ------------------------------------------------------------------------------


@users_router.get("/me", response_model=MeRead, responses=_AUTHED)
async def read_me(session: SessionDep, clock: ClockDep, user: CurrentUser) -> Any:
    """You, with your corporation's name and plan (any member may read these two)."""
    me = MeRead.model_validate(user)
    if user.corporation_id is not None:
        corporation = await session.get(Corporation, user.corporation_id)
        if corporation is not None:
            me.corporation = CorporationSummary(
                id=corporation.id,
                name=corporation.name,
                effective_plan=corporation.effective_plan(clock.now()),
            )
    return me


@users_router.patch("/me", response_model=UserRead, responses=problem_responses(401, 403, 422))
async def update_me(
    session: SessionDep, bus: BusDep, clock: ClockDep, user: CurrentUser, body: MeUpdate
) -> Any:
    """Change your display name or password (the latter needs `current_password`, and
    ends every session: sign in again with the new password)."""
    return await accounts_service.update_me(session, bus, clock, requester=user, data=body)


@users_router.get("", response_model=Page[UserRead], responses=_MANAGED)
async def list_users(
    session: SessionDep,
    user: CurrentUser,
    limit: Limit = 50,
    offset: Offset = 0,
    corporation_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Superusers: filter.")
    ] = None,
) -> Any:
    items, total = await accounts_service.list_users(
        session, requester=user, corporation_id=corporation_id, limit=limit, offset=offset
    )
    return page_of(items, total, read=UserRead.model_validate, limit=limit, offset=offset)


@users_router.post(
    "",
    status_code=201,
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
async def create_user(
    session: SessionDep, state: StateDep, user: CurrentUser, body: UserCreate
) -> Any:
    """The new user's address is not verified (the admin vouches for the account, not for
    who reads the mailbox): a confirmation link is mailed to it. Limited per admin
    (BACKLOT_USER_ADMIN_RATE_LIMIT, with email changes)."""
    await throttle_user_admin(state, actor_id=user.id, is_superuser=user.is_superuser)
    created = await accounts_service.create_user(session, requester=user, data=body)
    await email_flows.send_verification(session, state, user=created)
    return created


@users_router.get("/{user_id:int}", response_model=UserRead, responses=_MANAGED)
async def read_user(session: SessionDep, user: CurrentUser, user_id: IdPath) -> Any:
    return await accounts_service.get_user(session, requester=user, user_id=user_id)


@users_router.patch(
    "/{user_id:int}",
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 409, 422, 429),
)
async def update_user(
    session: SessionDep,
    state: StateDep,
    user: CurrentUser,
    user_id: IdPath,
    body: UserUpdate,
) -> Any:
    """A new password or role ends the user's sessions. A user who confirmed their
    address manages their own password and email: only the superuser changes those
    (admins send them a password reset). Email changes are limited per admin."""
    if "email" in body.model_fields_set:
        await throttle_user_admin(state, actor_id=user.id, is_superuser=user.is_superuser)
    return await accounts_service.update_user(
        session, state.bus, state.clock, requester=user, user_id=user_id, data=body
    )


@users_router.delete(
    "/{user_id:int}", status_code=204, responses=problem_responses(401, 403, 404, 409, 422)
)
async def delete_user(
    session: SessionDep, bus: BusDep, user: CurrentUser, user_id: IdPath
) -> Response:
    await accounts_service.delete_user(session, bus, requester=user, user_id=user_id)
    return Response(status_code=204)


# --- corporations -----------------------------------------------------------------------


def _corporation_read(corporation: Corporation, clock: Clock) -> CorporationRead:
    return CorporationRead.model_validate(
        {**corporation.__dict__, "effective_plan": corporation.effective_plan(clock.now())}
    )


@corporations_router.get("", response_model=Page[CorporationRead], responses=_MANAGED)
async def list_corporations(
    session: SessionDep, clock: ClockDep, user: CurrentUser, limit: Limit = 50, offset: Offset = 0
) -> Any:
    items, total = await accounts_service.list_corporations(
        session, requester=user, limit=limit, offset=offset
    )
    return page_of(
        items, total, read=lambda c: _corporation_read(c, clock), limit=limit, offset=offset
    )


@corporations_router.post(
    "", status_code=201, response_model=CorporationRead, responses=problem_responses(401, 403, 422)
)
async def create_corporation(
    session: SessionDep, clock: ClockDep, user: CurrentUser, body: CorporationCreate
) -> Any:
    return _corporation_read(
        await accounts_service.create_corporation(session, requester=user, data=body), clock
    )


@corporations_router.get(
    "/{corporation_id:int}", response_model=CorporationRead, responses=_MANAGED
)
async def read_corporation(
    session: SessionDep, clock: ClockDep, user: CurrentUser, corporation_id: IdPath
) -> Any:
    corporation = await accounts_service.get_corporation(
        session, requester=user, corporation_id=corporation_id
    )
    return _corporation_read(corporation, clock)


@corporations_router.patch(
    "/{corporation_id:int}", response_model=CorporationRead, responses=_MANAGED
)
async def update_corporation(
    session: SessionDep,
    clock: ClockDep,
    user: CurrentUser,
    corporation_id: IdPath,
    body: CorporationUpdate,
) -> Any:
    """Admins rename their own corporation; only the superuser changes plans."""
    corporation = await accounts_service.update_corporation(
        session, requester=user, corporation_id=corporation_id, data=body
    )
    return _corporation_read(corporation, clock)


@corporations_router.delete(
    "/{corporation_id:int}", status_code=204, responses=problem_responses(401, 403, 404, 409, 422)
)
async def delete_corporation(
    session: SessionDep, user: CurrentUser, corporation_id: IdPath
) -> Response:
    await accounts_service.delete_corporation(
        session, requester=user, corporation_id=corporation_id
    )
    return Response(status_code=204)
