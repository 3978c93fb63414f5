"""`backlot serve` killed with SIGKILL (no shutdown runs): its analysis processes do not
live on. They watch their parent (PR_SET_PDEATHSIG on Linux, and a thread polling the
parent pid everywhere) and exit with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.analysis.voices import FIXTURES
from tests.conftest import TEST_SECRET
from tests.dubbing.flow import events, practice, upload
from tests.helpers import free_port, wait_until_answering


def children(pid: int) -> set[int]:
    """Live processes whose parent is `pid` (read from /proc: no psutil)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) in alive():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid:
                found.add(int(entry.name))
    return found


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()  # the name, in parentheses, may hold spaces
    return fields[0], int(fields[1])


def alive(pids: set[int] | None = None) -> set[int]:
    """Those of `pids` (default: all) that exist and are not zombies (a zombie has exited;
    it only waits for a parent that may never reap it in a container)."""
    if pids is None:
        pids = {int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()}
    return {pid for pid in pids if (stat := _stat(pid)) is not None and stat[0] != "Z"}


def outlived(pids: set[int], seconds: float) -> set[int]:
    """Those of `pids` still alive after waiting up to `seconds` for them to go."""
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


async def test_analysis_processes_die_with_a_killed_server(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKLOT_")} | {
        "BACKLOT_SECRET_KEY": TEST_SECRET,
        "BACKLOT_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "backlot", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        start_new_session=True,  # so that whatever it leaves behind is ours to clean up
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}/healthz", server, "backlot serve")
        p = await practice(base)
        accepted = await upload(p, (FIXTURES / "line_high.ogg").read_bytes())
        heard = await events(base, accepted.json()["progress_url"])
        assert heard[-1]["event"] == "completed"  # the analysis pool has started
        started = children(server.pid)
        assert started, "no analysis process found"

        server.send_signal(signal.SIGKILL)
        server.wait()
        left = outlived(started, seconds=10)
        assert not left, f"left running: {left}"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # only this test's own session
