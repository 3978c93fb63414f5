"""deploy/nginx.conf in front of a real `backlot serve`: Debian's nginx, the config as
shipped (only addresses and paths swapped for the test's), an upload through it and a
video streamed by nginx itself through X-Accel-Redirect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import TEST_SECRET
from tests.helpers import PASSWORD, running_server, unique_email
from tests.nginx import DEPLOY, running_nginx


@pytest.fixture
def behind_nginx(tmp_path: Path) -> Iterator[str]:
    env = {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
        "BACKLOT_VIDEO_ACCEL_REDIRECT_PREFIX": "/_protected/objects/",
    }
    with (
        running_server(tmp_path, env) as backend,
        running_nginx(backend, tmp_path / "var" / "objects", tmp_path) as base,
    ):
        yield base


def test_nginx_sends_the_bytes_via_x_accel_redirect(behind_nginx: str, sample_mp4: Path) -> None:
    data = sample_mp4.read_bytes()
    with httpx.Client(base_url=behind_nginx, timeout=30) as http:
        email = unique_email("nginx")
        account = {"email": email, "password": PASSWORD, "corporation_name": email}
        assert http.post("/v1/auth/register", json=account).status_code == 202
        login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        made = http.post(
            "/v1/videos",
            files={"file": ("sample.mp4", data, "video/mp4")},
            data={"name": "Through nginx"},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        stream = made.json()["stream_path"]
        part = http.get(stream, headers={**headers, "Range": "bytes=1000-1999"})
        assert part.status_code == 206
        assert part.content == data[1000:2000]
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
        assert part.headers["content-type"] == "video/mp4"
        assert part.headers["content-disposition"].startswith("inline")
        assert "x-accel-redirect" not in part.headers
        assert part.headers["x-content-type-options"] == "nosniff"
        assert part.headers["content-security-policy"] == "sandbox"
        assert part.headers["server"].startswith("nginx")
        whole = http.get(stream, headers=headers)
        assert whole.content == data
        assert http.get(stream).status_code == 401  # nginx serves only what the app allowed
        me = http.get("/v1/users/me", headers=headers).json()
        assert me["point"] == 0  # the uploader earns nothing on their own video
        direct = http.get("/_protected/objects/videos/1/anything")
        assert direct.status_code == 404  # internal: not reachable from outside


def test_compose_file_runs_the_seed_layout() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert set(compose["services"]) == {"postgres", "redis", "backend", "worker", "nginx"}
    assert compose["services"]["worker"]["command"] == ["backlot", "worker"]
    assert compose["services"]["nginx"]["ports"] == ["80:80"]
    backend = compose["services"]["backend"]
    assert backend["build"]["dockerfile"] == "deploy/Dockerfile"
    # Compose resolves the build context against the compose file's folder.
    assert (DEPLOY / backend["build"]["context"]).resolve() == DEPLOY.parent.resolve()
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for copied in ("requirements/base.txt", "pyproject.toml", "alembic.ini", "src"):
        assert copied in dockerfile
        assert (DEPLOY.parent / copied).exists()
