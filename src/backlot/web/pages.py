"""Routes serving the pages, their static files and the npm-installed browser libraries."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from backlot.core.errors import ProblemError

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
# Installed by `make` (npm ci in this folder) from package.json; never committed.
NODE_MODULES = WEB_DIR / "node_modules"
VENDOR = {
    "socket.io.min.js": NODE_MODULES / "socket.io-client" / "dist" / "socket.io.min.js",
    # Blockly's browser build: core, the standard blocks and the English messages.
    "blockly.min.js": NODE_MODULES / "blockly" / "blockly.min.js",
}

router = APIRouter(prefix="/app", include_in_schema=False)
log = logging.getLogger("backlot.web")


class QuietStaticFiles(StaticFiles):
    """StaticFiles whose every failure to find a file is a 404 problem (through the app's
    handler), never a 500 naming the install directory: a folder npm has not installed,
    symlink loops, names the file system refuses (Starlette handles only some of them)."""

    async def check_config(self) -> None:
        return None  # a missing folder is answered per request, below

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code == 401:  # Starlette's answer to PermissionError
                raise HTTPException(404) from exc
            raise
        except (OSError, ValueError) as exc:
            log.info("static path %r not served: %s", path[:200], type(exc).__name__)
            raise HTTPException(404) from exc


@router.get("/verify-email")
@router.get("/reset-password")
async def account_page() -> FileResponse:
    """Where the links Backlot mails lead: confirm an address, choose a new password."""
    return FileResponse(STATIC_DIR / "account.html", media_type="text/html")


@router.get("/labeling")
async def labeling_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "labeling.html", media_type="text/html")


@router.get("/videos")
async def videos_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "videos.html", media_type="text/html")


@router.get("/dubbing")
async def dubbing_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "dubbing.html", media_type="text/html")


@router.get("/workspace")
@router.get("/workspace/{room_id}")
async def workspace_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "workspace.html", media_type="text/html")


@router.get("/vendor/{name}")
async def vendor_file(name: str) -> FileResponse:
    path = VENDOR.get(name)
    if path is None:
        raise ProblemError(404, "not_found", f"No browser library named {name}.")
    if not path.is_file():
        raise ProblemError(
            404,
            "browser_library_missing",
            f"{name} is not installed: run `make` (or `npm ci` in src/backlot/web).",
        )
    return FileResponse(path, media_type="text/javascript")


def install_pages(app: FastAPI, node_modules: Path = NODE_MODULES) -> None:
    app.include_router(router)
    app.mount("/app/static", QuietStaticFiles(directory=STATIC_DIR), name="static")
    # Blockly's cursors and sprites; check_dir=False: npm may install them after start-up.
    media = QuietStaticFiles(directory=node_modules / "blockly" / "media", check_dir=False)
    app.mount("/app/vendor/blockly-media", media, name="blockly-media")
