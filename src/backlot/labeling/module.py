"""The labeling app as the composition root mounts it (its Socket.IO handlers are
registered by the runtime on the shared server)."""

from backlot.core.apps import AppModule
from backlot.labeling.router import router
from backlot.labeling.runtime import LabelingRuntime

labeling = AppModule("labeling", routers=(router,), build=LabelingRuntime)
