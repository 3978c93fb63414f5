"""Dependencies of the labeling routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backlot.labeling.tasks import LabelingRuntime


async def _runtime(request: Request) -> LabelingRuntime:
    runtime: LabelingRuntime = request.app.state.labeling
    return runtime


RuntimeDep = Annotated[LabelingRuntime, Depends(_runtime)]
