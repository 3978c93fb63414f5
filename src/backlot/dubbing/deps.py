"""Dependency aliases of the dubbing routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from backlot.core.deps import runtime_dependency
from backlot.dubbing.runtime import DubbingRuntime

DubbingDep = Annotated[DubbingRuntime, Depends(runtime_dependency(DubbingRuntime))]
