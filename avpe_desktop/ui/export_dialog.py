"""Export: the finished video where the creator wants it, in the aspect ratio and with the
crossfade they choose. The destination only ever holds a complete file."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.domain import AspectRatio, Project, RenderResult
from avpe_desktop.domain.settings import ReframeMode
from avpe_desktop.media.merge import merge_videos
from avpe_desktop.media.reframe import reframe_video
from avpe_desktop.pipeline.outcome import partial_note
from avpe_desktop.storage.atomic import atomic_output
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.resources import icon
from avpe_desktop.workers import run_in_thread


def copy_atomically(source: Path, destination: Path) -> Path:
    with atomic_output(destination) as tmp:
        shutil.copyfile(source, tmp)
    return destination


async def export_video(
    project: Project,
    layout: ProjectLayout,
    destination: Path,
    aspect: AspectRatio,
    crossfade: float,
    mode: ReframeMode = "crop",
) -> Path:
    """The merged video when it already has this crossfade, else the rendered segments merged
    again; reframed when another aspect ratio is asked for. Only a finished file ever
    appears at `destination`."""
    generated = project.settings.aspect_ratio.generation_ratio
    merged = layout.merged_video
    reuse = merged.exists() and abs(crossfade - project.settings.crossfade_seconds) < 1e-6
    if aspect is generated:
        if reuse:
            return await run_in_thread(copy_atomically, merged, destination)
        await run_in_thread(
            merge_videos, _clips(project, layout), destination, crossfade_seconds=crossfade
        )
        return destination
    if reuse:
        await run_in_thread(reframe_video, merged, destination, aspect, mode=mode)
        return destination
    with tempfile.TemporaryDirectory(dir=layout.root) as scratch:
        source = Path(scratch) / "merged.mp4"
        await run_in_thread(
            merge_videos, _clips(project, layout), source, crossfade_seconds=crossfade
        )
        await run_in_thread(reframe_video, source, destination, aspect, mode=mode)
    return destination


def _clips(project: Project, layout: ProjectLayout) -> list[Path]:
    clips = [layout.segment_video(s.segment) for s in project.content.segments]
    clips = [clip for clip in clips if clip.exists()]
    if not clips:
        raise ValueError("Nothing to export yet: render the project first.")
    return clips


def default_destination(layout: ProjectLayout, partial: RenderResult | None = None) -> Path:
    """In the Movies folder, named like the project's merged video (the partial one's name
    when segments are missing)."""
    movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    folder = Path(movies) if movies else Path.home()
    merged = layout.merged_video
    if partial is not None:
        merged = layout.partial_video(partial.success_count, partial.total_segments)
    return folder / merged.name


class ExportDialog(QDialog):
    def __init__(
        self,
        project: Project,
        layout: ProjectLayout,
        parent: QWidget | None = None,
        partial: RenderResult | None = None,
    ) -> None:
        """`partial` is the render's result when segments are missing: the dialog says so
        and names the file partial."""
        super().__init__(parent)
        self.setWindowTitle("Export video")
        self.setMinimumWidth(540)
        self._project = project
        self._layout = layout
        self._runner = TaskRunner(self._problem, self)
        self._runner.busyChanged.connect(self._set_busy)
        self.exported: Path | None = None

        self.aspect_combo = QComboBox()
        for ratio in AspectRatio:
            self.aspect_combo.addItem(ratio.value, ratio.value)
        self.aspect_combo.setCurrentText(project.settings.aspect_ratio.value)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Crop, following the character", "crop")
        self.mode_combo.addItem("Whole frame on a blurred background", "pad")
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(project.settings.reframe))
        self.aspect_combo.currentIndexChanged.connect(self._aspect_changed)
        self.crossfade_spin = QDoubleSpinBox()
        self.crossfade_spin.setRange(0.0, 2.0)
        self.crossfade_spin.setSingleStep(0.25)
        self.crossfade_spin.setSuffix(" s")
        self.crossfade_spin.setValue(project.settings.crossfade_seconds)
        self.destination_edit = QLineEdit(str(default_destination(layout, partial)))
        browse = QPushButton(icon("folder"), "Browse…")
        browse.clicked.connect(self._browse)
        destination = QHBoxLayout()
        destination.addWidget(self.destination_edit, 1)
        destination.addWidget(browse)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Aspect ratio", self.aspect_combo)
        form.addRow("Reframe", self.mode_combo)
        form.addRow("Crossfade", self.crossfade_spin)
        form.addRow("Save to", destination)
        self.status = QLabel(
            "Another crossfade merges the segments again; another aspect ratio reframes the "
            "video, which takes a little while."
        )
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        if partial is not None:
            self._problem(f"{partial_note(partial)} The failed ones are left out.")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setFixedHeight(6)
        self.progress.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = QPushButton(icon("export"), "Export")
        self.export_button.setObjectName("primary")
        self.buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.start_export)
        self.buttons.rejected.connect(self.reject)
        layout_ = QVBoxLayout(self)
        layout_.setSpacing(12)
        layout_.addLayout(form)
        layout_.addWidget(self.status)
        layout_.addWidget(self.progress)
        layout_.addWidget(self.buttons)
        self._aspect_changed()

    def start_export(self) -> None:
        text = self.destination_edit.text().strip()
        if not text:
            self._problem("Choose where to save the video.")
            return
        destination = Path(text).expanduser()
        if destination.suffix.lower() != ".mp4":
            destination = destination.with_suffix(".mp4")
        self.status.setStyleSheet("")
        self.status.setText("Exporting…")
        self._runner.start(
            export_video(
                self._project,
                self._layout,
                destination,
                AspectRatio(self.aspect_combo.currentData()),
                self.crossfade_spin.value(),
                self.mode_combo.currentData(),
            ),
            on_done=self._exported,
        )

    def reject(self) -> None:
        self._runner.cancel_all()
        super().reject()

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.export_button.setEnabled(not busy)

    def _exported(self, destination: Path) -> None:
        self.exported = destination
        self.accept()

    def _aspect_changed(self) -> None:
        generated = self._project.settings.aspect_ratio.generation_ratio
        self.mode_combo.setEnabled(self.aspect_combo.currentData() != generated.value)

    def _problem(self, message: str) -> None:
        self.status.setStyleSheet("color: #ff8a8a;")
        self.status.setText(message)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export video", self.destination_edit.text(), "MP4 video (*.mp4)"
        )
        if path:
            self.destination_edit.setText(path)
