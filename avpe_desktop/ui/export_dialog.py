"""Export: the finished video where the creator wants it, in the aspect ratio, size and
crossfade they choose (the work itself is `pipeline.export`). The dialog starts from the last
export's choices, kept in the settings file, so a creator who posts 9:16 sets it once."""

from __future__ import annotations

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

from avpe_desktop.context import AppContext
from avpe_desktop.domain import AspectRatio, Project, RenderResult, frame_size
from avpe_desktop.domain.settings import ExportChoices
from avpe_desktop.media.reframe import output_size
from avpe_desktop.pipeline.export import export_file_name, export_video
from avpe_desktop.pipeline.outcome import partial_note
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.resources import icon


def default_folder() -> Path:
    movies = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.MoviesLocation)
    return Path(movies) if movies else Path.home()


class ExportDialog(QDialog):
    def __init__(
        self,
        project: Project,
        layout: ProjectLayout,
        ctx: AppContext,
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
        self._ctx = ctx
        self._partial = partial
        self._runner = TaskRunner(self._problem, self)
        self._runner.busyChanged.connect(self._set_busy)
        self.exported: Path | None = None
        rendered = project.settings
        self._source_ratio = rendered.aspect_ratio.generation_ratio
        self._source_size = frame_size(rendered.resolution, self._source_ratio)
        remembered = ctx.settings.export

        self.aspect_combo = QComboBox()
        for ratio in AspectRatio:
            self.aspect_combo.addItem(ratio.value, ratio.value)
        aspect = remembered.aspect_ratio or rendered.aspect_ratio
        self.aspect_combo.setCurrentIndex(self.aspect_combo.findData(aspect.value))
        self.size_combo = QComboBox()
        self.size_combo.addItem("", "platform")
        self.size_combo.addItem("", "rendered")
        self.size_combo.setCurrentIndex(self.size_combo.findData(remembered.size))
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Crop, following the character", "crop")
        self.mode_combo.addItem("Whole frame on a blurred background", "pad")
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(remembered.reframe))
        self.crossfade_spin = QDoubleSpinBox()
        self.crossfade_spin.setRange(0.0, 2.0)
        self.crossfade_spin.setSingleStep(0.25)
        self.crossfade_spin.setSuffix(" s")
        self.crossfade_spin.setValue(rendered.crossfade_seconds)
        folder = Path(remembered.folder) if remembered.folder else default_folder()
        self._file_name = export_file_name(project.title, self.aspect, partial)
        self.destination_edit = QLineEdit(str(folder / self._file_name))
        browse = QPushButton(icon("folder"), "Browse…")
        browse.clicked.connect(self._browse)
        destination = QHBoxLayout()
        destination.addWidget(self.destination_edit, 1)
        destination.addWidget(browse)

        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Aspect ratio", self.aspect_combo)
        form.addRow("Size", self.size_combo)
        form.addRow("Reframe", self.mode_combo)
        form.addRow("Crossfade", self.crossfade_spin)
        form.addRow("Save to", destination)
        self.native_note = QLabel()
        self.native_note.setWordWrap(True)
        self.native_button = QPushButton(f"Render in {AspectRatio.PORTRAIT.value} next time")
        self.native_button.clicked.connect(self.render_natively_next_time)
        native = QHBoxLayout()
        native.addWidget(self.native_note, 1)
        native.addWidget(self.native_button, 0, Qt.AlignmentFlag.AlignTop)
        self.status = QLabel(
            "Another crossfade merges the segments again; another aspect ratio or size "
            "reframes the video, which takes a little while."
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
        layout_.addLayout(native)
        layout_.addWidget(self.status)
        layout_.addWidget(self.progress)
        layout_.addWidget(self.buttons)
        self.aspect_combo.currentIndexChanged.connect(self._aspect_changed)
        self.mode_combo.currentIndexChanged.connect(self._describe_sizes)
        self._aspect_changed()

    @property
    def aspect(self) -> AspectRatio:
        return AspectRatio(self.aspect_combo.currentData())

    def choices(self) -> ExportChoices:
        """What the form shows, as the next dialog will start from it."""
        return ExportChoices(
            aspect_ratio=self.aspect,
            size=self.size_combo.currentData(),
            reframe=self.mode_combo.currentData(),
            folder=str(Path(self.destination_edit.text().strip()).expanduser().parent),
        )

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
                self.aspect,
                self.crossfade_spin.value(),
                self.mode_combo.currentData(),
                self.size_combo.currentData(),
            ),
            on_done=self._exported,
        )

    def render_natively_next_time(self) -> None:
        """Veo renders 9:16 itself: a native vertical render keeps the whole picture that a
        crop of a 16:9 one throws away."""
        render = self._ctx.settings.render.model_copy(update={"aspect_ratio": AspectRatio.PORTRAIT})
        self._ctx.settings = self._ctx.settings.model_copy(update={"render": render})
        self._ctx.save_settings()
        self._describe_native()

    def reject(self) -> None:
        self._runner.cancel_all()
        super().reject()

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.export_button.setEnabled(not busy)

    def _exported(self, destination: Path) -> None:
        self.exported = destination
        self._ctx.settings = self._ctx.settings.model_copy(update={"export": self.choices()})
        self._ctx.save_settings()
        self.accept()

    def _aspect_changed(self) -> None:
        self.mode_combo.setEnabled(self.aspect is not self._source_ratio)
        self._rename_for_aspect()
        self._describe_sizes()
        self._describe_native()

    def _rename_for_aspect(self) -> None:
        """The suggested name follows the ratio; a name the creator typed stays."""
        current = Path(self.destination_edit.text().strip())
        if current.name != self._file_name:
            return
        self._file_name = export_file_name(self._project.title, self.aspect, self._partial)
        self.destination_edit.setText(str(current.with_name(self._file_name)))

    def _describe_sizes(self) -> None:
        mode = self.mode_combo.currentData()
        platform = output_size(self._source_size, self.aspect, "platform", mode)
        rendered = output_size(self._source_size, self.aspect, "rendered", mode)
        self.size_combo.setItemText(0, f"For the platforms ({platform[0]}×{platform[1]})")
        self.size_combo.setItemText(1, f"As rendered ({rendered[0]}×{rendered[1]})")
        self.size_combo.setEnabled(platform != rendered)

    def _describe_native(self) -> None:
        """A vertical export of a 16:9 render crops or pads it; suggest a 9:16 render."""
        width, height = self.aspect.parts
        wanted = self._source_ratio is AspectRatio.LANDSCAPE and height > width
        self.native_note.setVisible(wanted)
        already = self._ctx.settings.render.aspect_ratio is AspectRatio.PORTRAIT
        self.native_button.setVisible(wanted and not already)
        if already:
            self.native_note.setText(
                "The next render is set to 9:16: render this project again for a vertical "
                "video with nothing cropped, then export it."
            )
        else:
            self.native_note.setText(
                "This video was rendered 16:9, so a vertical export crops or pads it. The "
                "video model can render 9:16 itself, composing the whole picture for a phone: "
                "set it for the next render here or in Settings › Render."
            )

    def _problem(self, message: str) -> None:
        self.status.setStyleSheet("color: #ff8a8a;")
        self.status.setText(message)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export video", self.destination_edit.text(), "MP4 video (*.mp4)"
        )
        if path:
            self.destination_edit.setText(path)
