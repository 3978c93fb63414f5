"""Dependencies of the labeling routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from backlot.core.deps import runtime_dependency
from backlot.labeling.runtime import LabelingRuntime

RuntimeDep = Annotated[LabelingRuntime, Depends(runtime_dependency(LabelingRuntime))]
