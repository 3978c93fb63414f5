"""The jobs port: a queue that delivers job ids to the processes that run jobs.

The database row is the truth about a job (DESIGN.md § 6); the queue only delivers ids,
and a delivery only wakes this process's dispatcher, which asks the app's `JobSource`
whose turn it is. So a queue needs nothing of a job but its id, and an app supplies only
what its jobs do: which one to claim next and how to run a claimed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar


class JobTakenBack(Exception):  # noqa: N818 - an event, not a failure of the job
    """Raised inside a job that finds its row no longer running under it (the reaper took
    it back, another delivery finished it): the job stops quietly, nothing is retried."""


class ClaimedJob(Protocol):
    @property
    def id(self) -> str: ...


C = TypeVar("C", bound=ClaimedJob)


class JobSource(Protocol[C]):
    """What an app's jobs are: claimed from the database, then run to their end."""

    async def claim_next(self) -> C | None:
        """Claim the job whose turn it is; None when none waits (or others took them)."""
        ...

    async def run(self, job: C) -> None:
        """Run a job this process claimed, and finish, retry or fail its row."""
        ...


@dataclass(frozen=True)
class QueueOptions:
    """How one app's queue runs."""

    name: str  # the stream is `{prefix}{name}-jobs`, its consumers `{prefix}{name}-workers`
    task_name: str  # what each delivery says it is
    slots: int  # jobs at once in one process
    poll_seconds: float  # how often an idle dispatcher looks without a delivery
    task_timeout_seconds: float
    # A delivery a consumer took but did not acknowledge goes to another after this long.
    redelivery_seconds: float


class JobQueue(Protocol):
    """Delivers job ids; in a consuming process, runs the jobs they wake."""

    @property
    def consuming(self) -> bool:
        """Whether this process runs jobs (embedded, or `backlot worker`)."""
        ...

    async def enqueue(self, job_id: str, *, delay: float = 0) -> None:
        """Deliver `job_id` now, or after `delay` seconds (a retry's back-off) unless the
        queue stops first."""
        ...

    async def start(self) -> None:
        """Connect and, when consuming, dispatch. A broker that cannot be reached does not
        stop the start: the queue keeps trying, and reapers redeliver what was lost."""
        ...

    async def stop(self) -> None:
        """Stop dispatching; jobs still running are cancelled (their rows stay running,
        for the reaper to take back)."""
        ...
