"""The main window: library and project pages, the render queue dock, menus and the banner.

It is built cheaply and shown at once; reading the library, listing the render jobs, reopening
the last project and resuming renders a crash or a quit interrupted happen right after the
first paint, so the window appears without a wait. The export and settings dialogs are imported
when first opened: export brings OpenCV and numpy, which the first screen has no use for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QKeySequence,
    QShowEvent,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.config import EngineChoice
from avpe_desktop.context import AppContext
from avpe_desktop.domain import Brief, Character, Content, Job, JobStatus, Project, RenderResult
from avpe_desktop.engines.registry import resolve_choice
from avpe_desktop.pipeline.screenwriter import write_script
from avpe_desktop.projects import create_project
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.errors import Banner, report
from avpe_desktop.ui.library_view import LibraryView
from avpe_desktop.ui.new_video_dialog import NewVideoDialog
from avpe_desktop.ui.project_document import ProjectDocument
from avpe_desktop.ui.project_view import ProjectView
from avpe_desktop.ui.queue_panel import QueuePanel, format_when
from avpe_desktop.ui.render_questions import (
    EXPORT_PARTIAL,
    OPEN_VIDEO,
    RENDER_AGAIN,
    RETRY_FAILED,
    ask,
    partial_text,
    render_again_text,
)
from avpe_desktop.ui.render_queue import JobView, QueueController
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.services import Services
from avpe_desktop.ui.widgets import TextWhenRoom, tool_button_style
from avpe_desktop.workers import run_in_thread

if TYPE_CHECKING:
    from avpe_desktop.ui.export_dialog import ExportDialog
    from avpe_desktop.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

RECENT_PROJECTS = 12

MINIMUM_SIZE = QSize(1024, 640)
"""The smallest window every page is laid out whole in (tests/ui/test_layout.py checks it):
half of a large screen, most of a small laptop's."""
QUEUE_WIDTH = 320
"""The render queue dock's width at first; the panel's own limits keep it from taking over."""

QUIT_PAUSE_MS = 5_000
"""How long quitting waits for renders to pause at their next paid call or poll before it
cancels them: long enough for a call in flight to be recorded, short enough to feel like a
quit."""
QUIT_ABANDON_MS = 1_500
"""How long cancelled renders get to save their jobs back in the queue before the window
closes regardless. A job left RUNNING by a quit is still resumed at the next start: the
process named as its runner is gone by then."""


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("AVPE Desktop")
        self.setWindowIcon(icon("app"))
        self.resize(1320, 860)
        self.setMinimumSize(MINIMUM_SIZE)
        self.banner = Banner()
        self.services = Services(ctx, self.banner.show_error, self.banner.show_info)
        self.document: ProjectDocument | None = None
        self.queue = QueueController(self.services, self)
        self.undo_group = QUndoGroup(self)
        self._started = False
        self.ready = False
        """True once `start` has run: the library is listed and interrupted renders resumed."""
        self._closing = False
        """The creator confirmed quitting: renders are being paused, then the window closes."""
        self.question: QMessageBox | None = None
        """The last question asked before a render or an export (answered by its buttons)."""
        self._renders_abandoned = False
        self._quit_now = False
        # Quits again, as a second Quit would, when renders take too long to pause.
        self._quit_timer = QTimer(self)
        self._quit_timer.setSingleShot(True)
        self._quit_timer.timeout.connect(self.close)
        self.engine_name = "offline"
        self._window_state = QSettings(
            str(ctx.dirs.config / "window.ini"), QSettings.Format.IniFormat
        )

        self.undo_action = self.undo_group.createUndoAction(self, "Undo")
        self.undo_action.setIcon(icon("undo"))
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "Redo")
        self.redo_action.setIcon(icon("redo"))
        self.redo_action.setShortcuts(
            [QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)]
        )

        self.library_view = LibraryView(self.services)
        self.project_view = ProjectView(self.services, self.undo_action, self.redo_action)
        self.project_view.renderRequested.connect(self.render_project)
        self.project_view.exportRequested.connect(self.export_project)
        self.project_view.retryRequested.connect(self.retry_failed_segments)
        self.no_project = QLabel(
            "No project open. Start one with New video, or open a recent "
            "project from the File menu."
        )
        self.no_project.setObjectName("hint")
        self.no_project.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pages = QStackedWidget()
        for page in (self.library_view, self.project_view, self.no_project):
            self.pages.addWidget(page)

        central = QWidget()
        central.setObjectName("page")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 6, 12, 0)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.queue_panel = QueuePanel(self.queue)
        self.queue_dock = QDockWidget("Render queue", self)
        self.queue_dock.setObjectName("renderQueue")
        self.queue_dock.setWidget(self.queue_panel)
        self.queue_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.queue_dock)
        self.resizeDocks([self.queue_dock], [QUEUE_WIDTH], Qt.Orientation.Horizontal)
        self.queue_dock.hide()  # until the first render, unless the saved state says otherwise
        self.queue.outputsChanged.connect(self._render_outputs_changed)
        self.queue.jobChanged.connect(self._show_partial)
        self.queue.jobFinished.connect(self._render_finished)

        self.engine_label = QLabel()
        self._save_label = QLabel()
        self.statusBar().addPermanentWidget(self._save_label)
        self.statusBar().addPermanentWidget(self.engine_label)
        self._build_actions()
        self._restore_window_state()
        self._engine_lookup = TaskRunner(self.banner.show_error, self)

    # Start-up and shut-down

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self._started:
            self._started = True
            QTimer.singleShot(0, self.start)

    def start(self) -> None:
        """The slow part of start-up, after the window is on screen."""
        self.library_view.reload()
        QTimer.singleShot(0, self._show_engine)  # after the library's first paint
        try:
            self.queue.load()
            resumed = self.queue.resume_unfinished()
        except Exception as exc:
            report(exc, self.banner.show_error)
            resumed = []
        if resumed:
            self.queue_dock.show()
            count = len(resumed)
            self.banner.show_info(
                f"Resuming {count} render{'s' if count != 1 else ''} that stopped when AVPE "
                "last closed; finished steps are reused."
            )
        last = self.ctx.settings.last_project_id
        if last:
            try:
                self.open_project(self.ctx.library.get_project(last))
            except Exception as exc:
                report(exc, self.banner.show_error)
                self.show_library()
        else:
            self.show_library()
        self.ready = True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        """With renders running, asks first; then pauses them and closes once they have
        stopped (within one paid call or poll). Waiting for the call in flight, rather than
        cutting it off, records what it paid for, and each job is saved back in the queue,
        so the next start resumes it without paying twice.

        Quitting never waits for long, though: a render may end while the question is open
        (nothing is left to pause), a call may hang, and the creator may not want to wait.
        Quit again while pausing, or `QUIT_PAUSE_MS` passing, cancels the renders instead,
        and `QUIT_ABANDON_MS` later the window closes whatever they do."""
        if self.queue.running and not self._quit_now:
            if self._closing:
                self._stop_renders()
            elif self._confirm_quit():
                self._pause_renders()
        if self.queue.running and not self._quit_now:
            event.ignore()
            return
        self._quit_timer.stop()
        log.info("Main window closing")
        self.shutdown()
        super().closeEvent(event)

    def _confirm_quit(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Renders are running",
            "Quit now? Renders in progress will continue next time you open AVPE.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _pause_renders(self) -> None:
        self._closing = True
        self.queue.interrupt()
        if self.queue.running:
            log.info("Quitting: pausing %d render(s) at their next step", len(self.queue.running))
            self.banner.show_info("Pausing the renders… Quit again to stop them at once.")
            self._quit_timer.start(QUIT_PAUSE_MS)

    def _stop_renders(self) -> None:
        """The first time cancels the render tasks (each saves its job for the next start as
        it unwinds, and the last one to end closes the window); the next time closes now."""
        if self._renders_abandoned:
            log.warning("Quitting: renders still running; closing without waiting for them")
            self._quit_now = True
            return
        self._renders_abandoned = True
        log.info("Quitting: cancelling %d render(s) that did not pause", len(self.queue.running))
        self.banner.show_info("Stopping the renders…")
        self.queue.abandon()
        self._quit_timer.start(QUIT_ABANDON_MS)

    def shutdown(self) -> None:
        """Saves what is waiting and stops background work; safe to call twice."""
        self.queue.close()
        self.library_view.tasks.cancel_all()
        self.project_view.tasks.cancel_all()
        self.project_view.stop_playback()
        if self.document is not None:
            self.project_view.inspector.commit_pending()
            try:
                self.document.flush()
            except Exception as exc:
                report(exc, self.banner.show_error)
        self._window_state.setValue("geometry", self.saveGeometry())
        self._window_state.setValue("state", self.saveState())
        self._window_state.sync()

    def _restore_window_state(self) -> None:
        geometry = self._window_state.value("geometry")
        state = self._window_state.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    # Menus and tool bar

    def _build_actions(self) -> None:
        def action(
            name: str, text: str, slot: Callable[[], object], shortcut: str | None = None
        ) -> QAction:
            act = QAction(icon(name), text, self)
            act.triggered.connect(slot)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            return act

        self.library_action = action("library", "Library", self.show_library, "Ctrl+1")
        self.project_action = action("timeline", "Project", self.show_project, "Ctrl+2")
        pages = QActionGroup(self)
        for act in (self.library_action, self.project_action):
            act.setCheckable(True)
            pages.addAction(act)
        self.new_action = action("new_video", "New video", self.new_video, "Ctrl+N")
        self.render_action = action("render", "Render", self.render_project, "Ctrl+R")
        self.export_action = action("export", "Export", self.export_project, "Ctrl+E")
        self.settings_action = action("settings", "Settings", self.open_settings, "Ctrl+,")
        quit_action = action("close", "Quit", self.close, "Ctrl+Q")

        toolbar = QToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.library_action, self.project_action])
        toolbar.addSeparator()
        toolbar.addActions([self.new_action, self.render_action, self.export_action])
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.queue_dock.toggleViewAction())
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)
        self.queue_dock.toggleViewAction().setIcon(icon("queue"))
        self.toolbar = toolbar
        self.toolbar_fit = TextWhenRoom(
            toolbar, lambda text: toolbar.setToolButtonStyle(tool_button_style(text))
        )

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.new_action)
        self.recent_menu = QMenu("Open project", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions([self.library_action, self.project_action])
        view_menu.addAction(self.queue_dock.toggleViewAction())
        render_menu = self.menuBar().addMenu("&Render")
        render_menu.addAction(self.render_action)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        projects = self.ctx.library.list_projects()[:RECENT_PROJECTS]
        if not projects:
            empty = self.recent_menu.addAction("No projects yet")
            empty.setEnabled(False)
        for project in projects:
            act = self.recent_menu.addAction(project.title)
            act.triggered.connect(lambda _=False, p=project: self.open_project(p))

    def _show_engine(self) -> None:
        """Off the GUI thread: with the engine on "auto" the answer depends on a key in the
        system keyring, which answers over D-Bus and may wait for the creator to unlock it."""
        self._engine_lookup.start(
            run_in_thread(resolve_choice, self.ctx.settings), self._engine_resolved
        )

    def _engine_resolved(self, choice: EngineChoice) -> None:
        self.engine_name = "Google" if choice is EngineChoice.GOOGLE else "offline"
        self.engine_label.setText(f"  {self.engine_name} engine  ")

    # Pages

    def show_library(self) -> None:
        self.library_action.setChecked(True)
        self.pages.setCurrentWidget(self.library_view)

    def show_project(self) -> None:
        self.project_action.setChecked(True)
        self.pages.setCurrentWidget(self.project_view if self.document else self.no_project)

    # Projects

    def new_video(self) -> NewVideoDialog:
        dialog = NewVideoDialog(
            self.ctx.library.list_characters(), self._write_script, self.engine_name, self
        )
        current = self.library_view.editor.character
        if current is not None:
            dialog.character_combo.setCurrentIndex(dialog.character_combo.findData(current.id))
        dialog.accepted.connect(lambda: self._script_written(dialog))
        dialog.open()
        return dialog

    async def _write_script(self, brief: Brief, character: Character) -> Content:
        return await write_script(self.services.engine().writer, brief, character.details)

    def _script_written(self, dialog: NewVideoDialog) -> None:
        character = dialog.selected_character()
        if dialog.content is None or character is None:
            return
        try:
            project, _layout = create_project(
                self.ctx.library,
                self.ctx.workspace,
                dialog.content,
                self.ctx.settings.render,
                character.id,
                dialog.brief,
            )
        except Exception as exc:
            report(exc, self.banner.show_error)
            return
        self.open_project(project)
        self.banner.show_info(f"Wrote '{project.title}'. Edit the segments, then press Render.")

    def open_project(self, project: Project) -> None:
        if self.document is not None:
            if self.document.project.id == project.id:
                self.show_project()
                return
            self.project_view.inspector.commit_pending()
            self.document.flush()
            self.undo_group.removeStack(self.document.undo_stack)
            self.document.deleteLater()
        document = ProjectDocument(self.ctx.library, self.ctx.workspace, project, self)
        document.saved.connect(lambda: self._save_label.setText("  All changes saved  "))
        document.contentChanged.connect(lambda: self._save_label.setText("  Saving…  "))
        self.document = document
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        self.project_view.set_document(document)
        latest = self.queue.latest(project.id)
        self.project_view.partial_notice.show_result(None, retrying=False)
        if latest is not None:
            self.project_view.show_render_state(latest.failed_segments)
            self._show_partial(latest)
        self.setWindowTitle(f"{project.title} — AVPE Desktop")
        self._save_label.setText("")
        self.show_project()
        if self.ctx.settings.last_project_id != project.id:
            self.ctx.settings = self.ctx.settings.model_copy(update={"last_project_id": project.id})
            self.ctx.save_settings()

    # Rendering and export

    def render_project(self) -> JobView | None:
        document = self.document
        if document is None:
            self.banner.show_error("Open or create a project first.")
            return None
        if any(j.project_id == document.project.id for j in self.queue.running):
            self.banner.show_error("This project is already rendering; see the render queue.")
            return None
        try:
            self.project_view.inspector.commit_pending()
            rendered = self.queue.already_rendered(document.project, self.ctx.settings.render)
            if rendered is None:
                return self._submit_render(document)
        except Exception as exc:
            report(exc, self.banner.show_error)
            return None
        self.question = ask(
            self,
            "Already rendered",
            render_again_text(document.project.title, format_when(rendered.created_at)),
            [
                (RENDER_AGAIN, lambda: self._render_anyway(document)),
                (OPEN_VIDEO, lambda: self._open_video(rendered)),
            ],
        )
        return None

    def _render_anyway(self, document: ProjectDocument) -> None:
        if document is not self.document:
            return
        try:
            self._submit_render(document)
        except Exception as exc:
            report(exc, self.banner.show_error)

    def _open_video(self, job: Job) -> None:
        """In the system's player: the merged video, or the folder when there is none."""
        merged = job.result.merged_video if job.result is not None else None
        try:
            target = Path(merged.path) if merged and merged.path else self.queue.layout(job).root
        except Exception as exc:
            report(exc, self.banner.show_error)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    def retry_failed_segments(self) -> None:
        """The open project's latest render, again for its failed segments only."""
        document = self.document
        latest = self.queue.latest(document.project.id) if document is not None else None
        if latest is not None:
            self.queue.retry(latest)
            self.queue_dock.show()

    def _submit_render(self, document: ProjectDocument) -> JobView:
        """The job keeps a snapshot of the script and the character as they are now, so
        edits made while it renders (or before a retry) do not change what it renders."""
        self.project_view.inspector.commit_pending()
        settings = self.ctx.settings.render
        document.project = document.project.model_copy(update={"settings": settings})
        document.save()
        job = self.queue.submit(document.project, settings)
        # Showing the dock re-lays out the whole window; on the next pass, so that work and
        # the submission do not add up to one long stall.
        QTimer.singleShot(0, self.queue_dock.show)
        return job

    def _render_outputs_changed(self, job: JobView) -> None:
        """New keyframes and clips appear on the timeline as soon as they exist (and only
        then: a clip's progress ticks do not touch the timeline)."""
        document = self.document
        if document is not None and self.queue.latest(document.project.id) is job:
            self.project_view.show_render_state(job.failed_segments)

    def _show_partial(self, job: JobView) -> None:
        """The open project's latest render, when it lost segments, says so over the
        preview (and not while another render of it runs: its result is not known yet)."""
        document = self.document
        if document is None or self.queue.latest(document.project.id) is not job:
            return
        partial = job.status is JobStatus.PARTIAL or bool(job.retrying)
        result = job.job.result if partial else None
        self.project_view.partial_notice.show_result(result, retrying=bool(job.retrying))

    def _render_finished(self, job: JobView) -> None:
        if self._closing:  # a paused job is left unfinished, not news to report
            if not self.queue.running:
                self.close()
            return
        if job.retry_report:
            again = job.status is not JobStatus.DONE
            shown = self.banner.show_error if again else self.banner.show_info
            shown(f"'{job.title}': {' '.join(job.retry_report)}")
        elif job.status is JobStatus.DONE:
            self.banner.show_info(f"'{job.title}': {job.message.lower()}.")
        elif not job.status.finished:  # resume left it alone: a live process is on it
            self.banner.show_info(
                f"'{job.title}' is being rendered by another AVPE window or command; "
                "it was left to finish there."
            )
        elif job.status is not JobStatus.CANCELLED:
            self.banner.show_error(f"'{job.title}': {job.message}")

    def export_project(self) -> ExportDialog | None:
        document = self.document
        if document is None:
            self.banner.show_error("Open a rendered project to export it.")
            return None
        self.project_view.inspector.commit_pending()
        document.flush()
        latest = self.queue.latest(document.project.id)
        partial = latest is not None and latest.status is JobStatus.PARTIAL
        result = latest.job.result if latest is not None and partial else None
        if result is None or not result.failed_segments:
            return self._open_export(document, None)
        self.question = ask(
            self,
            "Some segments failed",
            partial_text(document.project.title, result),
            [
                (RETRY_FAILED, self.retry_failed_segments),
                (EXPORT_PARTIAL, lambda: self._open_export(document, result)),
            ],
        )
        return None

    def _open_export(
        self, document: ProjectDocument, partial: RenderResult | None
    ) -> ExportDialog | None:
        if document is not self.document:
            return None
        from avpe_desktop.ui.export_dialog import ExportDialog

        dialog = ExportDialog(document.project, document.layout, self.ctx, self, partial=partial)
        dialog.accepted.connect(lambda: self.banner.show_info(f"Exported to {dialog.exported}."))
        dialog.open()
        return dialog

    def open_settings(self) -> SettingsDialog:
        from avpe_desktop.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.services, self)
        dialog.accepted.connect(self._settings_saved)
        dialog.open()
        return dialog

    def _settings_saved(self) -> None:
        self._show_engine()
        self.banner.show_info("Settings saved.")

    def show_error(self, message: str) -> None:
        self.banner.show_error(message)
