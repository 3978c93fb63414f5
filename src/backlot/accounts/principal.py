"""Who is acting: what hot paths need to know of a signed-in user, without the row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from backlot.accounts.models import Role, User
from backlot.core.errors import forbidden


class Requester(Protocol):
    """What authorization reads of the user making a request; `User` rows and `Principal`s
    both fit."""

    @property
    def id(self) -> int: ...
    @property
    def display_name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def corporation_id(self) -> int | None: ...
    @property
    def is_superuser(self) -> bool: ...
    @property
    def is_corporation_admin(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Principal:
    id: int
    display_name: str
    role: str
    corporation_id: int | None
    is_superuser: bool
    session_generation: int = 0

    @property
    def is_corporation_admin(self) -> bool:
        return self.role == Role.admin and self.corporation_id is not None

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(
            id=user.id,
            display_name=user.display_name,
            role=user.role,
            corporation_id=user.corporation_id,
            is_superuser=user.is_superuser,
            session_generation=user.session_generation,
        )


def require_corporation_admin(requester: Requester) -> None:
    """403 unless the requester is an admin of a corporation (the apps' admin-only actions)."""
    if not requester.is_corporation_admin:
        raise forbidden("Only the corporation's admins may do this.")
