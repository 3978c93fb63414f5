"""Streaming a video that lives at an external URL, as if it were ours: the client's
Range and validators go upstream, an allow-list of headers comes back, and the upstream
response is closed as soon as the client goes away."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from backlot.core.errors import ProblemError, problem_response
from backlot.core.streaming import content_disposition
from backlot.videos.sources import check_public_url

FORWARDED = ("range", "if-range", "if-none-match", "if-modified-since")
RETURNED = (
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
)
PASSED_STATUSES = {200, 206, 304, 416}


def build_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0),
        follow_redirects=False,  # a redirect could point anywhere, the private network too
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )


def _upstream_failed(detail: str) -> ProblemError:
    return ProblemError(502, "upstream_failed", detail)


async def proxy_video(
    http: httpx.AsyncClient,
    request: Request,
    url: str,
    *,
    filename: str,
    allowed_hosts: Collection[str],
) -> Response:
    await check_public_url(url, allowed_hosts)
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
    headers["accept-encoding"] = "identity"  # bytes as stored, so ranges mean the same
    outgoing = http.build_request(request.method, url, headers=headers)
    try:
        upstream = await http.send(outgoing, stream=True)
    except httpx.HTTPError as exc:
        raise _upstream_failed(f"The video's host did not answer ({type(exc).__name__}).") from exc
    if upstream.status_code not in PASSED_STATUSES:
        await upstream.aclose()
        raise _upstream_failed(f"The video's host answered {upstream.status_code}.")
    returned = {k: v for k, v in upstream.headers.items() if k.lower() in RETURNED}
    returned["content-disposition"] = content_disposition(filename)
    returned["cache-control"] = "private, max-age=0, must-revalidate"
    returned["x-content-type-options"] = "nosniff"
    if request.method == "HEAD" or upstream.status_code in (304, 416):
        await upstream.aclose()
        if upstream.status_code == 416:
            return problem_response(
                ProblemError(
                    416, "range_not_satisfiable", "The range starts past the end.", headers=returned
                )
            )
        return Response(status_code=upstream.status_code, headers=returned)

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await upstream.aclose()  # also when the client went away mid-stream

    return StreamingResponse(body(), status_code=upstream.status_code, headers=returned)
