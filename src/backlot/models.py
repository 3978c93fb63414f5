"""Every domain's tables, imported in one place so Alembic sees the whole schema."""

from backlot.accounts.models import Corporation, RefreshToken, User
from backlot.core.db import Base
from backlot.labeling.models import LabelingFile, LabelingProject, LockEvent

__all__ = [
    "Base",
    "Corporation",
    "LabelingFile",
    "LabelingProject",
    "LockEvent",
    "RefreshToken",
    "User",
]
