"""The labeling app as the composition root mounts it (its Socket.IO handlers are
registered by the runtime on the shared server)."""

from backlot.core.apps import AppModule
from backlot.labeling.annotation_routes import router as annotation_router
from backlot.labeling.router import router
from backlot.labeling.runtime import LabelingRuntime

labeling = AppModule("labeling", routers=(router, annotation_router), build=LabelingRuntime)
