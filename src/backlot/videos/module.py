"""The videos app as the composition root mounts it."""

from backlot.core.apps import AppModule
from backlot.videos.router import router, view_logs_router
from backlot.videos.runtime import VideosRuntime

videos = AppModule("videos", routers=(router, view_logs_router), build=VideosRuntime)
