"""The lock endpoint's lean handler: the hottest route of the service, answered without
FastAPI's per-request machinery (dependency solving, validating the answer it was just
handed, encoding it twice).

`LeanLockRoute` is the route class of `POST /v1/labeling/lock` only. It keeps the
route's declaration (OpenAPI, middlewares, exception handlers) and its behaviour, and
runs the common case itself: a JSON body that is a valid `LockRequest`, then the same
dependencies in the same order (Bearer token, principal cache), the same service calls,
and the same answer. Anything else (no or another content type, a body that does not
validate) goes to FastAPI's own handler, which answers it exactly as before: nothing has
happened yet at that point.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from backlot.accounts.deps import request_principal
from backlot.accounts.principal import Principal
from backlot.core.state import AppState, app_state, runtime_of
from backlot.labeling import service
from backlot.labeling.runtime import LabelingRuntime
from backlot.labeling.schemas import LockRead, LockRequest

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _json_content(request: Request) -> bool:
    kind = request.headers.get("content-type")
    return kind is not None and kind.partition(";")[0].strip().lower() == "application/json"


async def lock_answer(
    state: AppState, labeling: LabelingRuntime, user: Principal, body: LockRequest
) -> LockRead:
    """What `POST /v1/labeling/lock` does, whichever handler runs it."""
    project_id = await service.member_project(
        state.sessionmaker, labeling.projects, requester=user, project_id=body.project_id
    )
    held = await service.lock_file(
        labeling.locks,
        labeling.journal,
        state.clock,
        requester=user,
        project_id=project_id,
        file_name=body.file_name,
        ttl=timedelta(seconds=state.settings.labeling_lock_ttl_seconds),
        switch=body.switch,
    )
    return service.lock_read(held, state.clock.now())


class LeanLockRoute(APIRoute):
    """The route class of the lock route (router.py)."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if not _json_content(request):
                return await standard(request)
            body = await request.body()  # kept by the request: `standard` can read it again
            try:
                lock = LockRequest.model_validate_json(body)
            except ValidationError:
                return await standard(request)
            state = app_state(request)
            user = await request_principal(request, state)
            read = await lock_answer(state, runtime_of(request, LabelingRuntime), user, lock)
            return Response(read.model_dump_json(), media_type="application/json")

        return handle
