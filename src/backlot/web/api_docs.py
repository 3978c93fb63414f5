"""The API docs: Swagger UI at /docs and ReDoc at /redoc, their scripts, styles and icon
served by us from the npm packages (`swagger-ui-dist`, `redoc`) as the pages' libraries are,
so they work without internet and their policy names no other host."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse

from backlot.core.headers import docs_policy

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
VENDOR_URL = "/app/vendor"
# Swagger UI would send the schema to validator.swagger.io for its badge.
# No deep links: Swagger UI draws each one as a link inside the operation's button (a
# control inside a control, which screen readers and axe reject).
SWAGGER_PARAMETERS = {"validatorUrl": None, "deepLinking": False}
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _beside_backlot(page: HTMLResponse, root: str) -> HTMLResponse:
    """FastAPI's page with a language (the docs are English), our stylesheet (contrast) and
    a link home at the top, so the docs are a page of Backlot rather than a dead end."""
    html = bytes(page.body).decode()
    html = html.replace("<html>", '<html lang="en">', 1)
    html = html.replace(
        "</head>", f'<link rel="stylesheet" href="{root}/app/static/docs.css">\n</head>', 1
    )
    html = re.sub(
        r"<body>",
        f'<body>\n<a class="backlot-home" href="{root}/">← Backlot</a>',
        html,
        count=1,
    )
    return HTMLResponse(html)


def _with_policy(page: HTMLResponse, *, inline_styles: bool = False) -> HTMLResponse:
    """The page with the docs' policy allowing exactly its own inline scripts."""
    scripts = INLINE_SCRIPT.findall(bytes(page.body).decode())
    policy = docs_policy(inline_scripts=scripts, inline_styles=inline_styles)
    page.headers["content-security-policy"] = policy
    return page


def install_api_docs(app: FastAPI) -> None:
    """Our /docs, /docs/oauth2-redirect and /redoc in place of FastAPI's (the app is built
    with docs_url=None and redoc_url=None), for an app that serves its schema."""
    openapi_url = app.openapi_url
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    if not openapi_url or not oauth2_redirect_url:
        raise ValueError("the API docs need the app's schema URL and OAuth2 redirect URL")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _with_policy(
            _beside_backlot(
                get_swagger_ui_html(
                    openapi_url=root + openapi_url,
                    title=f"{app.title} - Swagger UI",
                    swagger_js_url=f"{root}{VENDOR_URL}/swagger-ui-bundle.js",
                    swagger_css_url=f"{root}{VENDOR_URL}/swagger-ui.css",
                    swagger_favicon_url=f"{root}{VENDOR_URL}/swagger-favicon.png",
                    oauth2_redirect_url=root + oauth2_redirect_url,
                    init_oauth=app.swagger_ui_init_oauth,
                    swagger_ui_parameters={
                        **SWAGGER_PARAMETERS,
                        **(app.swagger_ui_parameters or {}),
                    },
                ),
                root,
            )
        )

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return _with_policy(get_swagger_ui_oauth2_redirect_html())

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _with_policy(
            _beside_backlot(
                get_redoc_html(
                    openapi_url=root + openapi_url,
                    title=f"{app.title} - ReDoc",
                    redoc_js_url=f"{root}{VENDOR_URL}/redoc.standalone.js",
                    redoc_favicon_url=f"{root}{VENDOR_URL}/swagger-favicon.png",
                    with_google_fonts=False,
                ),
                root,
            ),
            inline_styles=True,
        )

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(oauth2_redirect_url, oauth2_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
