"""Routes serving the pages, their static files and the npm-installed browser libraries."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
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
    # Its messages per language: the workspace loads the page's language (Korean, or
    # English again after a switch).
    "blockly-ko.js": NODE_MODULES / "blockly" / "msg" / "ko.js",
    "blockly-en.js": NODE_MODULES / "blockly" / "msg" / "en.js",
    # The API docs (web/api_docs.py): Swagger UI, its icon, and ReDoc's one-file build.
    "swagger-ui-bundle.js": NODE_MODULES / "swagger-ui-dist" / "swagger-ui-bundle.js",
    "swagger-ui.css": NODE_MODULES / "swagger-ui-dist" / "swagger-ui.css",
    "swagger-favicon.png": NODE_MODULES / "swagger-ui-dist" / "favicon-32x32.png",
    "redoc.standalone.js": NODE_MODULES / "redoc" / "bundles" / "redoc.standalone.js",
}
# ReDoc 2 shows Redocly's logo from cdn.redoc.ly in every sidebar, with no option to turn it
# off: we serve its bundle with that address emptied (the <img> then removes itself), so the
# docs ask no other host for anything.
REWRITES = {
    "redoc.standalone.js": (b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"', b'src:""'),
}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}

router = APIRouter(prefix="/app", include_in_schema=False)
# The front door, outside /app: the landing page, the icon browsers ask for on their own,
# and the addresses people guess.
front_router = APIRouter(include_in_schema=False)
FAVICON = STATIC_DIR / "favicon.svg"
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


# Each page is one file: where the links Backlot mails lead (confirm an address, choose a
# new password), then the apps' pages.
PAGES = {
    "/verify-email": "account.html",
    "/reset-password": "account.html",
    "/me": "me.html",
    "/labeling": "labeling.html",
    "/videos": "videos.html",
    "/dubbing": "dubbing.html",
    "/workspace": "workspace.html",
    "/workspace/{room_id}": "workspace.html",
    "/admin": "admin.html",
}


def _page(name: str) -> Callable[[], Awaitable[FileResponse]]:
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / name, media_type="text/html")

    return page


for _path, _name in PAGES.items():
    router.add_api_route(_path, _page(_name), methods=["GET"])


@front_router.get("/")
async def landing() -> FileResponse:
    return FileResponse(STATIC_DIR / "landing.html", media_type="text/html")


# Browsers ask for /favicon.ico whatever the page says; it is the same SVG the pages link.
@front_router.get("/favicon.ico")
async def favicon() -> FileResponse:
    return FileResponse(FAVICON, media_type="image/svg+xml")


async def _to_landing() -> RedirectResponse:
    return RedirectResponse("/", status_code=307)


for _guess in ("/app", "/app/", "/login"):
    front_router.add_api_route(_guess, _to_landing, methods=["GET"])


@router.get("/vendor/{name}")
async def vendor_file(name: str) -> Response:
    path = VENDOR.get(name)
    if path is None:
        raise ProblemError(404, "not_found", f"No browser library named {name}.")
    if not path.is_file():
        raise ProblemError(
            404,
            "browser_library_missing",
            f"{name} is not installed: run `make` (or `npm ci` in src/backlot/web).",
        )
    media_type = MEDIA_TYPES[path.suffix]
    if name in REWRITES:
        old, new = REWRITES[name]
        content = await anyio.Path(path).read_bytes()
        return Response(content.replace(old, new), media_type=media_type)
    return FileResponse(path, media_type=media_type)


def install_pages(app: FastAPI, node_modules: Path = NODE_MODULES) -> None:
    app.include_router(router)
    app.include_router(front_router)
    app.mount("/app/static", QuietStaticFiles(directory=STATIC_DIR), name="static")
    # Blockly's cursors and sprites; check_dir=False: npm may install them after start-up.
    media = QuietStaticFiles(directory=node_modules / "blockly" / "media", check_dir=False)
    app.mount("/app/vendor/blockly-media", media, name="blockly-media")
