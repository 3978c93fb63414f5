"""Join tickets: a page asks for one over REST (with its access token in a header) and
connects with `?ticket=`, so the token never sits in a socket URL.

A ticket is random, short-lived (BACKLOT_WORKSPACE_TICKET_SECONDS) and good once, for one
user and one room. It lives in the key-value cache port; taking it is one get-and-delete
(Redis GETDEL when scaled), so of two processes offered the same ticket only one admits.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from backlot.core.kv import KeyValueCache

_PREFIX = "workspace-ticket:"


@dataclass(frozen=True)
class Ticket:
    user_id: int
    room_id: str
    generation: int  # the user's session generation: a ticket dies with its session


async def issue(kv: KeyValueCache, grant: Ticket, ttl: timedelta) -> str:
    ticket = secrets.token_urlsafe(24)
    await kv.set(_PREFIX + ticket, json.dumps(vars(grant)), ttl)
    return ticket


async def redeem(kv: KeyValueCache, ticket: str) -> Ticket | None:
    """The ticket's user and room, once; None when unknown, expired or used."""
    if not 16 <= len(ticket) <= 64:
        return None
    raw = await kv.pop(_PREFIX + ticket)
    if raw is None:
        return None
    data = json.loads(raw)
    return Ticket(int(data["user_id"]), str(data["room_id"]), int(data["generation"]))
