"""The dubbing app as the composition root mounts it."""

from backlot.core.apps import AppModule
from backlot.dubbing.attempts import router as attempts_router
from backlot.dubbing.mypage import router as mypage_router
from backlot.dubbing.router import scripts_router, tokens_router
from backlot.dubbing.runtime import DubbingRuntime

dubbing = AppModule(
    "dubbing",
    routers=(scripts_router, attempts_router, tokens_router, mypage_router),
    build=DubbingRuntime.from_host,
)
