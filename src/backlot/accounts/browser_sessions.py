"""Sessions of the browser pages (`/v1/auth/browser/...`): the refresh token lives in a
cookie the page's scripts cannot read (HttpOnly; SameSite=Strict; Secure behind https;
sent only to these routes), the access token only in the page's memory. A page signs in,
refreshes before the access token expires (or on a 401), and signs out here; tabs share
the cookie, and two tabs refreshing at once get the same new pair (the refresh grace).
API clients keep the JSON token pair of /v1/auth/login and /v1/auth/refresh.

Every route here wants the `X-Backlot-Session: browser` header: a page on another site
cannot send it without a CORS preflight, so it cannot drive these routes with the
cookie even where a browser would attach it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from backlot.accounts import auth
from backlot.accounts.schemas import AccessToken, GoogleLoginRequest, TokenPair
from backlot.accounts.sign_in import google_sign_in, password_sign_in
from backlot.accounts.throttle import throttle_address
from backlot.core.deps import SessionDep, StateDep
from backlot.core.errors import (
    ProblemError,
    forbidden,
    problem_response,
    problem_responses,
    unauthorized,
)
from backlot.core.settings import Settings

PATH = "/v1/auth/browser"
COOKIE = "backlot_refresh"
# Readable by the pages, and no secret: only says "this browser has a session", so a page
# that has none does not ask for a refresh it would be refused.
MARKER = "backlot_session"
HEADER = "X-Backlot-Session"


async def _from_a_page(request: Request) -> None:
    if request.headers.get(HEADER, "").lower() != "browser":
        raise forbidden(
            f"Browser sessions need the header {HEADER}: browser.", code="session_header_missing"
        )


router = APIRouter(
    prefix=PATH,
    tags=["auth"],
    dependencies=[Depends(_from_a_page)],
    responses=problem_responses(400, 403, 413, 422, 429),
)


def _with_cookie(settings: Settings, pair: TokenPair) -> JSONResponse:
    answer = AccessToken(access_token=pair.access_token, expires_in=pair.expires_in)
    response = JSONResponse(answer.model_dump())
    secure = settings.public_url.lower().startswith("https://")
    response.set_cookie(
        COOKIE,
        pair.refresh_token,
        max_age=settings.refresh_token_ttl_days * 86400,
        path=PATH,
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    response.set_cookie(
        MARKER,
        "1",
        max_age=settings.refresh_token_ttl_days * 86400,
        path="/",
        secure=secure,
        samesite="strict",
    )
    return response


def _ended(settings: Settings, response: Response) -> Response:
    secure = settings.public_url.lower().startswith("https://")
    response.delete_cookie(COOKIE, path=PATH, secure=secure, httponly=True, samesite="strict")
    response.delete_cookie(MARKER, path="/", secure=secure, samesite="strict")
    return response


@router.post("/login", response_model=AccessToken, responses=problem_responses(401, 415))
async def browser_login(request: Request, session: SessionDep, state: StateDep) -> Response:
    """Sign in with email and password (JSON): the access token in the answer, the
    refresh token in the session cookie."""
    user = await password_sign_in(request, session, state)
    pair = await auth.issue_token_pair(
        session, state.settings, state.signer, state.clock, user=user
    )
    return _with_cookie(state.settings, pair)


@router.post("/google", response_model=AccessToken, responses=problem_responses(401, 404))
async def browser_google(
    session: SessionDep, state: StateDep, body: GoogleLoginRequest
) -> Response:
    """Sign in with a Google ID token, as /v1/auth/google, into a browser session."""
    user = await google_sign_in(session, state, id_token=body.id_token)
    pair = await auth.issue_token_pair(
        session, state.settings, state.signer, state.clock, user=user
    )
    return _with_cookie(state.settings, pair)


@router.post("/refresh", response_model=AccessToken, responses=problem_responses(401))
async def browser_refresh(request: Request, session: SessionDep, state: StateDep) -> Response:
    """A fresh access token for the session in the cookie, which rotates. 401 when the
    session has ended (signed out, expired, revoked): the cookie is cleared and the page
    says so."""
    await throttle_address(request, state, action="refresh")
    token = request.cookies.get(COOKIE)
    if not token:
        error = unauthorized("not_signed_in", "This browser has no session: sign in.")
        return _ended(state.settings, problem_response(error))
    try:
        outcome = await auth.rotate_refresh_token(
            session, state.settings, state.signer, state.clock, token=token
        )
    except ProblemError as exc:
        await session.rollback()
        return _ended(state.settings, problem_response(exc))
    if isinstance(outcome, auth.RefreshReused):
        # Answered, not raised, so the unit of work commits the family's revocation.
        error = unauthorized(
            "refresh_token_reused",
            "This session's refresh token was already used; the session is revoked.",
        )
        return _ended(state.settings, problem_response(error))
    return _with_cookie(state.settings, outcome)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def browser_logout(request: Request, session: SessionDep, state: StateDep) -> Response:
    """End the cookie's session (as /v1/auth/logout) and clear the cookie; without a
    live session there is nothing to end, and the answer is the same."""
    await throttle_address(request, state, action="logout")
    token = request.cookies.get(COOKIE)
    if token:
        try:
            await auth.logout(session, state.bus, state.clock, token=token)
        except ProblemError:
            await session.rollback()  # an unknown cookie: nothing to end
    return _ended(state.settings, Response(status_code=status.HTTP_204_NO_CONTENT))
