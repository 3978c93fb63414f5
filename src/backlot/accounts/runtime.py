"""What the accounts app keeps in each process: the principal cache every signed-in
request and socket reads, the listener that drops a user's cached principal when any
process ends their sessions, and the scheduled job that downgrades lapsed paid plans."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from backlot.accounts.models import User
from backlot.accounts.principal import Principal
from backlot.accounts.service import downgrade_lapsed_plans
from backlot.accounts.sessions import forget_ended_sessions
from backlot.core.apps import AppHost, ScheduledJob
from backlot.core.background import BackgroundLoops
from backlot.core.cache import RowCache


class AccountsRuntime:
    def __init__(self, host: AppHost) -> None:
        self.state = host.state
        self.principals = RowCache[Principal](User, self.state.settings.auth_cache_seconds)
        self.loops = BackgroundLoops()

    def scheduled_jobs(self) -> Sequence[ScheduledJob]:
        every = self.state.settings.plan_check_interval_seconds
        return [ScheduledJob("plans.downgrade_lapsed", every, downgrade_lapsed_plans)]

    async def start(self) -> None:
        # Runs until stopped (it re-subscribes by itself when the bus fails under it).
        self.loops.repeat(
            "sessions.forget",
            partial(forget_ended_sessions, self.state.bus, self.principals),
            lambda: 1.0,
        )

    async def stop(self) -> None:
        await self.loops.stop()
