"""The render queue panel: one card per job in the library, newest first, with its progress,
cost and the one action that fits its state (cancel, retry, resume)."""

from __future__ import annotations

from datetime import datetime

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
from avpe_desktop.pipeline.outcome import counted
from avpe_desktop.ui.errors import report
from avpe_desktop.ui.render_queue import JobView, QueueController
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.widgets import scrollable

_STATE_NAMES = {
    JobStatus.QUEUED: ("Queued", ""),
    JobStatus.RUNNING: ("Rendering", ""),
    JobStatus.DONE: ("Done", "done"),
    JobStatus.FAILED: ("Failed", "failed"),
    JobStatus.CANCELLED: ("Cancelled", "cancelled"),
}
_INTERRUPTED = ("Interrupted", "cancelled")
_ELSEWHERE = ("Rendering elsewhere", "")
_STOPPING = ("Stopping", "cancelled")
_RETRYING = ("Retrying", "")

PANEL_MINIMUM_WIDTH = 300
"""A card's footer (its cost and time, offline) still fits on one line."""
PANEL_MAXIMUM_WIDTH = 480
"""Dragged wider, the panel would take the timeline's room and show nothing more."""


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"


def format_cost(view: JobView) -> str:
    if view.cost_estimate == 0 and view.cost_spent == 0:
        return "Free · offline engine"
    return f"Estimate ${view.cost_estimate:.2f} · spent ${view.cost_spent:.2f}"


def format_when(moment: datetime, now: datetime | None = None) -> str:
    """Local time; the date only when it is not today, so a long history stays readable."""
    local = moment.astimezone()
    now = now or datetime.now().astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    return f"{local.day} {local.strftime('%b %H:%M')}"


def state_name(view: JobView) -> tuple[str, str]:
    """A job nobody runs that is still QUEUED or RUNNING was interrupted (a crash or a
    quit). One that lost segments says how many: it is never simply "Done"."""
    if view.elsewhere:
        return _STOPPING if view.status.finished else _ELSEWHERE
    if not view.active and not view.status.finished:
        return _INTERRUPTED
    if view.active and view.retrying:
        return _RETRYING
    if view.status is JobStatus.PARTIAL:
        failed = len(view.failed_segments)
        return (f"{counted(failed, 'segment')} failed" if failed else "Partly done"), "failed"
    return _STATE_NAMES[view.status]


class JobCard(QFrame):
    def __init__(
        self, view: JobView, queue: QueueController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobCard")
        self.view = view
        self._queue = queue
        self.title = QLabel(view.title)
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
        self.step.setWordWrap(True)
        self.step.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.eta = QLabel()
        self.eta.setObjectName("subtitle")
        self.cost = QLabel()
        self.cost.setObjectName("subtitle")
        self.cost.setWordWrap(True)
        self.cost.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.segment_bars: list[QProgressBar] = []
        segments = QGridLayout()
        segments.setHorizontalSpacing(6)
        segments.setVerticalSpacing(2)
        for i in range(len(view.segment_progress)):
            number = QLabel(str(i + 1))
            number.setObjectName("hint")
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setFixedHeight(6)
            bar.setMinimumWidth(16)
            segments.addWidget(bar, 0, i)
            segments.addWidget(number, 1, i)
            self.segment_bars.append(bar)

        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setToolTip("Stop before the next paid step; finished results are kept")
        self.cancel_button.clicked.connect(lambda: self._queue.cancel(self.view))
        self.retry_button = QPushButton(icon("regenerate"), "Retry failed segments")
        self.retry_button.setToolTip(
            "Render what is missing; every finished result is reused at no cost"
        )
        self.retry_button.clicked.connect(lambda: self._queue.retry(self.view))
        self.resume_button = QPushButton(icon("render"), "Resume")
        self.resume_button.setToolTip("Finish this render; what is already done is reused")
        self.resume_button.clicked.connect(self._queue.resume_unfinished)
        self.folder_button = QPushButton(icon("folder"), "")
        self.folder_button.setToolTip("Open the output folder")
        self.folder_button.clicked.connect(self._open_folder)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.state, 0, Qt.AlignmentFlag.AlignTop)
        info = QHBoxLayout()
        info.addWidget(self.step, 1)
        info.addWidget(self.eta, 0, Qt.AlignmentFlag.AlignTop)
        bottom = QHBoxLayout()
        bottom.addWidget(self.cost, 1)
        bottom.addWidget(self.folder_button)
        # A line of their own: beside the cost, "Retry failed segments" left it a word a line.
        actions = QHBoxLayout()
        actions.addStretch(1)
        for button in (self.cancel_button, self.retry_button, self.resume_button):
            actions.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.overall)
        layout.addLayout(segments)
        layout.addLayout(info)
        layout.addLayout(bottom)
        layout.addLayout(actions)
        self.refresh()

    def refresh(self) -> None:
        view = self.view
        name, state = state_name(view)
        self.state.setText(name)
        if self.state.property("state") != state:
            self.state.setProperty("state", state)
            self.state.style().unpolish(self.state)
            self.state.style().polish(self.state)
        self.overall.setValue(round(view.fraction * 1000))
        overall = "segmentDone" if view.status is JobStatus.DONE else ""
        if self.overall.objectName() != overall:  # green like its segments once done
            self.overall.setObjectName(overall)
            self.overall.style().unpolish(self.overall)
            self.overall.style().polish(self.overall)
        self.step.setText(view.message)
        self.step.setToolTip(view.error or view.message)
        self.eta.setText(format_eta(view.eta_seconds))
        self.cost.setText(f"{format_cost(view)} · {format_when(view.job.created_at)}")
        for i, bar in enumerate(self.segment_bars):
            progress = view.segment_progress[i]
            failed = (i + 1) in view.failed_segments
            bar.setValue(round(progress * 100))
            name = "segmentFailed" if failed else ("segmentDone" if progress >= 1 else "")
            if bar.objectName() != name:
                bar.setObjectName(name)
                bar.style().unpolish(bar)
                bar.style().polish(bar)
            bar.setToolTip(self._segment_text(i + 1, progress, failed))
        self.cancel_button.setVisible(view.can_cancel)
        self.retry_button.setVisible(view.can_retry)
        self.retry_button.setText(
            "Continue" if view.status is JobStatus.CANCELLED else "Retry failed segments"
        )
        self.resume_button.setVisible(view.can_resume)

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
        try:
            folder = self._queue.layout(self.view).root
        except Exception as exc:
            report(exc, self._queue.show_error)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class QueuePanel(QWidget):
    """Newest job first; an empty queue says how to start one."""

    def __init__(self, queue: QueueController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.cards: list[JobCard] = []
        self._cards_by_id: dict[str, JobCard] = {}
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
        self.setMinimumWidth(PANEL_MINIMUM_WIDTH)
        self.setMaximumWidth(PANEL_MAXIMUM_WIDTH)
        scroll = scrollable(self._list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        queue.jobAdded.connect(self._add)
        queue.jobChanged.connect(self._changed)

    def card(self, view: JobView) -> JobCard:
        return self._cards_by_id[view.id]

    def _add(self, view: JobView) -> None:
        self._empty.hide()
        card = JobCard(view, self.queue)
        self._list_layout.insertWidget(0, card)
        self.cards.insert(0, card)
        self._cards_by_id[view.id] = card

    def _changed(self, view: JobView) -> None:
        card = self._cards_by_id.get(view.id)
        if card is not None:
            card.refresh()
