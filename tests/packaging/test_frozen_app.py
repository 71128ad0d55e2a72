"""The frozen app: PyInstaller builds the bundle from a clean work folder, then the smoke check
runs both executables from it (build_scripts/smoke.py says what is checked and why).

Slow (a few minutes), so plain `pytest` leaves it out; `pytest -m packaging` runs it, with the
`packaging` extra installed. `.ci/run` does both.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 1800.0
SMOKE_TIMEOUT = 900.0

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(BUILD_TIMEOUT + SMOKE_TIMEOUT)]


def _run(script: str, *args: str | Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "build_scripts" / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_built_bundle_renders_the_demo_and_shows_the_main_window(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="install the packaging extra")
    dist, work = tmp_path / "dist", tmp_path / "work"

    build = _run("build.py", "--dist", dist, "--work", work, timeout=BUILD_TIMEOUT)
    assert build.returncode == 0, f"build failed:\n{build.stdout}\n{build.stderr}"
    bundle = Path(build.stdout.strip().splitlines()[-1])
    assert bundle == dist / "avpe-desktop"
    print(build.stdout)  # the size and build time, shown with `pytest -s`

    smoke = _run("smoke.py", bundle, timeout=SMOKE_TIMEOUT)
    assert smoke.returncode == 0, f"smoke check failed:\n{smoke.stdout}\n{smoke.stderr}"
    print(smoke.stdout)
    for folder in (dist, work):  # 600 MB; a failed run keeps its bundle for a look
        shutil.rmtree(folder)
