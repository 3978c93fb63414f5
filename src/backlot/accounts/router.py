"""HTTP routes of the accounts app: /v1/auth, /v1/users, /v1/corporations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from backlot.accounts import auth
from backlot.accounts import service as accounts_service
from backlot.accounts.deps import CurrentUser
from backlot.accounts.models import Corporation
from backlot.accounts.schemas import (
    CorporationCreate,
    CorporationRead,
    CorporationUpdate,
    GoogleLoginRequest,
    LoginRequest,
    MeUpdate,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
    UserCreate,
    UserRead,
    UserUpdate,
)
from backlot.core.clock import Clock
from backlot.core.deps import ClockDep, SessionDep, SettingsDep, SignerDep, StateDep
from backlot.core.errors import ProblemError, problem_response, problem_responses, unauthorized
from backlot.core.paging import Page
from backlot.core.params import MAX_ID, IdPath, Limit, Offset

# Every route can meet these: malformed JSON, an oversized body, a schema mismatch.
_COMMON = problem_responses(400, 413, 422)
auth_router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=_COMMON)
users_router = APIRouter(prefix="/v1/users", tags=["users"], responses=_COMMON)
corporations_router = APIRouter(prefix="/v1/corporations", tags=["corporations"], responses=_COMMON)

_AUTHED = problem_responses(401, 422)
_MANAGED = problem_responses(401, 403, 404, 422)

# --- auth -------------------------------------------------------------------------------


@auth_router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=problem_responses(403, 409, 422),
)
async def register(session: SessionDep, settings: SettingsDep, body: RegisterRequest) -> Any:
    """Create an account; with `corporation_name` also that corporation, as its admin."""
    if not settings.allow_registration:
        raise ProblemError(403, "registration_closed", "Self-registration is turned off.")
    return await auth.register(session, body)


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


async def _login_credentials(request: Request) -> LoginRequest:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        raw: bytes | dict[str, Any] = await request.body()
        source = "body"
    elif media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        raw = {"email": form.get("username"), "password": form.get("password")}
        source = "form"
    else:
        raise ProblemError(
            415,
            "unsupported_media_type",
            "Send JSON {email, password} or an OAuth2 password form (username, password).",
        )
    try:
        if isinstance(raw, bytes):
            return LoginRequest.model_validate_json(raw)
        return LoginRequest.model_validate(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**err, "loc": (source, *err["loc"])} for err in exc.errors(include_input=False)]
        ) from exc


@auth_router.post(
    "/login",
    response_model=TokenPair,
    openapi_extra=_LOGIN_BODY,
    responses=problem_responses(400, 401, 415, 422),
)
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    clock: ClockDep,
) -> Any:
    """Exchange email and password (JSON, or the OAuth2 form Swagger's Authorize sends)."""
    credentials = await _login_credentials(request)
    user = await auth.authenticate(session, credentials.email, credentials.password)
    return await auth.issue_token_pair(session, settings, signer, clock, user)


@auth_router.post("/refresh", response_model=TokenPair, responses=problem_responses(401, 422))
async def refresh(
    session: SessionDep,
    settings: SettingsDep,
    signer: SignerDep,
    clock: ClockDep,
    body: RefreshRequest,
) -> Any:
    """Rotate: the presented refresh token stops working and a new pair is issued.

    Presenting an already rotated token revokes its whole family (theft detection).
    """
    outcome = await auth.rotate_refresh_token(session, settings, signer, clock, body.refresh_token)
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
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 422)
)
async def logout(session: SessionDep, clock: ClockDep, body: RefreshRequest) -> Response:
    """Revoke the refresh token and every token rotated from the same sign-in."""
    await auth.logout(session, clock, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@auth_router.post("/google", response_model=TokenPair, responses=problem_responses(401, 403, 404))
async def google(session: SessionDep, state: StateDep, body: GoogleLoginRequest) -> Any:
    """Sign in with a Google ID token; creates or links the account, returns our tokens."""
    if state.id_tokens is None:
        raise ProblemError(
            404, "google_login_disabled", "Google sign-in is not configured on this server."
        )
    claims = await state.id_tokens.verify(body.id_token)
    user = await auth.sign_in_with_google(session, claims)
    return await auth.issue_token_pair(session, state.settings, state.signer, state.clock, user)


# --- users ------------------------------------------------------------------------------


@users_router.get("/me", response_model=UserRead, responses=_AUTHED)
async def read_me(user: CurrentUser) -> Any:
    return user


@users_router.patch("/me", response_model=UserRead, responses=problem_responses(401, 403, 422))
async def update_me(session: SessionDep, clock: ClockDep, user: CurrentUser, body: MeUpdate) -> Any:
    """Change your display name or password (the latter needs `current_password`)."""
    return await accounts_service.update_me(session, clock, user, body)


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
    items, total = await accounts_service.list_users(session, user, corporation_id, limit, offset)
    return Page[UserRead](
        items=[UserRead.model_validate(i) for i in items], total=total, limit=limit, offset=offset
    )


@users_router.post(
    "",
    status_code=201,
    response_model=UserRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_user(session: SessionDep, user: CurrentUser, body: UserCreate) -> Any:
    return await accounts_service.create_user(session, user, body)


@users_router.get("/{user_id:int}", response_model=UserRead, responses=_MANAGED)
async def read_user(session: SessionDep, user: CurrentUser, user_id: IdPath) -> Any:
    return await accounts_service.get_user(session, user, user_id)


@users_router.patch(
    "/{user_id:int}", response_model=UserRead, responses=problem_responses(401, 403, 404, 409, 422)
)
async def update_user(
    session: SessionDep, clock: ClockDep, user: CurrentUser, user_id: IdPath, body: UserUpdate
) -> Any:
    return await accounts_service.update_user(session, clock, user, user_id, body)


@users_router.delete(
    "/{user_id:int}", status_code=204, responses=problem_responses(401, 403, 404, 409, 422)
)
async def delete_user(session: SessionDep, user: CurrentUser, user_id: IdPath) -> Response:
    await accounts_service.delete_user(session, user, user_id)
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
    items, total = await accounts_service.list_corporations(session, user, limit, offset)
    return Page[CorporationRead](
        items=[_corporation_read(c, clock) for c in items], total=total, limit=limit, offset=offset
    )


@corporations_router.post(
    "", status_code=201, response_model=CorporationRead, responses=problem_responses(401, 403, 422)
)
async def create_corporation(
    session: SessionDep, clock: ClockDep, user: CurrentUser, body: CorporationCreate
) -> Any:
    return _corporation_read(await accounts_service.create_corporation(session, user, body), clock)


@corporations_router.get(
    "/{corporation_id:int}", response_model=CorporationRead, responses=_MANAGED
)
async def read_corporation(
    session: SessionDep, clock: ClockDep, user: CurrentUser, corporation_id: IdPath
) -> Any:
    corporation = await accounts_service.get_corporation(session, user, corporation_id)
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
    corporation = await accounts_service.update_corporation(session, user, corporation_id, body)
    return _corporation_read(corporation, clock)


@corporations_router.delete(
    "/{corporation_id:int}", status_code=204, responses=problem_responses(401, 403, 404, 409, 422)
)
async def delete_corporation(
    session: SessionDep, user: CurrentUser, corporation_id: IdPath
) -> Response:
    await accounts_service.delete_corporation(session, user, corporation_id)
    return Response(status_code=204)
