"""Stopping the preview and closing the window around it never hang.

Qt Multimedia renders on threads of its own, and the GUI thread holds the GIL whenever Python
runs, including while it waits on those threads inside Qt. A multimedia thread that needs the
GIL then deadlocks the app, natively: each check runs in a child process with a timeout, so a
hang fails the test instead of the suite (pytest-timeout's signal cannot stop a thread that
waits in native code).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from avpe_desktop.media.encode import write_video

pytestmark = pytest.mark.needs_playback

CHILD_TIMEOUT_S = 60
"""Only a hang guard: each child takes seconds, a deadlock stays forever."""

WINDOW_ROUNDS = 5

_CHILD_PRELUDE = """
import sys
import time

from PySide6.QtCore import QUrl
from PySide6.QtTest import QTest

from avpe_desktop.ui.app import create_application


def wait_until(condition):
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            sys.exit("gave up waiting")
        QTest.qWait(10)


app = create_application([])
clip = QUrl.fromLocalFile(sys.argv[1])
"""

_RENDERER_TEARDOWN = """
from PySide6.QtMultimedia import QAudioOutput

from avpe_desktop.ui.playback import PreviewPlayer

preview = PreviewPlayer()
preview.show()
preview.player.setSource(clip)
preview.player.play()
wait_until(lambda: not preview.video.frame.isNull())
preview.player.stop()
preview.player.play()
preview.player.setAudioOutput(QAudioOutput(preview))
print("returned", flush=True)
"""

_WINDOW_ROUNDS = """
from avpe_desktop.context import AppContext
from avpe_desktop.ui.main_window import MainWindow

ctx = AppContext.open()
for attempt in range(int(sys.argv[2])):
    window = MainWindow(ctx)
    window.show()
    wait_until(lambda: window.ready)
    preview = window.project_view.preview
    preview.player.setSource(clip)
    preview.player.play()
    wait_until(lambda: not preview.video.frame.isNull())
    window.close()
    window.deleteLater()
    QTest.qWait(50)
    print("closed", attempt, flush=True)
ctx.close()
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short clip with sound: the audio renderer is what used to need the GIL."""
    path = tmp_path_factory.mktemp("preview") / "clip.mp4"
    frames = (np.full((180, 320, 3), 5 * i, dtype=np.uint8) for i in range(48))
    tone = 0.2 * np.sin(2 * np.pi * 440 * np.arange(48_000 * 2) / 48_000)
    write_video(path, frames, 24, audio=tone)
    return path


def run_child(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    code = textwrap.dedent(_CHILD_PRELUDE) + textwrap.dedent(script)
    try:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as hung:
        pytest.fail(f"the child hung (a deadlock); it had printed {hung.stdout!r}")


def test_the_gui_thread_can_wait_on_the_audio_renderer_as_it_is_torn_down(clip: Path) -> None:
    """Deterministic: stop and play queue the old audio renderer's destruction on its thread,
    then handing the player another audio output makes the GUI thread wait for that thread
    (a blocking queued call) with the GIL held. Any GIL the teardown needs is a hang here,
    every time; closing the window only hangs when the timing is unlucky."""
    done = run_child(_RENDERER_TEARDOWN, str(clip))

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["returned"]


def test_a_window_that_played_the_preview_closes(clip: Path) -> None:
    """The way a person met it: play the preview, then quit. Each round is a new window, so a
    new audio output whose first teardown happens on the renderer's thread."""
    done = run_child(_WINDOW_ROUNDS, str(clip), str(WINDOW_ROUNDS))

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [f"closed {n}" for n in range(WINDOW_ROUNDS)]
