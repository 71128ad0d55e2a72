"""`python build_scripts/smoke.py [BUNDLE]`: proves a built bundle works on its own.

A frozen app fails in ways the test suite cannot see: a module PyInstaller did not find, a Qt
plugin trimmed one step too far, package data or metadata left behind, a worker process that
starts a second app instead of rendering ('spawn' re-runs the executable). So the executables
themselves are run, from a temporary folder, with every AVPE/Google/Cloudinary/MongoDB
variable removed from their environment and `AVPE_HOME` pointing at a fresh folder:

1. the bundle holds both executables and none of what the spec leaves out;
2. `avpe --version` prints the package's version (the metadata made it in);
3. `avpe --engine local demo --segments 2 --duration 4` renders offline, through the process
   pool, and the merged MP4 it prints is about 8 s of H.264 with AAC audio — probed with the
   source tree's `avpe_desktop.media.probe` driving the *bundled* ffmpeg;
4. `avpe --engine google write` talks to the frozen `avpe emulator` on a loopback port: the
   Google client's lazily imported parts are in the bundle too, with no key and no network;
5. `avpe-desktop --smoke-test` starts offscreen, shows its main window and exits with 0, with
   no Qt plugin or multimedia backend missing.

Prints one line per check and exits non-zero at the first failure.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the source tree's probe and the CLI's demo constants

from avpe_desktop import __version__  # noqa: E402
from avpe_desktop.cli import DEMO_CHARACTER, DEMO_IDEA  # noqa: E402
from avpe_desktop.engines.registry import BASE_URL_ENV  # noqa: E402
from avpe_desktop.media.ffmpeg import FFMPEG_ENV  # noqa: E402
from avpe_desktop.media.probe import probe  # noqa: E402

EXE_SUFFIX = ".exe" if os.name == "nt" else ""
# As in avpe_desktop/ui/app.py; not imported from there, which would load the whole GUI (and
# make this check depend on a GUI that imports cleanly in the source tree). A mismatch fails
# the GUI check with the app's output shown.
SMOKE_TEST_FLAG = "--smoke-test"
SMOKE_TEST_SHOWN = "avpe-desktop: main window shown"
DEMO_SEGMENTS, DEMO_DURATION = 2, 4
DURATION_TOLERANCE = 0.5
CLI_TIMEOUT = 600.0
GUI_TIMEOUT = 120.0
EMULATOR_START_TIMEOUT = 60.0

_PRIVATE_PREFIXES = ("AVPE_", "GOOGLE_", "GEMINI_", "CLOUDINARY_", "MONGODB_", "PYTHON", "QT_")
_LEFT_OUT = ("secantus", "_pytest", "tkinter", "_tcl_data", "WebEngine", "Qt6Pdf", "translations")
_QT_FAILURES = (
    "Could not load the Qt platform plugin",
    "Could not find the Qt platform plugin",
    "No QtMultimedia backends found",
    "Traceback (most recent call last)",
)


class SmokeError(Exception):
    """A check failed; the message says which and shows what the executable said."""


def _environment(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without anything that could reach a cloud service or point
    the frozen app at the source tree, plus a private app home."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_PRIVATE_PREFIXES)}
    return {**env, "AVPE_HOME": str(home), **extra}


def _run(
    command: Sequence[str | Path], env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [str(part) for part in command],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeError(f"{Path(command[0]).name} did not finish within {timeout:.0f} s") from exc


def _said(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def check_contents(bundle: Path) -> Path:
    """Both executables are there, and nothing the spec means to leave out; returns the
    bundled ffmpeg."""
    for name in ("avpe", "avpe-desktop"):
        if not (bundle / f"{name}{EXE_SUFFIX}").is_file():
            raise SmokeError(f"{bundle} has no {name}{EXE_SUFFIX}")
    strays = sorted(
        str(path.relative_to(bundle))
        for path in bundle.rglob("*")
        if any(part in path.name for part in _LEFT_OUT)
    )
    if strays:
        raise SmokeError("the bundle holds files the spec leaves out: " + ", ".join(strays[:10]))
    ffmpeg = sorted((bundle / "_internal" / "imageio_ffmpeg" / "binaries").glob("ffmpeg*"))
    if not ffmpeg:
        raise SmokeError("the bundle has no ffmpeg binary")
    return ffmpeg[0]


def check_version(bundle: Path, work: Path) -> str:
    result = _run([bundle / f"avpe{EXE_SUFFIX}", "--version"], _environment(work), work, 60)
    if result.returncode != 0 or result.stdout.strip() != f"avpe {__version__}":
        raise SmokeError(f"`avpe --version` should print 'avpe {__version__}'\n{_said(result)}")
    return result.stdout.strip()


def check_demo(bundle: Path, work: Path, ffmpeg: Path) -> str:
    """Renders the demo offline and probes the merged video with the bundled ffmpeg."""
    command = [
        bundle / f"avpe{EXE_SUFFIX}",
        "--engine",
        "local",
        "demo",
        "--segments",
        str(DEMO_SEGMENTS),
        "--duration",
        str(DEMO_DURATION),
    ]
    started = time.monotonic()
    result = _run(command, _environment(work / "demo-home"), work, CLI_TIMEOUT)
    elapsed = time.monotonic() - started
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise SmokeError(f"`avpe demo` failed\n{_said(result)}")
    video = Path(lines[-1])
    if not video.is_file():
        raise SmokeError(f"`avpe demo` printed {video}, which is not a file\n{_said(result)}")
    os.environ[FFMPEG_ENV] = str(ffmpeg)
    info = probe(video)
    expected = DEMO_SEGMENTS * DEMO_DURATION
    if abs(info.duration - expected) > DURATION_TOLERANCE:
        raise SmokeError(f"{video} lasts {info.duration:.2f} s, not about {expected} s")
    if info.video_codec != "h264" or info.audio_codec != "aac":
        raise SmokeError(f"{video} is {info.video_codec} + {info.audio_codec}, not h264 + aac")
    return (
        f"{info.duration:.2f} s, {info.width}x{info.height} {info.video_codec} + "
        f"{info.audio_codec}, rendered in {elapsed:.1f} s"
    )


def _free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


def _wait_for_port(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + EMULATOR_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SmokeError(f"`avpe emulator` exited with {server.returncode} before serving")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SmokeError(f"`avpe emulator` did not listen within {EMULATOR_START_TIMEOUT:.0f} s")


def check_google_engine(bundle: Path, work: Path) -> str:
    """Writes a script with the Google engine against the frozen emulator. Runs in the demo's
    app home, where the demo left the sample character."""
    cli = bundle / f"avpe{EXE_SUFFIX}"
    env = _environment(work / "demo-home")
    port = _free_port()
    server = subprocess.Popen(
        [str(cli), "emulator", "--port", str(port)],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, server)
        google_env = {
            **env,
            "GOOGLE_API_KEY": "smoke-test-key",
            BASE_URL_ENV: f"http://127.0.0.1:{port}",
        }
        command = [cli, "--engine", "google", "write", DEMO_IDEA, "--character", DEMO_CHARACTER]
        result = _run([*command, "--segments", "2"], google_env, work, CLI_TIMEOUT)
    finally:
        server.kill()
        server.wait()
    failed = SmokeError(f"`avpe --engine google write` wrote no 2-segment script\n{_said(result)}")
    if result.returncode != 0:
        raise failed
    try:
        content = json.loads(result.stdout)["content"]
    except (ValueError, KeyError) as exc:
        raise failed from exc
    if len(content["segments"]) != 2:
        raise failed
    return f"'{content['title']}' written through the emulator on port {port}"


def check_gui(bundle: Path, work: Path) -> str:
    """The main window comes up offscreen and the app quits cleanly. A windowed Windows app
    may have no stdout, so the marker is also looked for in the app's log file."""
    home = work / "gui-home"
    env = _environment(home, QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    result = _run([bundle / f"avpe-desktop{EXE_SUFFIX}", SMOKE_TEST_FLAG], env, work, GUI_TIMEOUT)
    elapsed = time.monotonic() - started
    log = "".join(
        path.read_text(encoding="utf-8", errors="replace") for path in home.glob("logs/*.log")
    )
    if result.returncode != 0 or SMOKE_TEST_SHOWN not in result.stdout + log:
        raise SmokeError(f"avpe-desktop {SMOKE_TEST_FLAG} did not show its window\n{_said(result)}")
    failures = [line for line in _QT_FAILURES if line in result.stderr]
    if failures:
        raise SmokeError(f"avpe-desktop reported: {'; '.join(failures)}\n{_said(result)}")
    return f"main window shown, exit 0 after {elapsed:.1f} s"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "bundle", nargs="?", type=Path, default=ROOT / "dist" / "avpe-desktop", help="bundle folder"
    )
    bundle = parser.parse_args(argv).bundle.resolve()
    if not bundle.is_dir():
        print(f"smoke: {bundle} is not a folder; build it with build_scripts/build.py")
        return 1
    with tempfile.TemporaryDirectory(prefix="avpe-smoke-") as tmp:
        work = Path(tmp)
        try:
            ffmpeg = check_contents(bundle)
            print(f"ok  contents: both executables, ffmpeg {ffmpeg.name}", flush=True)
            print(f"ok  version: {check_version(bundle, work)}", flush=True)
            print(f"ok  demo: {check_demo(bundle, work, ffmpeg)}", flush=True)
            print(f"ok  google engine: {check_google_engine(bundle, work)}", flush=True)
            print(f"ok  gui: {check_gui(bundle, work)}", flush=True)
        except SmokeError as exc:
            print(f"FAIL {exc}", flush=True)
            return 1
    print(f"smoke: {bundle} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
