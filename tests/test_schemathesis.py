"""The whole OpenAPI surface, fuzzed by schemathesis against a real server on each
database: no 5xx, responses match the documented schemas, statuses and headers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest

from backlot.accounts.superuser import create_superuser
from backlot.core.settings import Settings
from tests.conftest import TEST_SECRET, needs_postgres
from tests.helpers import PASSWORD, running_server

# Every check runs (schemathesis' default) except those the config file turns off, with
# the reason next to each.
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


# PostgreSQL, the stricter database, sees both actors; SQLite the admin, whose routes are
# the most (each run is one to three minutes of the suite).
@pytest.mark.parametrize(
    ("database_url", "actor"),
    [
        pytest.param("postgresql", "superuser", marks=needs_postgres),
        pytest.param("postgresql", "admin", marks=needs_postgres),
        ("sqlite", "admin"),
    ],
    indirect=["database_url"],
)
def test_no_server_errors_anywhere(
    database_url: str, tmp_path: Path, settings: Settings, actor: str
) -> None:
    """As the superuser (corporations, every user) and as a corporation admin (its users,
    labeling projects and locks)."""
    anyio.run(create_superuser, settings, "fuzz@example.com", PASSWORD, None)
    env = {"BACKLOT_DATABASE_URL": database_url, "BACKLOT_SECRET_KEY": TEST_SECRET}
    with running_server(tmp_path, env) as base:
        login = {"email": "fuzz@example.com", "password": PASSWORD}
        if actor == "admin":
            login["email"] = "admin@example.com"
            account = {**login, "corporation_name": "Fuzz Inc"}
            httpx.post(f"{base}/v1/auth/register", json=account).raise_for_status()
            project = {"name": "Fuzzed"}
            token = httpx.post(f"{base}/v1/auth/login", json=login).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            httpx.post(f"{base}/v1/labeling/projects", json=project, headers=headers)
        token = httpx.post(f"{base}/v1/auth/login", json=login).json()["access_token"]
        st = shutil.which("st", path=str(Path(sys.executable).parent)) or "st"
        result = subprocess.run(
            [
                st,
                "--config-file",
                str(CONFIG),
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "30",
                "--seed",
                "20261122",
                "--generation-allow-x00",
                "true",
                "--workers",
                "2",
                "--no-color",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
