"""The project page: timeline on top, the selected segment's inspector and the preview below."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.domain import Brief, Content, Format
from avpe_desktop.storage.repository import NotFoundError
from avpe_desktop.ui.async_tools import TaskRunner
from avpe_desktop.ui.errors import readable
from avpe_desktop.ui.inspector import Inspector
from avpe_desktop.ui.new_video_dialog import FORMAT_NAMES
from avpe_desktop.ui.preview import PlaybackUnavailable, create_preview
from avpe_desktop.ui.project_document import ProjectDocument
from avpe_desktop.ui.render_questions import PartialNotice
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.services import Services
from avpe_desktop.ui.timeline import TimelineView
from avpe_desktop.ui.undo_commands import (
    EDITABLE_FIELDS,
    moved,
    with_field,
    with_inserted,
    with_segment,
    without,
)
from avpe_desktop.ui.widgets import ElidedLabel, TextWhenRoom, scrollable, tool_button_style

if TYPE_CHECKING:
    from avpe_desktop.ui.playback import PreviewPlayer

SIDE_MINIMUM_WIDTH = 280
"""The inspector's and the preview's least width side by side: fields stay readable and the
player's controls whole, so the splitter stops there."""


def _tool(name: str, text: str, tip: str, slot: Callable[[], None]) -> QToolButton:
    button = QToolButton()
    button.setIcon(icon(name))
    button.setText(text)
    button.setToolTip(tip)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.clicked.connect(slot)
    return button


def _show_words(buttons: tuple[QToolButton, ...], text: bool) -> None:
    for button in buttons:
        button.setToolButtonStyle(tool_button_style(text))


class ProjectView(QWidget):
    renderRequested = Signal()  # noqa: N815 (Qt naming)
    exportRequested = Signal()  # noqa: N815
    retryRequested = Signal()  # noqa: N815

    def __init__(
        self,
        services: Services,
        undo_action: QAction,
        redo_action: QAction,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("page")
        self._services = services
        self.document: ProjectDocument | None = None
        self.failed_segments: set[int] = set()
        self.tasks = TaskRunner(services.show_error, self)

        self.title = ElidedLabel()
        self.title.setObjectName("title")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("subtitle")
        self.render_button = QPushButton(icon("render"), "Render")
        self.render_button.setObjectName("primary")
        self.render_button.setToolTip("Paint the keyframes and render every segment (Ctrl+R)")
        self.render_button.clicked.connect(self.renderRequested)
        self.folder_button = QPushButton(icon("folder"), "Folder")
        self.folder_button.clicked.connect(self._open_folder)
        self.export_button = QPushButton(icon("export"), "Export…")
        self.export_button.clicked.connect(self.exportRequested)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        header.addLayout(titles, 1)
        header.addWidget(self.folder_button)
        header.addWidget(self.export_button)
        header.addWidget(self.render_button)

        self.insert_button = _tool(
            "insert", "Insert", "Insert a segment after this one", self.insert_segment
        )
        self.delete_button = _tool("delete", "Delete", "Delete this segment", self.delete_segment)
        self.left_button = _tool(
            "move_left", "", "Move this segment earlier", lambda: self.move_segment(-1)
        )
        self.right_button = _tool(
            "move_right", "", "Move this segment later", lambda: self.move_segment(1)
        )
        self.regenerate_button = _tool(
            "regenerate",
            "Regenerate",
            "Write this segment again, keeping its neighbours",
            self.regenerate_segment,
        )
        undo_button, redo_button = QToolButton(), QToolButton()
        undo_button.setDefaultAction(undo_action)
        redo_button.setDefaultAction(redo_action)
        self.tools_row = QWidget()
        tools = QHBoxLayout(self.tools_row)
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(6)
        section = QLabel("Segments")
        section.setObjectName("section")
        tools.addWidget(section)
        tools.addSpacing(8)
        for button in (
            self.insert_button,
            self.delete_button,
            self.left_button,
            self.right_button,
            self.regenerate_button,
        ):
            tools.addWidget(button)
        tools.addStretch(1)
        tools.addWidget(undo_button)
        tools.addWidget(redo_button)
        worded = (self.insert_button, self.delete_button, self.regenerate_button)
        self.tools_fit = TextWhenRoom(self.tools_row, lambda text: _show_words(worded, text))
        self.tools_row.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.tasks.busyChanged.connect(lambda busy: self.regenerate_button.setEnabled(not busy))

        self.timeline = TimelineView()
        self.timeline.currentChanged.connect(self._segment_selected)
        self.timeline.activated.connect(lambda i: self.preview.play_segment(i + 1))
        self.partial_notice = PartialNotice()
        self.partial_notice.retryRequested.connect(self.retryRequested)
        self.inspector = Inspector()
        self.inspector.fieldEdited.connect(self.edit_field)
        self._preview: PreviewPlayer | PlaybackUnavailable | None = None
        self._lower = lower = QSplitter(Qt.Orientation.Horizontal)
        inspector_area = scrollable(self.inspector)
        inspector_area.setMinimumWidth(SIDE_MINIMUM_WIDTH)
        lower.addWidget(inspector_area)
        lower.addWidget(QWidget())
        lower.setChildrenCollapsible(False)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)
        lower.setSizes([520, 520])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.tools_row)
        layout.addWidget(self.timeline)
        layout.addWidget(self.partial_notice)
        layout.addWidget(lower, 1)

    @property
    def preview(self) -> PreviewPlayer | PlaybackUnavailable:
        """Built when a project is first shown: the player starts Qt Multimedia's backend
        (FFmpeg, the audio service), which the library page, the usual first screen, does not
        need."""
        if self._preview is None:
            self._preview = create_preview()
            self._preview.setMinimumWidth(SIDE_MINIMUM_WIDTH)
            placeholder = self._lower.replaceWidget(1, self._preview)
            if placeholder is not None:
                placeholder.deleteLater()
        return self._preview

    def stop_playback(self) -> None:
        if self._preview is not None:
            self._preview.stop()

    # Showing a project

    def set_document(self, document: ProjectDocument) -> None:
        if self.document is not None:
            self.document.contentChanged.disconnect(self.refresh)
        self.document = document
        self.failed_segments = set()
        self.timeline.current = 0
        document.contentChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        document = self.document
        if document is None:
            return
        content = document.content
        self.title.set_full_text(content.title)
        fmt = FORMAT_NAMES.get(content.format, "Video") if content.format else "Video"
        count = len(content.segments)
        self.subtitle.setText(f"{fmt} · {count} segment{'s' if count != 1 else ''}")
        self.folder_button.setToolTip(f"Open {document.layout.root}")
        self.timeline.show_content(content, document.layout, self.failed_segments)
        self._segment_selected(self.timeline.current)
        self.preview.show_project(document.layout, content)

    def _open_folder(self) -> None:
        if self.document is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.document.layout.root)))

    def show_render_state(self, failed: set[int]) -> None:
        """What a render has made so far: the clip cards' frames and badges, and the preview's
        sources. Lighter than `refresh` on purpose: it runs while a render progresses, and
        must not touch the inspector someone may be typing in."""
        self.failed_segments = set(failed)
        document = self.document
        if document is None:
            return
        self.timeline.show_content(document.content, document.layout, self.failed_segments)
        self.preview.show_project(document.layout, document.content)

    def _segment_selected(self, index: int) -> None:
        if self.document is None:
            return
        self.inspector.commit_pending()
        segments = self.document.content.segments
        index = max(0, min(index, len(segments) - 1))
        self.inspector.show_segment(index, segments[index])
        self.left_button.setEnabled(index > 0)
        self.right_button.setEnabled(index < len(segments) - 1)
        self.delete_button.setEnabled(len(segments) > 1)

    # Edits

    def edit_field(self, index: int, field: str, text: str) -> None:
        self._apply(
            lambda content: with_field(content, index, field, text),
            f"Edit {EDITABLE_FIELDS[field]} of segment {index + 1}",
            merge_key=f"{index}:{field}",
        )

    def insert_segment(self) -> None:
        index = self.timeline.current + 1
        if self._apply(lambda c: with_inserted(c, index), f"Insert segment {index + 1}"):
            self.timeline.select(index)

    def delete_segment(self) -> None:
        index = self.timeline.current
        self._apply(lambda c: without(c, index), f"Delete segment {index + 1}")

    def move_segment(self, offset: int) -> None:
        index = self.timeline.current
        if self._apply(lambda c: moved(c, index, offset), f"Move segment {index + 1}"):
            self.timeline.select(index + offset)

    def regenerate_segment(self) -> None:
        if self.document is not None:
            self.tasks.start(self._regenerate(self.document, self.timeline.current))

    async def _regenerate(self, document: ProjectDocument, index: int) -> None:
        project = document.project
        if project.character_id is None:
            raise ValueError("This project has no character, so a segment cannot be rewritten.")
        try:
            character = self._services.ctx.library.get_character(project.character_id)
        except NotFoundError as exc:
            raise ValueError("The character of this project is no longer in the library.") from exc
        content = document.content
        brief = project.brief or Brief(
            idea=content.title,
            character_name=character.name,
            creature_language=character.details.creature_language,
            num_segments=len(content.segments),
            format=content.format or Format.DAILY_CHARACTER,
        )
        self._services.show_info(f"Rewriting segment {index + 1}…")
        segment = await self._services.engine().writer.rewrite_segment(
            brief, character.details, content, index + 1
        )
        if document is self.document:
            self._apply(
                lambda c: with_segment(c, index, segment), f"Regenerate segment {index + 1}"
            )
            self._services.show_info(f"Segment {index + 1} was rewritten. Undo brings it back.")

    def _apply(
        self,
        change: Callable[[Content], Content],
        text: str,
        merge_key: str | None = None,
    ) -> bool:
        """Edits that break a rule (an empty scene, a 21st segment) are refused with the
        reason, and the inspector goes back to what the script says."""
        if self.document is None:
            return False
        try:
            after = change(self.document.content)
        except ValueError as exc:
            self._services.show_error(readable(exc))
            self.refresh()
            return False
        self.document.apply(after, text, merge_key)
        return True
