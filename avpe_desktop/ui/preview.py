"""The preview pane: the player when Qt Multimedia loads, otherwise a note on what is missing.

Qt Multimedia links system libraries a fresh machine may lack (on Linux the PulseAudio client,
libpulse.so.0), and a missing one makes the import itself fail. The rest of the app has no use
for it, so it is imported here, when the preview is built, and its absence costs the creator
playback only: writing, rendering and export work as usual.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from avpe_desktop.domain import Content
from avpe_desktop.storage.layout import ProjectLayout

if TYPE_CHECKING:
    from avpe_desktop.ui.playback import PreviewPlayer

log = logging.getLogger(__name__)

PULSEAUDIO_HINT = (
    "Install the PulseAudio client library (libpulse0 on Debian and Ubuntu, pulseaudio-libs "
    "on Fedora), then start AVPE Desktop again."
)


@cache
def playback_problem() -> str | None:
    """Why videos cannot play on this machine, in a creator's words; None when they can.

    Asked once per process: a failed import of a native module does not heal while the app
    runs.
    """
    try:
        import PySide6.QtMultimedia  # noqa: F401 (imported only to see whether it loads)
    except ImportError as exc:
        log.warning("Qt Multimedia cannot load, so the preview cannot play: %s", exc)
        return describe_import_failure(str(exc))
    return None


def describe_import_failure(error: str) -> str:
    library = re.search(r"lib[\w.+-]*\.so[.\d]*", error)
    if library is None:
        return (
            "Videos cannot play here: Qt's multimedia module did not load. Reinstalling AVPE "
            "Desktop usually brings it back."
        )
    missing = library.group(0)
    hint = (
        PULSEAUDIO_HINT
        if missing.startswith("libpulse")
        else "Install the package that provides it with your system's package manager."
    )
    return f"Videos cannot play here: the system library {missing} is missing. {hint}"


class PlaybackUnavailable(QWidget):
    """Stands where the player would: says what is missing, and opens the merged video in the
    system's own player instead."""

    def __init__(self, problem: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        title = QLabel("Preview")
        title.setObjectName("section")
        self.message = QLabel(f"{problem}\n\nRendering and export work as usual.")
        self.message.setObjectName("hint")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open the video in your player")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self.open_video)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addWidget(title)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignCenter)
        self.setMinimumHeight(160)
        self._video: Path | None = None

    def show_project(self, layout: ProjectLayout, _content: Content) -> None:
        self._video = layout.merged_video if layout.merged_video.exists() else None
        self.open_button.setEnabled(self._video is not None)

    def play_segment(self, _number: int) -> None:
        """Nothing plays in the app; the button is there for watching."""

    def stop(self) -> None:
        """Nothing plays in the app, so nothing stops."""

    def open_video(self) -> None:
        if self._video is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._video)))


def create_preview() -> PreviewPlayer | PlaybackUnavailable:
    problem = playback_problem()
    if problem is not None:
        return PlaybackUnavailable(problem)
    from avpe_desktop.ui.playback import PreviewPlayer

    return PreviewPlayer()
