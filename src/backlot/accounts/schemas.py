"""API shapes of the accounts app."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic.json_schema import SkipJsonSchema

from backlot.accounts.models import PlanType, Role
from backlot.accounts.passwords import MIN_LENGTH, not_blank
from backlot.core.params import IdField
from backlot.core.schemas import FromJsonText, RequestModel
from backlot.core.text import no_control_characters


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]


def _iso_text(value: object) -> object:
    # Lax pydantic would read 0 as 1970-01-01; the API documents ISO 8601 text only.
    if not isinstance(value, str | datetime):
        raise ValueError("expected an ISO 8601 date-time string with a zone")
    return value


AwareTime = Annotated[AwareDatetime, FromJsonText, BeforeValidator(_iso_text)]
RoleName = Annotated[Role, FromJsonText]
PlanName = Annotated[PlanType, FromJsonText]
Password = Annotated[str, Field(min_length=MIN_LENGTH, max_length=256), AfterValidator(not_blank)]
# Bidirectional overrides and isolates make a name display as something else
# ("Trojan Source"): "\u202eresu" shows as "user" reversed in the other direction.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _no_bidi_controls(value: str) -> str:
    if _BIDI_CONTROLS.intersection(value):
        raise ValueError("bidirectional control characters are not allowed")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(no_control_characters),
    AfterValidator(_no_bidi_controls),
]


# --- auth ---------------------------------------------------------------------------


class RegisterRequest(RequestModel):
    email: Email
    password: Password
    display_name: Name | None = None
    corporation_name: Name | None = Field(
        None, description="Also create this corporation and make the new user its admin."
    )


class LoginRequest(RequestModel):
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=256)]


class RefreshRequest(RequestModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class GoogleLoginRequest(RequestModel):
    id_token: Annotated[str, Field(min_length=1, max_length=8192)]


class EmailRequest(RequestModel):
    email: Email


class VerifyEmailRequest(RequestModel):
    token: Annotated[str, Field(min_length=1, max_length=512)]


class PasswordResetConfirm(RequestModel):
    token: Annotated[str, Field(min_length=1, max_length=512)]
    new_password: Password


class Accepted(BaseModel):
    detail: str


def _printable_name(value: object) -> str | None:
    """A Google profile name as we store names: invisible and control characters taken
    out, at most 100 characters; nothing left, no name. A person cannot fix their Google
    name for us, so it is cleaned, not refused (the address and subject are refused)."""
    if not isinstance(value, str):
        return None
    kept = "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cf", "Cs"))
    return kept.strip()[:100].strip() or None


class GoogleClaims(BaseModel):
    """What we keep of a verified Google ID token: checked like what people type."""

    sub: Annotated[str, Field(min_length=1, max_length=255)]
    email: Email | None = None
    email_verified: bool | str | None = None
    name: Annotated[Name | None, BeforeValidator(_printable_name)] = None


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")


class AccessToken(BaseModel):
    """The pages' half of a browser session: the refresh token stays in its cookie."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int = Field(description="Seconds until the access token expires.")


# --- corporations -------------------------------------------------------------------


class CorporationCreate(RequestModel):
    name: Name
    plan_type: PlanName = PlanType.free
    plan_expired_at: AwareTime | None = Field(None, description="Required for a paid plan.")


class CorporationUpdate(RequestModel):
    # Omit a field to keep it; null is refused (the schema says so) except for the expiry.
    name: Name | SkipJsonSchema[None] = None
    plan_type: PlanName | SkipJsonSchema[None] = None
    plan_expired_at: AwareTime | None = None


class CorporationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    plan_type: PlanType
    plan_expired_at: datetime | None
    effective_plan: PlanType = Field(description="`paid` only while the paid period runs.")
    plan_downgraded_at: datetime | None = Field(
        None, description="When a lapsed paid plan was last turned into `free`."
    )
    created_at: datetime
    updated_at: datetime


# --- users ----------------------------------------------------------------------------


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    corporation_id: int | None
    point: int
    is_superuser: bool
    email_verified: bool
    created_at: datetime


class CorporationSummary(BaseModel):
    """What a member may know of their own corporation (the pages' header shows it)."""

    id: int
    name: str
    effective_plan: PlanType = Field(description="`paid` only while the paid period runs.")


class MeRead(UserRead):
    corporation: CorporationSummary | None = Field(
        None, description="The caller's corporation; null for a personal account."
    )


class UserCreate(RequestModel):
    email: Email
    password: Password
    role: RoleName = Role.guest
    display_name: Name | None = None
    corporation_id: IdField | None = Field(
        None, description="Superusers only; admins always create users in their own."
    )


class UserUpdate(RequestModel):
    email: Email | SkipJsonSchema[None] = None
    display_name: Name | SkipJsonSchema[None] = None
    role: RoleName | SkipJsonSchema[None] = None
    password: Password | SkipJsonSchema[None] = None


class MeUpdate(RequestModel):
    display_name: Name | SkipJsonSchema[None] = None
    password: Password | SkipJsonSchema[None] = None
    current_password: Annotated[str, Field(max_length=256)] | None = Field(
        None, description="Required to set a new password when the account has one."
    )
