"""Dependency aliases of the dubbing routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from backlot.core.deps import runtime_dependency
from backlot.core.params import MAX_ID
from backlot.dubbing.runtime import DubbingRuntime

DubbingDep = Annotated[DubbingRuntime, Depends(runtime_dependency(DubbingRuntime))]
# A line's id; its URLs keep seed 003's name for it, `token_id`.
LineIdPath = Annotated[int, Path(ge=1, le=MAX_ID, alias="token_id")]
