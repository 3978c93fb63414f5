"""deploy/Dockerfile puts the browser libraries where backlot.web.pages looks for them in
a non-editable install (no Docker engine here: the file is read, not built)."""

from __future__ import annotations

import re
from pathlib import Path

import backlot
from backlot.web.pages import NODE_MODULES, VENDOR

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_image_copies_every_served_library_beside_the_installed_pages() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    python = re.search(r"^FROM python:(\d+\.\d+)-slim$", dockerfile, re.MULTILINE)
    assert python, "the service stage is no longer python:X.Y-slim"
    web_dir = re.search(r"^ARG WEB_DIR=(\S+)$", dockerfile, re.MULTILINE)
    assert web_dir
    # Where pip puts the package in the official image, and where pages.py looks inside it.
    package = f"/usr/local/lib/python{python.group(1)}/site-packages/backlot"
    inside = NODE_MODULES.relative_to(Path(backlot.__file__).parent)
    assert f"{web_dir.group(1)}/node_modules" == f"{package}/{inside}"

    copied = set(
        re.findall(
            r"^COPY --from=web /web/node_modules/(\S+) \$\{WEB_DIR\}/node_modules/\1$",
            dockerfile,
            re.MULTILINE,
        )
    )
    served = {path.relative_to(NODE_MODULES).parts[0] for path in VENDOR.values()}
    assert served | {"blockly"} <= copied  # blockly's media folder is mounted as well
    assert "npm ci --omit=dev" in dockerfile
