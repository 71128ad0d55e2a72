"""How long `avpe-desktop` takes to show its library, next to a bare PySide6 window.

Both are real processes timed from start to a line they print: the app with
`--startup-probe` (the first paint of the library list after start-up has read the library:
three characters in a private AVPE_HOME), and a tiny script that shows an empty QWidget and
prints at its first paint. Best of 5 each, alternated in one run so load on the machine
touches both alike; offscreen, so no window manager adds its own delay. The package is
byte-compiled first, as an installed app is (pip compiles at install, PyInstaller ships
bytecode): with PYTHONDONTWRITEBYTECODE set, a source checkout would otherwise compile
every module on every start.

    .venv/bin/python bench/startup.py
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from avpe_desktop.characters import import_character
from avpe_desktop.context import AppContext
from avpe_desktop.ui.app import STARTUP_PROBE_FLAG, STARTUP_PROBE_PAINTED

GOAL = 4.0
CHARACTERS = ("Floof", "Grumble", "Pip")
BARE_PAINTED = "bare window painted"
BARE_QT = f"""
from PySide6.QtWidgets import QApplication, QWidget


class Window(QWidget):
    def paintEvent(self, event):
        print({BARE_PAINTED!r}, flush=True)
        app.quit()


app = QApplication([])
window = Window()
window.resize(1280, 800)
window.show()
app.exec()
"""


def make_library(home: Path) -> None:
    samples = sorted((Path(__file__).parents[1] / "avpe_desktop/resources/characters").iterdir())
    os.environ["AVPE_HOME"] = str(home)
    with AppContext.open() as ctx:
        for index, name in enumerate(CHARACTERS):
            import_character(ctx.library, ctx.dirs.data, samples[index % len(samples)], name)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_until(command: list[str], marker: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from starting the process to the line holding `marker`, and the CPU seconds
    the whole process used (start-up to exit: less disturbed by other work on the machine)."""
    cpu = children_cpu()
    started = time.perf_counter()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if marker in line:
                elapsed = time.perf_counter() - started
                process.stdout.read()
                break
        else:
            raise SystemExit(f"{command[0]} ended without printing {marker!r}")
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    return elapsed, children_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = shutil.which("avpe-desktop", path=str(Path(sys.executable).parent))
    if app is None:
        raise SystemExit("avpe-desktop is not installed in this environment (pip install -e .)")
    compileall.compile_dir(Path(__file__).parents[1] / "avpe_desktop", quiet=1)
    home = Path(tempfile.mkdtemp(prefix="avpe-startup-"))
    try:
        make_library(home)
        env = {**os.environ, "AVPE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
        ours: list[tuple[float, float]] = []
        bare: list[tuple[float, float]] = []
        for run in range(args.runs):
            ours.append(time_until([app, STARTUP_PROBE_FLAG], STARTUP_PROBE_PAINTED, env))
            bare.append(time_until([sys.executable, "-c", BARE_QT], BARE_PAINTED, env))
            print(
                f"run {run + 1}: avpe-desktop {ours[-1][0]:.3f} s (CPU {ours[-1][1]:.3f} s), "
                f"bare Qt {bare[-1][0]:.3f} s (CPU {bare[-1][1]:.3f} s)"
            )
        print(
            f"avpe-desktop, library of {len(CHARACTERS)} painted: best {min(ours)[0]:.3f} s, "
            f"CPU {min(c for _, c in ours):.3f} s"
        )
        print(
            f"bare PySide6 window painted: best {min(bare)[0]:.3f} s, "
            f"CPU {min(c for _, c in bare):.3f} s"
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    cpu_ratio = min(c for _, c in ours) / min(c for _, c in bare)
    print(f"CPU ratio (start to exit, for reference): {cpu_ratio:.1f}")
    ratio = min(ours)[0] / min(bare)[0]
    verdict = "ok" if ratio <= GOAL else "short"
    print(f"startup_vs_bare_qt: {ratio:.1f} (goal <= {GOAL:g}) {verdict}")


if __name__ == "__main__":
    main()
