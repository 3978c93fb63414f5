"""The workspace app as the composition root mounts it: its WebSocket endpoint first."""

from backlot.core.apps import AppModule
from backlot.workspace.router import router, socket_router
from backlot.workspace.runtime import WorkspaceRuntime

workspace = AppModule("workspace", routers=(socket_router, router), build=WorkspaceRuntime)
