"""The render queue panel: one card per render with its progress, cost and controls."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.domain import JobStatus
from avpe_desktop.ui.render_queue import RenderJob, RenderQueue
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.widgets import scrollable

_STATE_NAMES = {
    JobStatus.QUEUED: ("Queued", ""),
    JobStatus.RUNNING: ("Rendering", ""),
    JobStatus.DONE: ("Done", "done"),
    JobStatus.PARTIAL: ("Partly done", "failed"),
    JobStatus.FAILED: ("Failed", "failed"),
    JobStatus.CANCELLED: ("Cancelled", "cancelled"),
}


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"


def format_cost(job: RenderJob) -> str:
    if job.cost_estimate == 0:
        return "Free · offline engine"
    return f"Estimate ${job.cost_estimate:.2f} · spent ≈ ${job.cost_spent:.2f}"


class JobCard(QFrame):
    def __init__(self, job: RenderJob, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobCard")
        self.job = job
        self.title = QLabel(job.title)
        self.title.setObjectName("jobTitle")
        self.title.setWordWrap(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.state = QLabel()
        self.state.setObjectName("jobStatus")
        self.overall = QProgressBar()
        self.overall.setRange(0, 1000)
        self.overall.setFixedHeight(8)
        self.step = QLabel()
        self.step.setObjectName("subtitle")
        self.step.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.eta = QLabel()
        self.eta.setObjectName("subtitle")
        self.cost = QLabel()
        self.cost.setObjectName("subtitle")

        self.segment_bars: list[QProgressBar] = []
        segments = QGridLayout()
        segments.setHorizontalSpacing(6)
        segments.setVerticalSpacing(2)
        for i in range(len(job.segment_progress)):
            number = QLabel(str(i + 1))
            number.setObjectName("hint")
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setFixedHeight(6)
            bar.setMinimumWidth(28)
            segments.addWidget(bar, 0, i)
            segments.addWidget(number, 1, i)
            self.segment_bars.append(bar)

        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(job.cancel)
        self.folder_button = QPushButton(icon("folder"), "")
        self.folder_button.setToolTip("Open the output folder")
        self.folder_button.clicked.connect(self._open_folder)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.state)
        info = QHBoxLayout()
        info.addWidget(self.step, 1)
        info.addWidget(self.eta)
        bottom = QHBoxLayout()
        bottom.addWidget(self.cost, 1)
        bottom.addWidget(self.folder_button)
        bottom.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.overall)
        layout.addLayout(segments)
        layout.addLayout(info)
        layout.addLayout(bottom)
        job.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        job = self.job
        name, state = _STATE_NAMES[job.status]
        self.state.setText(name)
        self.state.setProperty("state", state)
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        self.overall.setValue(round(job.fraction * 1000))
        self.step.setText(job.message)
        self.step.setToolTip(job.error or job.message)
        self.eta.setText(format_eta(job.eta_seconds))
        self.cost.setText(format_cost(job))
        for i, bar in enumerate(self.segment_bars):
            progress = job.segment_progress[i]
            failed = (i + 1) in job.failed_segments
            bar.setValue(100 if failed else round(progress * 100))
            name = "segmentFailed" if failed else ("segmentDone" if progress >= 1 else "")
            if bar.objectName() != name:
                bar.setObjectName(name)
                bar.style().unpolish(bar)
                bar.style().polish(bar)
            bar.setToolTip(self._segment_text(i + 1, progress, failed))
        self.cancel_button.setVisible(not job.status.finished)

    @staticmethod
    def _segment_text(number: int, progress: float, failed: bool) -> str:
        if failed:
            return f"Segment {number}: failed"
        if progress >= 1:
            return f"Segment {number}: video ready"
        if progress > 0:
            return f"Segment {number}: keyframes painted, video rendering"
        return f"Segment {number}: waiting"

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.job.layout.root)))


class QueuePanel(QWidget):
    """Newest render first; an empty queue says how to start one."""

    def __init__(self, queue: RenderQueue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.cards: list[JobCard] = []
        self._empty = QLabel("No renders yet. Open a project and press Render.")
        self._empty.setObjectName("hint")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._list = QWidget()
        self._list.setObjectName("scrollBody")
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(8, 8, 8, 8)
        self._list_layout.setSpacing(8)
        self._list_layout.addWidget(self._empty)
        self._list_layout.addStretch(1)
        self.setMinimumWidth(340)
        scroll = scrollable(self._list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        queue.jobAdded.connect(self._add)

    def _add(self, job: RenderJob) -> None:
        self._empty.hide()
        card = JobCard(job)
        self._list_layout.insertWidget(0, card)
        self.cards.insert(0, card)
