"""The request files in http/ run, top to bottom, against the service, as REST Client
would run them: file variables, named requests and {{name.response.body.field}}."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from httpx import AsyncClient

from backlot.accounts.superuser import create_superuser
from backlot.core.settings import Settings
from tests.conftest import TEST_SECRET

HTTP_DIR = Path(__file__).resolve().parent.parent / "http"
_REFERENCE = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: str
    name: str | None = None
    expect: set[int] = field(default_factory=set)


def _parse(text: str) -> tuple[dict[str, str], list[Request]]:
    variables: dict[str, str] = {}
    requests: list[Request] = []
    for block in re.split(r"^###.*$", text, flags=re.M):
        name, expect, lines = None, set(), []
        for line in block.strip("\n").splitlines():
            if m := re.match(r"^@(\w+)\s*=\s*(.*)$", line):
                variables[m[1]] = m[2].strip()
            elif m := re.match(r"^#\s*@name\s+(\w+)", line):
                name = m[1]
            elif m := re.match(r"^#\s*@expect\s+([\d ]+)", line):
                expect = {int(code) for code in m[1].split()}
            elif not line.startswith("#"):
                lines.append(line)
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            continue
        method, url = lines[0].split()[:2]
        headers: dict[str, str] = {}
        index = 1
        while index < len(lines) and lines[index].strip():
            key, value = lines[index].split(":", 1)
            headers[key.strip()] = value.strip()
            index += 1
        body = "\n".join(lines[index + 1 :]).strip()
        requests.append(Request(method, url, headers, body, name, expect))
    return variables, requests


def _resolve(text: str, variables: dict[str, str], named: dict[str, object]) -> str:
    def lookup(match: re.Match[str]) -> str:
        path = match[1]
        if path in variables:
            return _resolve(variables[path], variables, named)
        name, _, rest = path.partition(".response.body.")
        value = named[name]
        for part in rest.split("."):
            value = value[part]  # type: ignore[index]
        return str(value)

    return _REFERENCE.sub(lookup, text)


def _body(folder: Path, headers: dict[str, str], text: str) -> bytes:
    """Multipart bodies as REST Client sends them: CRLF lines, `< path` lines replaced by
    that file's bytes."""
    if not headers.get("Content-Type", "").startswith("multipart/form-data"):
        return text.encode()
    lines = [
        (folder / line[2:].strip()).read_bytes() if line.startswith("< ") else line.encode()
        for line in text.splitlines()
    ]
    return b"\r\n".join(lines) + b"\r\n"


async def _run(client: AsyncClient, path: Path) -> int:
    variables, requests = _parse(path.read_text())
    named: dict[str, object] = {}
    for request in requests:
        url = _resolve(request.url, variables, named)
        headers = {k: _resolve(v, variables, named) for k, v in request.headers.items()}
        body = _body(path.parent, headers, _resolve(request.body, variables, named))
        response = await client.request(request.method, url, headers=headers, content=body or None)
        where = f"{path.name}: {request.method} {url}"
        if request.expect:
            assert response.status_code in request.expect, f"{where}: {response.text}"
        else:
            assert response.status_code < 400, f"{where}: {response.text}"
        if request.name:
            named[request.name] = json.loads(response.text) if response.text else {}
    return len(requests)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # videos.http registers a video on a made-up host; no DNS answers for it here.
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        var_dir=tmp_path / "var",
        video_url_allowed_hosts=["media.example.com"],
    )


async def test_http_files_run_in_order(client: AsyncClient, settings: Settings) -> None:
    """auth.http registers the admin that users.http and corporations.http use."""
    client.base_url = "http://127.0.0.1:8000"  # type: ignore[assignment]
    await create_superuser(settings, "root@example.com", "root password 1", None)
    ran = 0
    for name in (
        "auth.http",
        "users.http",
        "corporations.http",
        "labeling.http",
        "videos.http",
        "view_logs.http",
        "workspace.http",
    ):
        ran += await _run(client, HTTP_DIR / name)
    assert ran >= 20


async def test_every_video_route_has_a_request(client: AsyncClient) -> None:
    """Seed 001 shipped its REST Client files; ours cover every route of the app."""
    spec = (await client.get("/openapi.json")).json()
    wanted = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        if path.startswith(("/v1/videos", "/v1/view-logs"))
        for method in item
    }
    sent: set[tuple[str, str]] = set()
    for name in ("videos.http", "view_logs.http"):
        _, requests = _parse((HTTP_DIR / name).read_text())
        for request in requests:
            path = request.url.replace("{{base}}", "").split("?", 1)[0]
            sent.add((request.method, re.sub(r"\{\{[^}]+\}\}", "{}", path)))
    covered = {
        (method, path)
        for method, path in wanted
        if (method, re.sub(r"\{[^}]+\}", "{}", path)) in sent
        or (method == "GET" and path.startswith("/v1/videos/stream/") and ("GET", "{}") in sent)
    }
    assert covered == wanted, f"no request for {sorted(wanted - covered)}"
