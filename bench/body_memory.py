"""What does a huge non-upload body cost the server's memory?

Starts `backlot serve` (embedded) on 127.0.0.1, signs in an admin, then sends a chunked
JSON body of `--megabytes` MB to `POST /v1/videos` (an upload route, whose large limit
is for multipart bodies only). Prints the answer, how long it took, and the server's
resident memory after against before (the baseline, measured in the same run).

    .venv/bin/python -m bench.body_memory [--megabytes N] [--json PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from tests.helpers import running_server

from bench import results
from bench.lifted import LIFTED_LIMITS
from bench.results import Row

SECRET = "benchmark-secret-key-0123456789-0123456789"
ACCOUNT = {"email": "admin@example.com", "password": "benchmark password"}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _server_pid(port: int) -> int:
    # The process listening on the port (a single-process `backlot serve`).
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inode = fields[9]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                links = [str(fd.readlink()) for fd in (proc / "fd").iterdir()]
            except OSError:
                continue
            if f"socket:[{inode}]" in links:
                return int(proc.name)
    raise RuntimeError("server process not found")


def _body(megabytes: int) -> Iterator[bytes]:
    chunk = b"x" * (1 << 20)
    yield b'{"name": "'
    for _ in range(megabytes):
        yield chunk
    yield b'"}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=500)
    results.add_json_argument(parser)
    args = parser.parse_args()
    env = {"BACKLOT_SECRET_KEY": SECRET, "BACKLOT_LOG_LEVEL": "warning", **LIFTED_LIMITS}
    with tempfile.TemporaryDirectory() as workdir, running_server(Path(workdir), env) as base:
        pid = _server_pid(int(base.rsplit(":", 1)[1]))
        httpx.post(f"{base}/v1/auth/register", json={**ACCOUNT, "corporation_name": "Bench"})
        token = httpx.post(f"{base}/v1/auth/login", json=ACCOUNT).json()["access_token"]
        before = _rss_mb(pid)
        started = time.perf_counter()
        try:
            answer = httpx.post(
                f"{base}/v1/videos",
                content=_body(args.megabytes),
                headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
                timeout=300,
            )
            outcome = f"{answer.status_code} {answer.json().get('code', '')}"
        except httpx.HTTPError as exc:  # the server may close the connection on us
            outcome = f"connection ended ({type(exc).__name__})"
        took = time.perf_counter() - started
        after = _rss_mb(pid)
    print(f"{args.megabytes} MB JSON body to POST /v1/videos: {outcome} in {took:.2f} s")
    print(
        f"server RSS before (baseline) {before:.0f} MB, after {after:.0f} MB: {after / before:.2f}x"
    )
    rows = [
        Row("server RSS before the body (baseline)", before, "MB"),
        Row(
            f"server RSS after a {args.megabytes} MB JSON body",
            after,
            "MB",
            "the same server before the body",
            after / before,
        ),
        Row("time to the answer", took, "s"),
    ]
    results.write(args.json, "body_memory", rows, notes=[f"answer: {outcome}"])


if __name__ == "__main__":
    main()
