"""Security headers on every answer: a Content-Security-Policy per kind of page, no MIME
sniffing, no Referer (URL tokens must not leak to other sites), HSTS behind https."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Iterable
from hashlib import sha256

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages: our own scripts only (no inline script, no eval). Styles may be inline
# because Blockly injects its CSS in a <style> element. Images and media may be blob:
# (fetched thumbnails, the dubbing recorder) and data: (Blockly's icons). 'self' in
# connect-src covers same-origin ws:/wss: (CSP 3), for Socket.IO and the workspace.
PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Swagger UI and ReDoc (web/api_docs.py) come from the package: no other host. Their one
# inline script each (Swagger's start-up, the OAuth2 redirect) is allowed by its hash, sent by
# the page itself. ReDoc alone needs inline styles: its styled-components writes <style>
# elements, and no nonce can reach its bundle. Images may be data: (Swagger's icons in its
# CSS); ReDoc builds its search worker from a blob: URL.
DOCS_DIRECTIVES = (
    "default-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "worker-src 'self' blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def docs_policy(*, inline_scripts: Iterable[str] = (), inline_styles: bool = False) -> str:
    """The docs' policy, allowing exactly these inline scripts (by their SHA-256)."""
    hashes = [f"'sha256-{b64encode(sha256(s.encode()).digest()).decode()}'" for s in inline_scripts]
    styles = ["style-src 'self'", *(["'unsafe-inline'"] if inline_styles else [])]
    return "; ".join([" ".join(["script-src 'self'", *hashes]), " ".join(styles), *DOCS_DIRECTIVES])


# API answers (JSON, media) are never documents that should run anything.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"


def policy_for(path: str) -> str:
    if path == "/" or path.startswith("/app/"):  # the landing page, then the apps' pages
        return PAGE_POLICY
    if path.startswith(DOCS_PATHS):
        return docs_policy()
    return API_POLICY


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = [
            (b"content-security-policy", policy_for(scope["path"]).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            *([(b"strict-transport-security", HSTS.encode())] if self.hsts else []),
        ]
        names = {name for name, _ in added}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                ours = added
                # A route that set its own policy knows its answer best (streams are
                # `sandbox`): keep it rather than ours.
                if any(k.lower() == b"content-security-policy" for k, _ in headers):
                    ours = [(k, v) for k, v in added if k != b"content-security-policy"]
                    names_here = names - {b"content-security-policy"}
                else:
                    names_here = names
                kept = [(k, v) for k, v in headers if k.lower() not in names_here]
                message = {**message, "headers": kept + ours}
            await send(message)

        await self.app(scope, receive, send_with_headers)
