"""Password hashing, signed tokens (JWT) and opaque refresh tokens."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from backlot.core.clock import Clock
from backlot.core.errors import unauthorized

# OWASP's Argon2id floor: 19 MiB memory, 2 iterations, 1 lane.
_password_hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))


@functools.cache
def _dummy_hash() -> str:
    # Verifying against this when an account does not exist keeps the answer time the
    # same, so the login endpoint does not reveal which emails have accounts.
    return _password_hash.hash(secrets.token_urlsafe(16))


ACCESS_AUDIENCE = "backlot:access"
_ALGORITHM = "HS256"
_CLOCK_SKEW = timedelta(seconds=60)
_VERIFIED_CACHE_SIZE = 4096


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_password_hash.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """Constant-work check; a missing hash still costs one Argon2 verification."""
    target = password_hash or _dummy_hash()
    ok = await anyio.to_thread.run_sync(_password_hash.verify, password, target)
    return ok and password_hash is not None


def new_opaque_token() -> tuple[str, str]:
    """A random token for the client and the digest we store (never the token itself)."""
    token = secrets.token_urlsafe(32)
    return token, digest_token(token)


def digest_token(token: str) -> str:
    # 256 random bits need no slow hash: SHA-256 is preimage-resistant for them.
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    audience: str
    expires_at: datetime
    token_id: str
    extra: dict[str, Any]


class TokenSigner:
    """Issues and checks HS256 JWTs; the audience says what a token is for."""

    def __init__(self, secret: str, issuer: str, clock: Clock) -> None:
        self._secret = secret
        self._issuer = issuer
        self._clock = clock
        # A client sends the same access token with every request; its signature and
        # claims are checked once, its time window on every use.
        self._verified: OrderedDict[tuple[str, str], tuple[datetime, TokenClaims]] = OrderedDict()

    def issue(
        self,
        subject: str,
        audience: str,
        ttl: timedelta,
        *,
        issued_at: datetime | None = None,
        token_id: str | None = None,
        **claims: Any,
    ) -> str:
        """A signed token; the same `issued_at` and `token_id` give the same token again."""
        now = issued_at or self._clock.now()
        payload = {
            **claims,
            "sub": subject,
            "aud": audience,
            "iss": self._issuer,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": token_id or uuid.uuid4().hex,
        }
        return jwt.encode(payload, self._secret, algorithm=_ALGORITHM)

    def derive(self, purpose: str, value: str) -> str:
        """A token only this server can compute from `value` (HMAC under the signing key):
        the same input always gives the same token, without storing it."""
        mac = hmac.new(self._secret.encode(), f"{purpose}\0{value}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    def verify(self, token: str, audience: str) -> TokenClaims:
        known = self._verified.get((token, audience))
        if known is not None:
            self._check_window(*known)
            return known[1]
        claims, issued_at = self._decode(token, audience)
        self._check_window(issued_at, claims)
        self._verified[(token, audience)] = (issued_at, claims)
        if len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return claims

    def _check_window(self, issued_at: datetime, claims: TokenClaims) -> None:
        now = self._clock.now()
        if issued_at > now + _CLOCK_SKEW:
            raise unauthorized("invalid_token", "The token is not valid yet.")
        if claims.expires_at <= now:
            raise unauthorized("token_expired", "The token has expired.")

    def _decode(self, token: str, audience: str) -> tuple[TokenClaims, datetime]:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=audience,
                issuer=self._issuer,
                # Time claims are checked below against the injectable clock.
                options={
                    "require": ["exp", "iat", "sub", "aud", "iss"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise unauthorized("invalid_token", "The token is not valid.") from exc
        try:
            expires_at = datetime.fromtimestamp(payload["exp"], tz=UTC)
            issued_at = datetime.fromtimestamp(payload["iat"], tz=UTC)
        except (TypeError, ValueError, OverflowError) as exc:
            raise unauthorized("invalid_token", "The token is not valid.") from exc
        reserved = {"sub", "aud", "iss", "iat", "exp", "jti"}
        claims = TokenClaims(
            subject=str(payload["sub"]),
            audience=audience,
            expires_at=expires_at,
            token_id=str(payload.get("jti", "")),
            extra={k: v for k, v in payload.items() if k not in reserved},
        )
        return claims, issued_at
