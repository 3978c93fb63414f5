"""Every domain's tables, imported in one place so Alembic sees the whole schema."""

from backlot.accounts.models import Corporation, RefreshToken, User
from backlot.core.db import Base
from backlot.core.scheduling import ScheduledRun
from backlot.dubbing.models import Actor, Bookmark, Job, Line, Script, WebhookDelivery
from backlot.labeling.models import LabelingFile, LabelingProject, LockEvent
from backlot.videos.models import Video, VideoViewLog
from backlot.workspace.models import WorkspaceRoom, WorkspaceSnapshot

__all__ = [
    "Actor",
    "Base",
    "Bookmark",
    "Corporation",
    "Job",
    "LabelingFile",
    "LabelingProject",
    "Line",
    "LockEvent",
    "RefreshToken",
    "ScheduledRun",
    "Script",
    "User",
    "Video",
    "VideoViewLog",
    "WebhookDelivery",
    "WorkspaceRoom",
    "WorkspaceSnapshot",
]
