"""Seeds 003-004 ("YouSync"): dubbing practice; lines of scripts, recorded attempts,
queued scoring with progress over SSE, signed webhooks, my page."""

from backlot.core.apps import AppModule
from backlot.dubbing.attempts import router as attempts_router
from backlot.dubbing.mypage import router as mypage_router
from backlot.dubbing.router import scripts_router, tokens_router
from backlot.dubbing.runtime import DubbingRuntime

__all__ = ["dubbing_app"]

dubbing_app = AppModule(
    name="dubbing",
    routers=(scripts_router, attempts_router, tokens_router, mypage_router),
    build=DubbingRuntime.from_host,
)
