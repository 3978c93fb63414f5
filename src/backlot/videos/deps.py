"""Dependencies of the videos routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from backlot.core.deps import runtime_dependency
from backlot.videos.runtime import VideosRuntime

VideosDep = Annotated[VideosRuntime, Depends(runtime_dependency(VideosRuntime))]
