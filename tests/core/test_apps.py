"""The app shape: every route that takes a multipart file declares its upload limit
next to the route, and app runtimes are found by type."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from backlot.app import APPS, create_app
from backlot.core.apps import MULTIPART_OVERHEAD, upload_limits
from backlot.core.settings import Settings
from backlot.core.state import Runtimes


def _routes() -> list[APIRoute]:
    return [
        route
        for module in APPS
        for router in module.routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]


def test_every_multipart_route_declares_its_upload_limit(settings: Settings) -> None:
    spec = create_app(settings).openapi()
    multipart = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    }
    assert multipart  # the check below must have something to check
    limited = [pattern for pattern, _ in upload_limits(_routes(), settings)]
    for path, method in multipart:
        concrete = path.replace("{project_id}", "7").replace("{token_id}", "7")
        assert any(p.fullmatch(concrete) for p in limited), f"{method} {path} has no upload limit"


def test_the_declared_limits_are_the_settings_plus_framing(settings: Settings) -> None:
    limits = {p.pattern: n for p, n in upload_limits(_routes(), settings)}
    assert limits["^/v1/videos$"] == settings.video_max_upload_bytes + MULTIPART_OVERHEAD
    labeling = "^/v1/labeling/projects/(?P<project_id>[0-9]+)/files/upload$"
    assert limits[labeling] == settings.labeling_max_image_bytes + MULTIPART_OVERHEAD


def test_a_runtime_is_found_by_its_type_and_a_missing_one_is_named() -> None:
    class Here:
        pass

    class Absent:
        pass

    runtimes = Runtimes()
    here = Here()
    runtimes.add(here)
    assert runtimes.get(Here) is here
    with pytest.raises(LookupError, match="Absent is not running"):
        runtimes.get(Absent)
