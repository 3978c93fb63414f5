"""Only multipart bodies of the upload routes get the large upload limit; any other body
sent to them (JSON, form-urlencoded, raw bytes) is held to BACKLOT_MAX_REQUEST_BYTES, so
it cannot be read whole into memory."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from tests.helpers import bearer, login, register, unique_email

UPLOAD_ROUTES = ["/v1/videos", "/v1/labeling/projects/1/files/upload", "/v1/tokens/1/upload-audio"]
BIG = 3 * 1024 * 1024  # over the 1 MiB default, far under every upload limit


@pytest.mark.parametrize("path", UPLOAD_ROUTES)
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", "text/plain", None]
)
async def test_a_non_multipart_body_to_an_upload_route_gets_the_default_limit(
    client: AsyncClient, path: str, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = b'{"url": "' + b"x" * BIG + b'"}'
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "payload_too_large"
    assert response.json()["max_bytes"] == 1_048_576


async def test_a_chunked_json_body_to_an_upload_route_is_cut_off(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email, "Corp")
    headers = bearer((await login(client, email))["access_token"])

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"url": "'
        for _ in range(48):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/v1/videos", content=chunks(), headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"


async def test_a_multipart_upload_still_gets_the_upload_limit(client: AsyncClient) -> None:
    email = unique_email()
    await register(client, email, "Corp")
    headers = bearer((await login(client, email))["access_token"])
    response = await client.post(
        "/v1/videos",
        files={"file": ("clip.mp4", b"\x00" * BIG, "video/mp4")},
        data={"name": "clip"},
        headers=headers,
    )
    # Read whole and refused for its content (zeros are no MP4), not for its size.
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "unsupported_media_type"
