"""What the videos app keeps in each process: the HTTP client for external URLs, the
autocommit pool of the stream route on PostgreSQL (views.py), and the scheduled
job that purges videos deleted longer ago than the retention."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from backlot.core.apps import AppHost, ScheduledJob
from backlot.videos.proxy import build_http_client
from backlot.videos.service import purge_deleted_videos
from backlot.videos.views import build_views_engine


class VideosRuntime:
    def __init__(self, host: AppHost) -> None:
        self.state = host.state
        self.http = build_http_client()
        self.views_engine = build_views_engine(host.state.engine, host.state.settings.db_pool_size)

    def scheduled_jobs(self) -> Sequence[ScheduledJob]:
        settings = self.state.settings
        purge = partial(
            purge_deleted_videos,
            store=self.state.storage,
            retention_days=settings.video_deleted_retention_days,
        )
        return [ScheduledJob("videos.purge_deleted", settings.video_purge_interval_seconds, purge)]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await self.http.aclose()
        if self.views_engine is not None:
            await self.views_engine.dispose()
