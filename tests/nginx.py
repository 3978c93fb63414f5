"""deploy/nginx.conf run by Debian's nginx in front of a local backend, for the tests and
the streaming benchmark: only addresses and paths are swapped for local ones."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.helpers import free_port, wait_until_answering

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@contextmanager
def running_nginx(backend: str, objects: Path, folder: Path, locations: str = "") -> Iterator[str]:
    """nginx with deploy/nginx.conf proxying to `backend`, its internal X-Accel-Redirect
    location reading `objects` (the local store's root); `locations` is added to the
    server block."""
    assert Path(NGINX).exists(), "nginx not found: apt-get install nginx (.ci/run does)"
    port = free_port()
    site = (DEPLOY / "nginx.conf").read_text()
    site = site.replace("server backend:8000;", f"server {backend.removeprefix('http://')};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
    site = site.replace("/srv/backlot/var/objects/", f"{objects}/")
    closing = site.rstrip().rfind("}")
    site = site[:closing] + locations + "\n}\n"
    (folder / "site.conf").write_text(site)
    temp = folder / "nginx-temp"
    temp.mkdir(exist_ok=True)
    # Temporary folders are private to their owner: workers run as that user.
    user = "user root root;" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"""
{user}
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {folder}/site.conf;
}}
"""
    )
    nginx = subprocess.Popen([NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder)])
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", nginx, "nginx")
        yield f"http://127.0.0.1:{port}"
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
