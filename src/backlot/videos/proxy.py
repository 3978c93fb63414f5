"""Streaming a video that lives at an external URL, as if it were ours: the client's
Range and validators go upstream, an allow-list of headers comes back, and the upstream
response is closed as soon as the client goes away.

The fetch connects to the address the SSRF check approved (Host and TLS SNI keep the
name), so a DNS answer that changes between check and connect reaches nothing new. What
upstream calls its content type is kept only when it is audio or video: anything else
(an HTML page, a script) goes out as an `application/octet-stream` attachment, and
every answer is sandboxed and never sniffed (see STREAM_HEADERS).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from backlot.core.errors import ProblemError, problem_response
from backlot.core.streaming import STREAM_HEADERS, content_disposition, is_media_type
from backlot.videos.sources import CheckedUrl, resolve_public_url

FORWARDED = ("range", "if-range", "if-none-match", "if-modified-since")
RETURNED = ("content-length", "content-range", "accept-ranges", "etag", "last-modified")
PASSED_STATUSES = {200, 206, 304, 416}

OnStart = Callable[[], Awaitable[object]]


def build_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=10.0),
        follow_redirects=False,  # a redirect could point anywhere, the private network too
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        trust_env=False,  # the address checked is the address connected to, no proxy
    )


def _upstream_failed(detail: str) -> ProblemError:
    return ProblemError(502, "upstream_failed", detail)


def _pinned_request(
    http: httpx.AsyncClient, method: str, checked: CheckedUrl, headers: dict[str, str]
) -> httpx.Request:
    url = httpx.URL(checked.url)
    if checked.address is None:  # an allow-listed host: the operator vouches for its name
        return http.build_request(method, url, headers=headers)
    headers["host"] = url.netloc.decode("ascii")
    return http.build_request(
        method,
        url.copy_with(host=checked.address, port=checked.port),
        headers=headers,
        extensions={"sni_hostname": checked.host},  # and the certificate is checked for it
    )


def _answer_headers(upstream: httpx.Response, filename: str) -> dict[str, str]:
    returned = {k: v for k, v in upstream.headers.items() if k.lower() in RETURNED}
    kind = upstream.headers.get("content-type", "")
    disposition = "inline"
    if not is_media_type(kind):
        kind, disposition = "application/octet-stream", "attachment"
    returned["content-type"] = kind
    returned["content-disposition"] = content_disposition(filename, disposition)
    returned["cache-control"] = "private, max-age=0, must-revalidate"
    returned.update(STREAM_HEADERS)
    return returned


async def proxy_video(
    http: httpx.AsyncClient,
    request: Request,
    url: str,
    *,
    filename: str,
    allowed_hosts: Collection[str],
    on_start: OnStart | None = None,
) -> Response:
    """Upstream's answer; `on_start` runs once upstream answered 200/206 to a GET, just
    before its bytes are sent (a failure there closes upstream and fails the answer)."""
    checked = await resolve_public_url(url, allowed_hosts)
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
    headers["accept-encoding"] = "identity"  # bytes as stored, so ranges mean the same
    outgoing = _pinned_request(http, request.method, checked, headers)
    try:
        upstream = await http.send(outgoing, stream=True)
    except httpx.HTTPError as exc:
        raise _upstream_failed(f"The video's host did not answer ({type(exc).__name__}).") from exc
    if upstream.status_code not in PASSED_STATUSES:
        await upstream.aclose()
        raise _upstream_failed(f"The video's host answered {upstream.status_code}.")
    returned = _answer_headers(upstream, filename)
    if request.method == "HEAD" or upstream.status_code in (304, 416):
        await upstream.aclose()
        if upstream.status_code == 416:
            returned.pop("content-type")  # the answer is problem JSON
            return problem_response(
                ProblemError(
                    416, "range_not_satisfiable", "The range starts past the end.", headers=returned
                )
            )
        return Response(status_code=upstream.status_code, headers=returned)
    # A page or a script served as an attachment is no view of a video: it pays nothing.
    playable = is_media_type(upstream.headers.get("content-type", ""))
    if on_start is not None and playable:
        try:
            await on_start()
        except BaseException:
            await upstream.aclose()
            raise

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await upstream.aclose()  # also when the client went away mid-stream

    return StreamingResponse(body(), status_code=upstream.status_code, headers=returned)
