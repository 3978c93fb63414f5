"""Verification of OpenID Connect ID tokens (Google sign-in) against the issuer's JWKS."""

from __future__ import annotations

from typing import Any

import anyio
import jwt

from backlot.core.errors import unauthorized

# Asymmetric algorithms only: an ID token signed with a shared secret ("HS256") or "none"
# must never verify against a public key.
_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384"]


class IdTokenVerifier:
    """Checks signature (JWKS), `iss`, `aud`, `exp`, `iat` and `sub` of an ID token."""

    def __init__(self, jwks_url: str, issuers: list[str], audience: str) -> None:
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=10)
        self._issuers = issuers
        self._audience = audience

    async def verify(self, token: str) -> dict[str, Any]:
        # PyJWKClient fetches keys with blocking urllib; keep it off the event loop.
        return await anyio.to_thread.run_sync(self._verify_sync, token)

    def _verify_sync(self, token: str) -> dict[str, Any]:
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                audience=self._audience,
                issuer=self._issuers,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError as exc:
            raise unauthorized("id_token_expired", "The ID token has expired.") from exc
        except jwt.PyJWKClientConnectionError as exc:
            raise unauthorized(
                "id_token_unverifiable", "The identity provider's keys could not be fetched."
            ) from exc
        except jwt.PyJWTError as exc:
            raise unauthorized("invalid_id_token", f"The ID token is not valid: {exc}") from exc
        return claims
