"""Google sign-in against a local JWKS server with our own key: good, forged, expired,
wrong audience and wrong issuer tokens, linking and creation of accounts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from backlot.accounts.superuser import create_superuser
from backlot.app import create_app
from backlot.core.clock import FrozenClock
from backlot.core.settings import Settings
from tests.accounts.conftest import Mailbox
from tests.helpers import PASSWORD, bearer, login, register, unique_email

CLIENT_ID = "backlot-test.apps.googleusercontent.com"
ISSUER = "https://accounts.google.com"


class Keys:
    def __init__(self) -> None:
        self.signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> bytes:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.signing.public_key()))
        return json.dumps(
            {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}
        ).encode()

    def token(self, *, key: Any = None, kid: str = "k1", **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "google-sub-1",
            "email": "alice@gmail.com",
            "email_verified": True,
            "name": "Alice",
            "iat": now,
            "exp": now + 3600,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.signing, algorithm="RS256", headers={"kid": kid})


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


@pytest.fixture(scope="module")
def jwks_url(keys: Keys) -> Iterator[str]:
    body = keys.jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    server.shutdown()


@pytest.fixture
async def google_client(
    mailbox: Mailbox, settings: Settings, clock: FrozenClock, jwks_url: str
) -> AsyncIterator[AsyncClient]:
    settings.google_client_id = CLIENT_ID
    settings.google_jwks_url = jwks_url
    app: FastAPI = create_app(settings, clock)
    async with app.router.lifespan_context(app):
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _google(client: AsyncClient, token: str) -> Any:
    return await client.post("/v1/auth/google", json={"id_token": token})


async def test_valid_token_creates_account_and_signs_in(
    google_client: AsyncClient, keys: Keys
) -> None:
    response = await _google(google_client, keys.token())
    assert response.status_code == 200, response.text
    tokens = response.json()
    me = (await google_client.get("/v1/users/me", headers=bearer(tokens["access_token"]))).json()
    assert me["email"] == "alice@gmail.com"
    assert me["display_name"] == "Alice"
    assert me["corporation_id"] is None
    # Same subject again: the same account, not a second one.
    again = await _google(google_client, keys.token())
    me2 = await google_client.get("/v1/users/me", headers=bearer(again.json()["access_token"]))
    assert me2.json()["id"] == me["id"]
    refreshed = await google_client.post(
        "/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200


async def test_verified_email_links_existing_password_account(
    google_client: AsyncClient, keys: Keys, mailbox: Mailbox
) -> None:
    email = unique_email()
    user = await register(google_client, email, "Acme")
    verify = {"token": await mailbox.link_token(email)}
    assert (await google_client.post("/v1/auth/verify-email", json=verify)).status_code == 204
    response = await _google(google_client, keys.token(sub="sub-link", email=email.upper()))
    me = await google_client.get("/v1/users/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["id"] == user["id"]
    await login(google_client, email)  # the password still works too


async def test_unverified_email_does_not_link(google_client: AsyncClient, keys: Keys) -> None:
    email = unique_email()
    await register(google_client, email)
    response = await _google(
        google_client, keys.token(sub="sub-unverified", email=email, email_verified=False)
    )
    assert response.status_code == 401
    assert response.json()["code"] == "email_not_verified"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"key": "stranger"}, "invalid_id_token"),
        ({"aud": "someone-else.apps.googleusercontent.com"}, "invalid_id_token"),
        ({"iss": "https://evil.example.com"}, "invalid_id_token"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "id_token_expired"),
        ({"sub": None}, "invalid_id_token"),
        ({"kid": "unknown-kid"}, "invalid_id_token"),
    ],
    ids=["forged", "wrong-audience", "wrong-issuer", "expired", "no-subject", "unknown-key"],
)
async def test_bad_tokens_are_refused(
    google_client: AsyncClient, keys: Keys, overrides: dict[str, Any], code: str
) -> None:
    if overrides.get("key") == "stranger":
        overrides = {**overrides, "key": keys.stranger}
    response = await _google(google_client, keys.token(**overrides))
    assert response.status_code == 401, response.text
    assert response.json()["code"] == code
    assert response.headers["content-type"] == "application/problem+json"


async def test_hs256_token_with_public_key_as_secret_is_refused(
    google_client: AsyncClient, keys: Keys
) -> None:
    """Algorithm confusion: a token "signed" with HS256 must not verify."""
    token = jwt.encode(
        {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": "x",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        "not-a-real-key-but-long-enough-for-hmac-0123456789",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    response = await _google(google_client, token)
    assert response.status_code == 401


async def test_google_disabled_without_client_id(client: AsyncClient, keys: Keys) -> None:
    response = await _google(client, keys.token())
    assert response.status_code == 404
    assert response.json()["code"] == "google_login_disabled"


async def test_google_sign_in_takes_over_unverified_password_account(
    google_client: AsyncClient, keys: Keys, mailbox: Mailbox
) -> None:
    """Pre-account takeover: an attacker registers the victim's address with their own
    password and waits; the victim's Google sign-in must lock the attacker out."""
    victim = unique_email("victim")
    planted = await register(google_client, victim, "Attacker Inc")
    attacker = await login(google_client, victim)

    response = await _google(google_client, keys.token(sub="sub-victim", email=victim))
    assert response.status_code == 200, response.text
    me = await google_client.get("/v1/users/me", headers=bearer(response.json()["access_token"]))
    assert me.json()["id"] == planted["id"]
    assert me.json()["email_verified"] is True

    # The attacker's password, access token and refresh token are all dead.
    again = await google_client.post("/v1/auth/login", json={"email": victim, "password": PASSWORD})
    assert again.status_code == 401
    old = await google_client.get("/v1/users/me", headers=bearer(attacker["access_token"]))
    assert old.status_code == 401
    assert old.json()["code"] == "session_ended"
    stale = await google_client.post(
        "/v1/auth/refresh", json={"refresh_token": attacker["refresh_token"]}
    )
    assert stale.status_code == 401
    # The owner is told.
    notice = await mailbox.wait_for(victim, count=2)  # the first was the confirmation link
    assert "Google" in str(notice["Subject"])


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("Mallory\u202egnp.exe", "Mallorygnp.exe"),
        ("Bell\x07", "Bell"),
        ("x" * 150, "x" * 100),
        ("\u200b\u200d", None),
    ],
    ids=["bidi-name", "control-name", "long-name", "only-invisible"],
)
async def test_google_names_are_stored_clean(
    google_client: AsyncClient, keys: Keys, name: str, stored: str | None
) -> None:
    """A person cannot fix their Google name for us: it is cleaned, never stored with
    bidi overrides, control characters or past 100 characters, and they still get in."""
    email = unique_email("named")
    response = await _google(google_client, keys.token(sub=f"sub-{email}", email=email, name=name))
    assert response.status_code == 200, response.text
    me = await google_client.get("/v1/users/me", headers=bearer(response.json()["access_token"]))
    if stored is not None:
        assert me.json()["display_name"] == stored
    else:
        assert "\u200b" not in me.json()["display_name"]


@pytest.mark.parametrize(
    "claims",
    [{"email": "not an email"}, {"email": "a@b@example.com"}],
    ids=["email-syntax", "two-ats"],
)
async def test_bad_google_claims_are_refused_and_not_stored(
    google_client: AsyncClient, keys: Keys, claims: dict[str, Any]
) -> None:
    response = await _google(google_client, keys.token(sub="sub-bad-claims", **claims))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_id_token_claims"
    # Nothing stored: the same subject with clean claims creates a fresh account.
    clean = await _google(
        google_client, keys.token(sub="sub-bad-claims", email="clean@gmail.com", name="Clean")
    )
    assert clean.status_code == 200
    me = await google_client.get("/v1/users/me", headers=bearer(clean.json()["access_token"]))
    assert me.json()["display_name"] == "Clean"


async def test_corporation_admin_cannot_take_credentials_of_a_verified_user(
    google_client: AsyncClient, keys: Keys, mailbox: Mailbox, settings: Settings
) -> None:
    """A self-made admin adds the victim's address to their corporation; the victim signs
    in with Google (the account is taken over and verified). The admin may then neither
    set its password nor change its address (and reset it); the platform superuser may."""
    attacker = await register(google_client, unique_email("evil"), "Evil Co")
    admin = bearer((await login(google_client, str(attacker["email"])))["access_token"])
    victim = unique_email("victim")
    created = await google_client.post(
        "/v1/users", json={"email": victim, "password": PASSWORD}, headers=admin
    )
    assert created.status_code == 201, created.text
    victim_id = created.json()["id"]

    signed_in = await _google(google_client, keys.token(sub="sub-evil-co-victim", email=victim))
    assert signed_in.status_code == 200, signed_in.text
    # The owner learns which corporation the account belongs to.
    notice = await mailbox.wait_for(victim, count=2)  # the first was the confirmation link
    assert "Evil Co" in notice.get_content()

    taken = "attacker chose this lantern"
    for change in ({"password": taken}, {"email": unique_email("attacker")}):
        refused = await google_client.patch(f"/v1/users/{victim_id}", json=change, headers=admin)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "user_manages_own_credentials"
        assert "password reset" in refused.json()["detail"]
    bad = await google_client.post("/v1/auth/login", json={"email": victim, "password": taken})
    assert bad.status_code == 401
    me = await google_client.get("/v1/users/me", headers=bearer(signed_in.json()["access_token"]))
    assert me.json()["email"] == victim
    # Other changes stay the admin's to make.
    renamed = await google_client.patch(
        f"/v1/users/{victim_id}", json={"display_name": "Vic"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text

    root = unique_email("root")
    await create_superuser(settings, root, PASSWORD, "Root")
    su = bearer((await login(google_client, root))["access_token"])
    allowed = await google_client.patch(
        f"/v1/users/{victim_id}", json={"password": taken}, headers=su
    )
    assert allowed.status_code == 200, allowed.text
    await login(google_client, victim, taken)
