"""Errors in words a creator understands, tracebacks only in the log file.

Every failure the core can raise carries a message written for people (see the core's error
classes); the UI shows that message in a banner and never a traceback. Unexpected failures are
logged with their traceback, so a bug report has what a developer needs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType

from pydantic import ValidationError
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from avpe_desktop.characters import CharacterError
from avpe_desktop.engines.base import EngineError
from avpe_desktop.input_files import describe_os_error
from avpe_desktop.media.images import ImageRejectedError
from avpe_desktop.secrets import SecretRedactor, SecretsUnavailableError
from avpe_desktop.storage.repository import LibraryError
from avpe_desktop.ui.resources import icon

log = logging.getLogger(__name__)

EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    CharacterError,
    ImageRejectedError,
    ValidationError,
    LibraryError,
    EngineError,
    SecretsUnavailableError,
    OSError,
    ValueError,
)
"""Failures a creator can cause or fix (bad input, no network, full disk): shown, not logged
with a traceback."""


def readable(exc: BaseException) -> str:
    """One or two sentences; validation errors name the field, never the model internals."""
    if isinstance(exc, ValidationError):
        problems = [
            f"{'.'.join(str(p) for p in error['loc']) or 'value'}: {error['msg']}"
            for error in exc.errors()
        ]
        text = "Some values are not valid — " + "; ".join(problems)
    elif isinstance(exc, OSError):
        text = describe_os_error(exc)
    else:
        text = str(exc) or f"Something went wrong ({type(exc).__name__})."
    return SecretRedactor.redact(text)


def report(exc: BaseException, notify: Callable[[str], None]) -> None:
    """Logs (with the traceback when the failure was not expected) and shows the message."""
    if isinstance(exc, EXPECTED_ERRORS):
        log.warning("%s", readable(exc))
    else:
        log.error("Unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    notify(readable(exc))


def install_excepthook(notify: Callable[[str], None]) -> None:
    """Qt swallows exceptions raised in slots after printing them; this routes them to the
    log file and the banner instead, and the app keeps running."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        log.error("Uncaught error", exc_info=(exc_type, exc, tb))
        notify(readable(exc))

    sys.excepthook = hook


class Banner(QFrame):
    """A non-blocking message strip: errors stay until dismissed, news fades after a while.

    Once it has shown a message it keeps its place when it hides: closing it must not move
    the page up under the pointer (a click meant for the × would land on what slid there).
    """

    INFO_SECONDS = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = close = QToolButton()
        close.setIcon(icon("close"))
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 6, 4)
        layout.addWidget(self._label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    @property
    def text(self) -> str:
        parent = self.parentWidget()
        return self._label.text() if parent is not None and self.isVisibleTo(parent) else ""

    @property
    def kind(self) -> str:
        return str(self.property("kind") or "")

    def show_error(self, message: str) -> None:
        self._show("error", message)
        self._timer.stop()

    def show_info(self, message: str) -> None:
        self._show("info", message)
        self._timer.start(self.INFO_SECONDS * 1000)

    def _show(self, kind: str, message: str) -> None:
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self._label.setText(message)
        self.show()
