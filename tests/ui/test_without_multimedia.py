"""Without Qt Multimedia (a machine lacking the PulseAudio client library) the app starts,
renders and exports, and the preview says what is missing and how to get it.

The failure is simulated the way it shows up: an import hook makes `PySide6.QtMultimedia`
raise the ImportError the dynamic loader gives. Nothing is uninstalled.

    AVPE_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/ui/test_without_multimedia.py

saves the preview's note for the docs.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest
from pytestqt.qtbot import QtBot
from ui_helpers import WindowFactory, sample_project

from avpe_desktop.domain import JobStatus
from avpe_desktop.ui.preview import PlaybackUnavailable, describe_import_failure, playback_problem

MULTIMEDIA = "PySide6.QtMultimedia"
LOADER_ERROR = "libpulse.so.0: cannot open shared object file: No such file or directory"

_HOOK = f"""
import sys


class NoMultimedia:
    def find_spec(self, name, path=None, target=None):
        if name == {MULTIMEDIA!r}:
            raise ImportError({LOADER_ERROR!r})
        return None


sys.meta_path.insert(0, NoMultimedia())
"""


class NoMultimedia(importlib.abc.MetaPathFinder):
    """Fails the import as the loader does when libpulse.so.0 is missing."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == MULTIMEDIA:
            raise ImportError(LOADER_ERROR)
        return None


@pytest.fixture
def without_multimedia(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sys, "meta_path", [NoMultimedia(), *sys.meta_path])
    monkeypatch.delitem(sys.modules, MULTIMEDIA, raising=False)
    monkeypatch.delitem(sys.modules, "avpe_desktop.ui.playback", raising=False)
    playback_problem.cache_clear()
    yield
    playback_problem.cache_clear()


def test_the_note_names_the_missing_library_and_the_packages() -> None:
    note = describe_import_failure(LOADER_ERROR)
    assert "libpulse.so.0 is missing" in note
    assert "libpulse0 on Debian and Ubuntu" in note and "pulseaudio-libs on Fedora" in note
    assert "No such file" not in note and "ImportError" not in note
    other = describe_import_failure("libxkbcommon.so.0: cannot open shared object file")
    assert "libxkbcommon.so.0 is missing" in other and "libpulse0" not in other
    assert "ImportError" not in describe_import_failure("No module named 'PySide6.QtMultimedia'")


def test_the_app_renders_and_exports_and_the_preview_says_what_is_missing(
    qtbot: QtBot, without_multimedia: None, open_window: WindowFactory, tmp_path: Path
) -> None:
    window = open_window()
    preview = window.project_view.preview
    assert isinstance(preview, PlaybackUnavailable)
    assert MULTIMEDIA not in sys.modules
    assert "libpulse0" in preview.message.text()

    document = sample_project(qtbot, window, segments=2)
    assert not preview.open_button.isEnabled()
    job = window.render_project()
    assert job is not None
    qtbot.waitUntil(lambda: not job.active and job.status.finished, timeout=120_000)
    assert job.status is JobStatus.DONE, job.message
    assert preview.open_button.isEnabled()
    window.project_view.timeline.activated.emit(0)  # a double-click on a clip plays nothing

    dialog = window.export_project()
    assert dialog is not None
    dialog.destination_edit.setText(str(tmp_path / "floof.mp4"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.exported is not None, timeout=30_000)
    assert dialog.exported is not None
    assert dialog.exported.read_bytes() == document.layout.merged_video.read_bytes()

    folder = Path(os.environ.get("AVPE_SCREENSHOTS", tmp_path)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    window.resize(1440, 900)
    window.banner.hide()
    qtbot.wait(100)
    shot = folder / "preview_unavailable.png"
    assert preview.grab().save(str(shot))
    assert shot.stat().st_size > 5_000


def test_avpe_desktop_starts_and_shows_its_window_without_multimedia(isolated_home: Path) -> None:
    launch = textwrap.dedent(_HOOK) + textwrap.dedent(
        """
        from avpe_desktop.ui.app import main

        sys.exit(main(["avpe-desktop", "--smoke-test"]))
        """
    )
    env = {**os.environ, "AVPE_HOME": str(isolated_home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", launch], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "avpe-desktop: main window shown" in done.stdout
    assert "Traceback" not in done.stderr
    log = (isolated_home / "logs" / "avpe-desktop.log").read_text()
    assert "starting" in log and "Traceback" not in log
