"""Rate limits of the sign-in routes, per client address and per account.

The client address is the socket peer (`request.client.host`). `backlot serve` runs
uvicorn with proxy_headers on: it replaces the peer with X-Forwarded-For only when the
peer is a trusted proxy (FORWARDED_ALLOW_IPS, default 127.0.0.1, e.g. the nginx of
deploy/), so a remote client cannot choose the address it is counted under.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from backlot.core.state import AppState


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


async def throttle_address(connection: HTTPConnection, state: AppState, action: str) -> None:
    """429 with Retry-After when this address calls `action` too often."""
    await state.rate_limiter.check(
        state.settings.auth_address_rate_limit, action, "address", client_address(connection)
    )


async def throttle_login(state: AppState, email: str) -> None:
    await state.rate_limiter.check(state.settings.login_rate_limit, "login", "account", email)


async def throttle_mail(state: AppState, action: str, email: str) -> None:
    """Mails asked for an address; refused alike whether or not it has an account."""
    await state.rate_limiter.check(state.settings.mail_rate_limit, "mail", action, email)


async def may_mail(state: AppState, action: str, email: str) -> bool:
    """The silent variant, for mails the caller does not know are sent."""
    verdict = await state.rate_limiter.hit(state.settings.mail_rate_limit, "mail", action, email)
    return verdict.allowed
