"""Dependencies of the workspace routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from backlot.core.deps import runtime_dependency
from backlot.workspace.runtime import WorkspaceRuntime

RuntimeDep = Annotated[WorkspaceRuntime, Depends(runtime_dependency(WorkspaceRuntime))]
