"""Watching a segment or the merged video, with the controls an editor expects.

Imported only once Qt Multimedia is known to load (`preview.create_preview`).

Frames arrive through a QVideoSink and are painted by a plain widget rather than shown by
QVideoWidget: it looks the same on every platform and backend (offscreen included), and the
current picture can be grabbed for thumbnails, screenshots and tests.

Qt Multimedia decodes and renders on threads of its own, and none of them may ever wait for
Python: the GUI thread holds the GIL whenever Python runs, and blocks on those threads (on
Qt's signal-slot mutexes, on blocking queued calls into them) without letting go of it, so a
multimedia thread that waits for the GIL hangs the app for good. Frames reach Python through a
queued connection, and the objects made here and handed to the player have their virtual-method
look-ups settled on the GUI thread first (`settle_overrides`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRect, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QPixmap
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from avpe_desktop.domain import Content
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.ui.resources import icon
from avpe_desktop.ui.thumbnails import ThumbnailCache

POSTER_SIZE = QSize(1280, 720)
"""Posters are decoded at most this large: sharp in any preview pane, and a 1080p keyframe
is not kept at full size."""
POSTER_CACHE = 24


def settle_overrides(obj: QObject) -> None:
    """Lets Qt Multimedia's threads call into `obj` without the GIL.

    An object made from Python is a shiboken subclass whose C++ virtual methods, on their first
    call, look for a Python override under the GIL, then remember the answer for that object.
    The FFmpeg backend's audio renderer connects to the audio output's signals and is destroyed
    on its own thread, where QObject's destructor calls the output's `disconnectNotify` with
    the signal-slot mutexes held. Were that the first call, the renderer thread would wait for
    the GIL holding a mutex that the GUI thread, holding the GIL, soon wants: stopping or
    closing the preview deadlocked that way. One connection made and dropped here, on the GUI
    thread, settles `connectNotify` and `disconnectNotify` before any other thread can ask.
    """
    connection = obj.objectNameChanged.connect(_unused_slot)
    QObject.disconnect(connection)


def _unused_slot() -> None:
    """Connected by `settle_overrides` only to be disconnected at once."""


def format_time(ms: int) -> str:
    seconds = max(0, ms) // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


class VideoSurface(QWidget):
    """Paints the latest frame, letterboxed on black."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sink = QVideoSink(self)
        # Emitted on the video renderer's thread; a direct call would run Python there.
        self.sink.videoFrameChanged.connect(self._frame, Qt.ConnectionType.QueuedConnection)
        self.frame = QImage()
        self._poster_path: Path | None = None
        self._poster: QPixmap | None = None
        self._posters = ThumbnailCache(POSTER_SIZE, limit=POSTER_CACHE, parent=self)
        self._posters.ready.connect(self._poster_decoded)
        self.setMinimumSize(QSize(128, 72))

    def clear(self) -> None:
        self.frame = QImage()
        self._poster_path = None
        self._poster = None
        self.update()

    def show_poster(self, path: Path) -> None:
        """A still until playback starts; the video's own frames replace it. Decoded off the
        UI thread: a keyframe PNG takes tens of milliseconds to decode, and a new poster is
        asked for whenever a render adds a clip."""
        self.frame = QImage()
        self._poster_path = path
        _key, self._poster = self._posters.pixmap(path)
        self.update()

    def _poster_decoded(self, _key: str) -> None:
        if self._poster_path is not None and self.frame.isNull():
            _, self._poster = self._posters.pixmap(self._poster_path)
            self.update()

    def _frame(self, frame: QVideoFrame) -> None:
        image = frame.toImage()
        if not image.isNull():
            self.frame = image
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        size = self.frame.size() if not self.frame.isNull() else None
        if size is None and self._poster is not None:
            size = self._poster.size()
        if size is not None:
            size = size.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(self.rect().center())
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            if not self.frame.isNull():
                painter.drawImage(target, self.frame)
            elif self._poster is not None:
                painter.drawPixmap(target, self._poster)
        painter.end()


class PreviewPlayer(QWidget):
    """Sources are the files that exist: the whole video once merged (or a merge missing
    failed segments, listed as partial), and each segment."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.player = QMediaPlayer(self)
        self.audio = QAudioOutput(self)
        self.audio.setVolume(0.8)
        self.video = VideoSurface()
        for handed_to_multimedia in (self.player, self.audio, self.video.sink):
            settle_overrides(handed_to_multimedia)
        self.player.setAudioOutput(self.audio)
        self.player.setVideoSink(self.video.sink)

        self._empty = QLabel("Render the project to preview it here.")
        self._empty.setObjectName("hint")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._screen = QStackedWidget()
        self._screen.addWidget(self._empty)
        self._screen.addWidget(self.video)
        self._screen.setMinimumHeight(72)

        self.source_combo = QComboBox()
        self.source_combo.setMinimumWidth(160)
        self.source_combo.currentIndexChanged.connect(self._source_chosen)
        self.play_button = QToolButton()
        self.play_button.setIcon(icon("play"))
        self.play_button.setToolTip("Play or pause")
        self.play_button.clicked.connect(self.toggle_play)
        self.loop_button = QToolButton()
        self.loop_button.setIcon(icon("loop"))
        self.loop_button.setCheckable(True)
        self.loop_button.setToolTip("Loop")
        self.loop_button.toggled.connect(self.set_loop)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.sliderMoved.connect(self.player.setPosition)
        self.time_label = QLabel("0:00 / 0:00")
        self.time_label.setObjectName("subtitle")

        self.player.durationChanged.connect(self._duration_changed)
        self.player.positionChanged.connect(self._position_changed)
        self.player.playbackStateChanged.connect(self._state_changed)

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.loop_button)
        header = QHBoxLayout()
        title = QLabel("Preview")
        title.setObjectName("section")
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.source_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.addLayout(header)
        layout.addWidget(self._screen, 1)
        layout.addLayout(controls)
        self._sources: list[Path] = []
        self._posters: list[Path] = []
        self._set_enabled(False)

    def show_project(self, layout: ProjectLayout, content: Content) -> None:
        """Lists what exists now. The current choice stays while it exists, except that a
        newly merged video takes over when nothing is playing: it is what a creator wants to
        watch after a render."""
        sources: list[tuple[str, Path, Path]] = []
        if layout.merged_video.exists():
            sources.append(("Whole video", layout.merged_video, layout.first_frame(1)))
        # A merge without the failed segments: never to be listed as the whole video.
        sources += [
            ("Partial video", path, layout.first_frame(1)) for path in layout.partial_videos()
        ]
        for segment in content.segments:
            path = layout.segment_video(segment.segment)
            if path.exists():
                sources.append(
                    (f"Segment {segment.segment}", path, layout.first_frame(segment.segment))
                )
        if [p for _, p, _ in sources] == self._sources:
            return
        current = self.current_source
        merged_is_new = layout.merged_video.exists() and layout.merged_video not in self._sources
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        for label, _path, _poster in sources:
            self.source_combo.addItem(label)
        self._sources = [p for _, p, _ in sources]
        self._posters = [poster for _, _, poster in sources]
        self.source_combo.blockSignals(False)
        self._set_enabled(bool(sources))
        if not sources:
            self.player.stop()
            self.player.setSource(QUrl())
            self.video.clear()
            self._show_time(0, 0)
            return
        playing = self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        keep = current in self._sources and (playing or not merged_is_new)
        index = self._sources.index(current) if keep and current is not None else 0
        self.source_combo.setCurrentIndex(index)
        self._source_chosen(index)

    @property
    def current_source(self) -> Path | None:
        source = self.player.source()
        return Path(source.toLocalFile()) if source.isLocalFile() else None

    def play_segment(self, number: int) -> None:
        label = f"Segment {number}"
        index = self.source_combo.findText(label)
        if index >= 0:
            self.source_combo.setCurrentIndex(index)
            self.player.play()

    def toggle_play(self) -> None:
        if self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self.player.pause()
        else:
            self.player.play()

    def stop(self) -> None:
        self.player.stop()

    def set_loop(self, on: bool) -> None:
        self.player.setLoops(QMediaPlayer.Loops.Infinite if on else QMediaPlayer.Loops.Once)

    def _source_chosen(self, index: int) -> None:
        if 0 <= index < len(self._sources):
            path = self._sources[index]
            if self.current_source != path:
                self._show_time(0, 0)  # until the new source says how long it is
                self.player.setSource(QUrl.fromLocalFile(str(path)))
                self.video.show_poster(self._posters[index])

    def _set_enabled(self, enabled: bool) -> None:
        self._screen.setCurrentWidget(self.video if enabled else self._empty)
        for widget in (self.source_combo, self.play_button, self.loop_button, self.slider):
            widget.setEnabled(enabled)

    def _duration_changed(self, duration: int) -> None:
        self._show_time(self.player.position(), duration)

    def _position_changed(self, position: int) -> None:
        self._show_time(position, self.player.duration())

    def _show_time(self, position: int, duration: int) -> None:
        """Also called on a change of source: the player keeps the last one's numbers until the
        next file is loaded, and an empty source may not report a change at all."""
        if self.slider.maximum() != duration:
            self.slider.setRange(0, duration)
        if not self.slider.isSliderDown():
            self.slider.setValue(position)
        self.time_label.setText(f"{format_time(position)} / {format_time(duration)}")

    def _state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        self.play_button.setIcon(icon("pause" if playing else "play"))
