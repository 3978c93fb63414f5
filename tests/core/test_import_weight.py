"""The API process stays light until it needs the heavy stacks: importing the app (and
creating it) loads neither the analysis stack (NumPy, SciPy, Praat), FFmpeg (PyAV) nor
the password dictionaries; they load on first use. bench/memory.py measures the RSS."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("numpy", "scipy", "parselmouth", "av", "zxcvbn")

_PROBE = """
import sys
from backlot.app import create_app
from backlot.core.settings import Settings
settings = Settings(
    _env_file=None, secret_key="s" * 40, database_url="sqlite+aiosqlite://", var_dir={var!r}
)
create_app(settings)
print(",".join(name for name in {heavy!r} if name in sys.modules))
"""


def test_creating_the_app_loads_no_heavy_stack(tmp_path: Path) -> None:
    probe = _PROBE.format(heavy=HEAVY, var=str(tmp_path / "var"))
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == ""


def test_the_analysis_loads_on_first_use() -> None:
    probe = (
        "import sys; import backlot.analysis as a; before = 'numpy' in sys.modules;"
        " a.decode; print(before, 'numpy' in sys.modules, 'av' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["False", "True", "True"]
