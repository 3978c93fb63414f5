"""Signing in, whichever way the tokens are handed back (a JSON pair to API clients, a
cookie and an access token to the pages): the password check with its rate limits, and
Google sign-in."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from backlot.accounts import auth
from backlot.accounts.models import User
from backlot.accounts.schemas import LoginRequest
from backlot.accounts.throttle import check_login, record_failed_login, throttle_address
from backlot.core.errors import ProblemError, invalid_request
from backlot.core.state import AppState


async def login_credentials(request: Request) -> LoginRequest:
    """JSON {email, password}, or the OAuth2 password form Swagger's Authorize sends."""
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
        raise invalid_request(exc, source=source) from exc


async def password_sign_in(request: Request, session: AsyncSession, state: AppState) -> User:
    """The user whose email and password the request carries, within the sign-in limits."""
    await throttle_address(request, state, action="login")
    credentials = await login_credentials(request)
    await check_login(request, state, email=credentials.email)
    try:
        return await auth.authenticate(
            session, state.settings, email=credentials.email, password=credentials.password
        )
    except ProblemError as exc:
        if exc.code == "invalid_credentials":
            await record_failed_login(request, state, email=credentials.email)
        raise


async def google_sign_in(session: AsyncSession, state: AppState, *, id_token: str) -> User:
    """The user of a Google ID token; creates or links the account (see auth.py)."""
    if state.id_tokens is None:
        raise ProblemError(
            404, "google_login_disabled", "Google sign-in is not configured on this server."
        )
    claims = await state.id_tokens.verify(id_token)
    return await auth.sign_in_with_google(session, state, raw_claims=claims)
