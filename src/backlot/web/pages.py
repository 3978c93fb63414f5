"""Routes serving the pages, their static files and the npm-installed browser libraries."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from backlot.core.errors import ProblemError

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
# Installed by `make` (npm ci in this folder) from package.json; never committed.
VENDOR = {
    "socket.io.min.js": WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}

router = APIRouter(prefix="/app", include_in_schema=False)


@router.get("/labeling")
async def labeling_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "labeling.html", media_type="text/html")


@router.get("/videos")
async def videos_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "videos.html", media_type="text/html")


@router.get("/vendor/{name}")
async def vendor_file(name: str) -> FileResponse:
    path = VENDOR.get(name)
    if path is None:
        raise ProblemError(404, "not_found", f"No browser library named {name}.")
    if not path.is_file():
        raise ProblemError(
            404,
            "browser_library_missing",
            f"{name} is not installed: run `make` (or `npm ci` in {WEB_DIR}).",
        )
    return FileResponse(path, media_type="text/javascript")


def install_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/app/static", StaticFiles(directory=STATIC_DIR), name="static")
