"""The first screen loads only what it shows: the Google SDK, OpenCV, numpy, moviepy, librosa
and Qt Multimedia load when first used, the keyring (and its D-Bus stack) after the first paint, the
process pool's multiprocessing when a pool starts. Checked in a fresh process, on
`sys.modules` at the moment the library is painted, since what a test process has already
imported says nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from avpe_desktop.characters import import_character
from avpe_desktop.context import AppContext
from avpe_desktop.ui.app import STARTUP_PROBE_FLAG, STARTUP_PROBE_PAINTED
from avpe_desktop.ui.resources import sample_characters

LOADED_LATER = (
    "google.genai",
    "cv2",
    "numpy",
    "moviepy",
    "librosa",
    "PySide6.QtMultimedia",
    "keyring",
    "multiprocessing",
)

_START_AND_LIST_MODULES = f"""
import builtins
import sys

from avpe_desktop.ui.app import main

report = builtins.print


def print_modules_at_paint(*args, **kwargs):
    if args and str(args[0]).startswith({STARTUP_PROBE_PAINTED!r}):
        report("loaded:", *sorted(m for m in {LOADED_LATER!r} if m in sys.modules))
    report(*args, **kwargs)


builtins.print = print_modules_at_paint
sys.exit(main(["avpe-desktop", {STARTUP_PROBE_FLAG!r}]))
"""


def test_the_library_is_painted_before_any_engine_or_media_library_loads(
    isolated_home: Path,
) -> None:
    with AppContext.open() as ctx:
        import_character(ctx.library, ctx.dirs.data, sample_characters()[0], "Floof")
    env = {**os.environ, "AVPE_HOME": str(isolated_home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_START_AND_LIST_MODULES)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["loaded:", f"{STARTUP_PROBE_PAINTED} with 1 characters"]
