"""Rate limits of the sign-in routes, per client address and per account.

The client address is the socket peer (`request.client.host`). `backlot serve` runs
uvicorn with proxy_headers on: it replaces the peer with X-Forwarded-For only when the
peer is a trusted proxy (FORWARDED_ALLOW_IPS, default 127.0.0.1, e.g. the nginx of
deploy/), so a remote client cannot choose the address it is counted under.

Limits kept for an account or a mailbox come in two levels: a strict one per (account,
client address), and a higher one per account over all addresses, set above what one
address may spend. So one client cannot lock the owner out (the owner's address has its
own count), and many clients together are still bounded.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from backlot.core.ratelimit import too_many_requests
from backlot.core.state import AppState


def client_address(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def _account(email: str) -> str:
    # One counter for every spelling of an address ("ALICE@example.com " is alice's).
    return email.strip().lower()


async def throttle_address(connection: HTTPConnection, state: AppState, *, action: str) -> None:
    """429 with Retry-After when this address calls `action` too often."""
    await state.rate_limiter.check(
        state.settings.auth_address_rate_limit, action, "address", client_address(connection)
    )


def _login_keys(
    connection: HTTPConnection, state: AppState, email: str
) -> list[tuple[str, tuple[str, ...]]]:
    account = _account(email)
    settings = state.settings
    return [
        (settings.login_rate_limit, ("login", "pair", account, client_address(connection))),
        (settings.login_account_rate_limit, ("login", "account", account)),
    ]


async def check_login(connection: HTTPConnection, state: AppState, *, email: str) -> None:
    """Before the password is verified: 429 while either level is full, even for the right
    password (else guessing would go on, only with the answers hidden)."""
    for limits, key in _login_keys(connection, state, email):
        verdict = await state.rate_limiter.test(limits, *key)
        if not verdict.allowed:
            raise too_many_requests(verdict.retry_after)


async def record_failed_login(connection: HTTPConnection, state: AppState, *, email: str) -> None:
    """Only wrong passwords count: the owner signing in spends nothing."""
    for limits, key in _login_keys(connection, state, email):
        await state.rate_limiter.hit(limits, *key)


async def _mail_verdict(state: AppState, email: str, client: str) -> int:
    """0 when a mail to `email` may be asked for now (and count it), else the seconds
    to wait. Kinds of mail share the counts: they bound what lands in one mailbox."""
    settings = state.settings
    mailbox = _account(email)
    levels = [
        (settings.mail_rate_limit, ("mail", "pair", mailbox, client)),
        (settings.mail_address_rate_limit, ("mail", "address", mailbox)),
    ]
    for limits, key in levels:
        verdict = await state.rate_limiter.test(limits, *key)
        if not verdict.allowed:
            return verdict.retry_after
    for limits, key in levels:
        verdict = await state.rate_limiter.hit(limits, *key)
        if not verdict.allowed:  # lost a race since the test
            return verdict.retry_after
    return 0


async def throttle_mail(state: AppState, *, email: str, client: str) -> None:
    """Mails asked for an address by a client (address); refused alike whether or not
    it has an account."""
    retry_after = await _mail_verdict(state, email, client)
    if retry_after:
        raise too_many_requests(retry_after)


async def may_mail(state: AppState, *, email: str, client: str) -> bool:
    """The silent variant, for mails the caller does not know are sent."""
    return not await _mail_verdict(state, email, client)


async def throttle_user_admin(state: AppState, *, actor_id: int, is_superuser: bool) -> None:
    """User creations and email changes by one admin: each answer tells whether an
    address has an account, and each sends a mail. The platform superuser is trusted."""
    if not is_superuser:
        await state.rate_limiter.check(
            state.settings.user_admin_rate_limit, "user_admin", str(actor_id)
        )
