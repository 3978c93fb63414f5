"""The `backlot` command on an embedded, empty directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backlot.core import migrate


def _backlot(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")}
    return subprocess.run(
        [sys.executable, "-m", "backlot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_db_upgrade_downgrade_current(tmp_path: Path) -> None:
    (head,) = migrate.head_revisions()
    assert _backlot(tmp_path, "db", "upgrade").returncode == 0
    assert _backlot(tmp_path, "db", "current").stdout.strip() == head
    assert _backlot(tmp_path, "db", "downgrade", "base").returncode == 0
    assert _backlot(tmp_path, "db", "current").stdout.strip() == "(empty)"
    assert _backlot(tmp_path, "db", "upgrade").returncode == 0
    assert _backlot(tmp_path, "db", "current").stdout.strip() == head


def test_createsuperuser(tmp_path: Path) -> None:
    made = _backlot(
        tmp_path, "createsuperuser", "--email", "Root@Example.com", "--password", "long enough pw"
    )
    assert made.returncode == 0, made.stderr
    assert "superuser root@example.com created" in made.stdout
    again = _backlot(
        tmp_path, "createsuperuser", "--email", "root@example.com", "--password", "long enough pw"
    )
    assert again.returncode == 2
    assert "already exists" in again.stderr
    weak = _backlot(tmp_path, "createsuperuser", "--email", "b@example.com", "--password", "short")
    assert weak.returncode == 2
    assert "password" in weak.stderr


def test_help_lists_commands(tmp_path: Path) -> None:
    out = _backlot(tmp_path, "--help").stdout
    for command in ("serve", "db", "createsuperuser", "demo"):
        assert command in out


def test_demo_fills_and_refills(tmp_path: Path) -> None:
    first = _backlot(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    assert "demo-admin@example.com" in first.stdout
    assert "/app/labeling" in first.stdout
    again = _backlot(tmp_path, "demo")
    assert again.returncode == 0, again.stderr
