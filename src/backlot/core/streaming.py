"""Serving a stored object over HTTP as browsers and players expect (RFC 9110):
`Range` (one range; 206 with `Content-Range`, 416 when unsatisfiable), `If-Range`,
`If-None-Match` / `If-Modified-Since` (304), `If-Match` (412), `HEAD`, `ETag`,
`Last-Modified`, `Accept-Ranges`, and an inline `Content-Disposition`.

Every answer carries STREAM_HEADERS: a browser never guesses another type than the one
sent, and a document it might still render (an HTML file opened from its URL) runs in a
sandbox with no origin, so stored bytes cannot script the service's pages.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from backlot.core.errors import ProblemError, problem_response, problem_responses
from backlot.core.storage import ObjectInfo, ObjectNotFoundError, ObjectStore

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)

Unsatisfiable = Literal["unsatisfiable"]
OnStart = Callable[[], Awaitable[object]]

STREAM_HEADERS = {"x-content-type-options": "nosniff", "content-security-policy": "sandbox"}


def is_media_type(content_type: str) -> bool:
    """Audio or video, which a browser plays and never runs."""
    main = content_type.split(";", 1)[0].strip().lower()
    return main.startswith(("video/", "audio/")) and main.count("/") == 1


def parse_range(header: str | None, size: int) -> tuple[int, int] | Unsatisfiable | None:
    """`(start, end)` with `end` exclusive, None to serve the whole object (no header,
    bad syntax, another unit or several ranges: the RFC lets a server ignore those), or
    "unsatisfiable" (416)."""
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:  # malformed, another unit, or a multi-range request
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(size - length, 0), size
    start = int(first)
    if last and int(last) < start:
        return None  # invalid: ignored, as the RFC says
    if start >= size:
        return "unsatisfiable"
    end = size if not last else min(int(last) + 1, size)
    return start, end


def _etags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def _weak_equal(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


def _http_date(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _not_modified(request: Request, info: ObjectInfo) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or any(_weak_equal(tag, info.etag) for tag in tags)
    since = _http_date(request.headers.get("if-modified-since"))
    return since is not None and int(info.modified.timestamp()) <= since


def _precondition_failed(request: Request, info: ObjectInfo) -> bool:
    if_match = request.headers.get("if-match")
    if if_match is None:
        return False
    tags = _etags(if_match)
    strong = not info.etag.startswith("W/")
    return "*" not in tags and not (strong and info.etag in tags)


def _range_applies(request: Request, info: ObjectInfo) -> bool:
    """If-Range: serve the range only if the client's copy is still current."""
    if_range = request.headers.get("if-range")
    if if_range is None:
        return True
    if if_range.startswith(('"', "W/")):
        return not info.etag.startswith("W/") and if_range == info.etag
    date = _http_date(if_range)
    return date is not None and int(info.modified.timestamp()) == int(date)


def content_disposition(filename: str, disposition: str = "inline") -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


async def object_response(
    request: Request,
    store: ObjectStore,
    key: str,
    *,
    filename: str,
    cache_control: str = "private, max-age=0, must-revalidate",
    extra_headers: Mapping[str, str] | None = None,
    on_start: OnStart | None = None,
) -> Response:
    """The object's answer; `on_start` runs for a GET answered 200/206 once the bytes
    are open and about to be sent (a failure there closes them and fails the answer)."""
    try:
        info = await store.stat(key)
    except ObjectNotFoundError as exc:
        raise ProblemError(404, "not_found", "The file's content is gone.") from exc
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": info.etag,
        "Last-Modified": format_datetime(info.modified, usegmt=True),
        "Content-Disposition": content_disposition(filename),
        "Cache-Control": cache_control,
        **STREAM_HEADERS,
        **(extra_headers or {}),
    }
    if _precondition_failed(request, info):
        return problem_response(
            ProblemError(
                412, "precondition_failed", "If-Match names another version.", headers=headers
            )
        )
    if _not_modified(request, info):
        return Response(status_code=304, headers=headers)
    wanted = parse_range(request.headers.get("range"), info.size)
    if wanted is not None and not _range_applies(request, info):
        wanted = None
    if wanted == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{info.size}"
        return problem_response(
            ProblemError(
                416,
                "range_not_satisfiable",
                f"The range starts past the end ({info.size} bytes).",
                headers=headers,
                size=info.size,
            )
        )
    start, end = (0, info.size) if wanted is None else wanted
    status = 200 if wanted is None else 206
    if status == 206:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{info.size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=info.content_type)
    try:
        reader = await store.open(key, start, end)
    except ObjectNotFoundError as exc:
        raise ProblemError(404, "not_found", "The file's content is gone.") from exc
    if on_start is not None:
        try:
            await on_start()
        except BaseException:
            await reader.aclose()
            raise

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in reader:
                yield chunk
        finally:
            await reader.aclose()  # also when the client went away mid-stream

    return StreamingResponse(
        body(), status_code=status, headers=headers, media_type=info.content_type
    )


def range_responses(media: str, what: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI answers of a route served by `object_response`."""
    return {
        200: {"content": {media: {}}, "description": what},
        206: {"description": "The requested range."},
        304: {"description": "Not modified (If-None-Match / If-Modified-Since)."},
        **problem_responses(404, 412, 416, *errors),
    }
