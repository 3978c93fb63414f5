"""Dependencies of the labeling routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from backlot.labeling.events import LabelingEvents
from backlot.labeling.tasks import LabelingRuntime


def _events(request: Request) -> LabelingEvents:
    runtime: LabelingRuntime = request.app.state.labeling
    return runtime.events


EventsDep = Annotated[LabelingEvents, Depends(_events)]
