"""What the window asks or points out before a render or an export could mislead: "Render" on
a project rendered exactly so already (another identical job, nothing new), and a merged
video that misses the segments that failed (it must not pass for the whole video)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from avpe_desktop.domain import RenderResult
from avpe_desktop.pipeline.outcome import failed_label, partial_note, segments_text
from avpe_desktop.ui.resources import icon

RENDER_AGAIN = "Re-render anyway"
OPEN_VIDEO = "Open the video"
RETRY_FAILED = "Retry failed segments"
EXPORT_PARTIAL = "Export partial anyway"

Answer = tuple[str, Callable[[], object]]


def ask(parent: QWidget, title: str, text: str, answers: Sequence[Answer]) -> QMessageBox:
    """A window-modal question whose buttons run their answers; Cancel does nothing. It is
    opened, not run with exec(), so the render queue keeps showing progress behind it."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, parent
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    for number, (label, action) in enumerate(answers):
        button = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
        button.clicked.connect(action)
        if number == 0:
            box.setDefaultButton(button)
    box.open()
    return box


def answer_button(box: QMessageBox, label: str) -> QPushButton:
    """The button with this label, for the code (and tests) that answer a question."""
    for button in box.buttons():
        if isinstance(button, QPushButton) and button.text() == label:
            return button
    raise LookupError(f"no '{label}' answer")


def render_again_text(title: str, when: str) -> str:
    return (
        f"'{title}' is already rendered exactly as it is now (finished {when}), and its "
        "videos are all there. Rendering it again reuses every result and only adds the same "
        "video to the queue once more."
    )


def partial_text(title: str, result: RenderResult) -> str:
    return (
        f"'{title}' finished without {segments_text(result.failed_segments)}, so its video "
        f"holds only {result.success_count} of {result.total_segments} segments. Retrying "
        "renders only the failed segments and reuses everything else."
    )


class PartialNotice(QFrame):
    """Stays above the preview while the project's latest render lost segments, with the
    retry at hand, so its merged video is never watched as the whole one."""

    retryRequested = Signal()  # noqa: N815 (Qt naming)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setProperty("kind", "error")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.retry_button = QPushButton(icon("regenerate"), RETRY_FAILED)
        self.retry_button.clicked.connect(self.retryRequested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_result(self, result: RenderResult | None, retrying: bool) -> None:
        """Shown for a result that misses segments; the button waits while a retry runs."""
        if result is None or not result.failed_segments:
            self.hide()
            return
        failed = result.failed_segments
        self.label.setText(
            f"{failed_label(len(failed))} ({segments_text(failed)}). {partial_note(result)}"
        )
        self.retry_button.setEnabled(not retrying)
        self.retry_button.setText("Retrying…" if retrying else RETRY_FAILED)
        self.show()
