"""Mail flows through a real SMTP server: confirming an address, resetting a password,
and register answers that do not reveal who has an account."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select

from backlot.accounts.models import EmailToken, User
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from backlot.core.state import AppState
from tests.accounts.conftest import Mailbox
from tests.helpers import PASSWORD, bearer, login, register, unique_email


async def _me(client: AsyncClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    tokens = await login(client, email, password)
    return dict((await client.get("/v1/users/me", headers=bearer(tokens["access_token"]))).json())


async def test_register_answers_alike_for_new_and_taken_addresses(
    mailbox: Mailbox, client: AsyncClient, app: object
) -> None:
    """User enumeration: register used to answer 409 email_taken for a known address."""
    email = unique_email()
    first = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    taken = await client.post(
        "/v1/auth/register",
        json={"email": email.upper(), "password": "another long one", "corporation_name": "X"},
    )
    assert first.status_code == taken.status_code == 202
    assert first.json() == taken.json()
    # The owner hears of the attempt; nothing else changed.
    await mailbox.wait_for(email, count=2)
    subjects = [str(m["Subject"]) for m in mailbox.to(email)]
    assert subjects == ["Confirm your email address", "Someone tried to register with your address"]
    state: AppState = app.state.backlot  # type: ignore[attr-defined]
    async with state.sessionmaker() as session:
        users = await session.scalar(select(func.count()).select_from(User))
    assert users == 1
    assert (await _me(client, email))["corporation_id"] is None


async def test_password_account_is_confirmed_by_a_single_use_link(
    mailbox: Mailbox, client: AsyncClient, app: object, settings: Settings
) -> None:
    email = unique_email()
    user = await register(client, email)
    assert user["email_verified"] is False
    message = await mailbox.wait_for(email)
    assert message["From"] == settings.mail_from
    assert f"{settings.public_url}/app/verify-email?token=" in message.get_content()
    token = await mailbox.link_token(email)
    # Stored as a digest only.
    state: AppState = app.state.backlot  # type: ignore[attr-defined]
    async with state.sessionmaker() as session:
        stored = list(await session.scalars(select(EmailToken.token_hash)))
    assert token not in stored and len(stored[0]) == 64

    assert (await client.post("/v1/auth/verify-email", json={"token": token})).status_code == 204
    assert (await _me(client, email))["email_verified"] is True
    again = await client.post("/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_link_token"


async def test_verification_link_expires(
    mailbox: Mailbox, client: AsyncClient, clock: FrozenClock
) -> None:
    email = unique_email()
    await register(client, email)
    token = await mailbox.link_token(email)
    clock.advance(timedelta(hours=49))
    late = await client.post("/v1/auth/verify-email", json={"token": token})
    assert late.status_code == 400
    # A new link can be asked for, the same way for any address.
    for address in (email, unique_email()):
        resend = await client.post("/v1/auth/verify-email/resend", json={"email": address})
        assert resend.status_code == 202
    fresh = await mailbox.link_token(email, count=2)
    assert (await client.post("/v1/auth/verify-email", json={"token": fresh})).status_code == 204


async def test_required_verification_refuses_sign_in_until_confirmed(
    mailbox: Mailbox, settings: Settings, client: AsyncClient
) -> None:
    settings.require_email_verification = True
    email = unique_email()
    response = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 202
    refused = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json()["code"] == "email_not_verified"
    token = await mailbox.link_token(email)
    assert (await client.post("/v1/auth/verify-email", json={"token": token})).status_code == 204
    await login(client, email)


async def test_resend_is_limited_alike_for_any_address(
    mailbox: Mailbox, settings: Settings, client: AsyncClient
) -> None:
    settings.mail_rate_limit = "2/hour"
    for address in (unique_email(), unique_email("nobody")):
        answers = [
            await client.post("/v1/auth/verify-email/resend", json={"email": address})
            for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [202, 202, 429]
        assert int(answers[-1].headers["retry-after"]) > 0
        assert answers[-1].json()["code"] == "rate_limited"


async def test_password_reset_by_mail(
    mailbox: Mailbox, client: AsyncClient, clock: FrozenClock
) -> None:
    email = unique_email()
    await register(client, email)
    old = await login(client, email)
    known = await client.post("/v1/auth/password-reset", json={"email": email})
    unknown = await client.post("/v1/auth/password-reset", json={"email": unique_email()})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    message = await mailbox.wait_for(email, count=2)
    assert message["Subject"] == "Reset your password"
    token = await mailbox.link_token(email, count=2)

    # A weak password is refused and the link stays usable (nothing half-done).
    weak = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": "password123"}
    )
    assert weak.status_code == 422
    assert weak.json()["code"] == "weak_password"
    new_password = "violet lantern orbit"
    ok = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": new_password}
    )
    assert ok.status_code == 204, ok.text
    # Single use; the old password and every old session are gone.
    again = await client.post(
        "/v1/auth/password-reset/confirm", json={"token": token, "new_password": new_password}
    )
    assert again.status_code == 400
    bad = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert bad.status_code == 401
    stale = await client.get("/v1/users/me", headers=bearer(old["access_token"]))
    assert stale.json()["code"] == "session_ended"
    refresh = await client.post("/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refresh.status_code == 401
    # The link proved the mailbox.
    assert (await _me(client, email, new_password))["email_verified"] is True


async def test_password_reset_link_expires(
    mailbox: Mailbox, client: AsyncClient, clock: FrozenClock
) -> None:
    email = unique_email()
    await register(client, email)
    await client.post("/v1/auth/password-reset", json={"email": email})
    token = await mailbox.link_token(email, count=2)
    clock.advance(timedelta(minutes=31))
    late = await client.post(
        "/v1/auth/password-reset/confirm",
        json={"token": token, "new_password": "violet lantern orbit"},
    )
    assert late.status_code == 400
    assert late.json()["code"] == "invalid_link_token"


async def test_admin_created_user_is_unverified_and_mailed(
    mailbox: Mailbox, client: AsyncClient
) -> None:
    admin = await register(client, unique_email("admin"), "Acme")
    headers = bearer((await login(client, str(admin["email"])))["access_token"])
    email = unique_email("staff")
    created = await client.post(
        "/v1/users", json={"email": email, "password": PASSWORD}, headers=headers
    )
    assert created.status_code == 201
    assert created.json()["email_verified"] is False
    token = await mailbox.link_token(email)
    assert (await client.post("/v1/auth/verify-email", json={"token": token})).status_code == 204


async def test_without_smtp_mails_are_written_to_var_dir(
    app: object, client: AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The embedded default: the quickstart works without a mail server. The log says
    which file holds the mail (its link would be redacted there anyway)."""
    caplog.set_level(logging.INFO, logger="backlot.mail")
    email = unique_email()
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    state: AppState = app.state.backlot  # type: ignore[attr-defined]
    await state.mailer.close()  # the mail is posted in the background
    files = list(Path(settings.var_dir, "mail").glob("*.eml"))
    assert len(files) == 1
    text = files[0].read_text()
    assert f"To: {email}" in text and "/app/verify-email?token=" in text
    [logged] = [r.getMessage() for r in caplog.records if r.name == "backlot.mail"]
    assert str(files[0]) in logged and "token=" not in logged
