"""The entry point as a person starts it, and how errors reach them."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from avpe_desktop.characters import CharacterError
from avpe_desktop.config import EngineChoice
from avpe_desktop.engines.base import CredentialsError
from avpe_desktop.log_file import configure_logging
from avpe_desktop.secrets import SERVICE, SecretName, SecretRedactor
from avpe_desktop.testing.memory_keyring import MemoryKeyring
from avpe_desktop.ui.errors import install_excepthook, readable, report
from avpe_desktop.ui.main_window import MainWindow

_LAUNCH = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from avpe_desktop.ui import app

    app.create_application(sys.argv)

    def close_when_shown():
        windows = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        if windows:
            print("closing", type(windows[0]).__name__, flush=True)
            windows[0].close()
        else:
            QTimer.singleShot(100, close_when_shown)

    QTimer.singleShot(300, close_when_shown)
    sys.exit(app.main(sys.argv))
    """
)


def test_avpe_desktop_starts_shows_its_window_and_quits_cleanly(isolated_home: Path) -> None:
    env = {**os.environ, "AVPE_HOME": str(isolated_home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCH], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert "closing MainWindow" in done.stdout
    log = (isolated_home / "logs" / "avpe-desktop.log").read_text()
    assert "AVPE Desktop" in log and "starting" in log
    assert (isolated_home / "config" / "window.ini").exists()


def test_a_library_that_will_not_open_brings_up_the_recovery_dialog(isolated_home: Path) -> None:
    """The recovery code is loaded only on this path, so the path is run for real."""
    library = isolated_home / "data" / "library.sqlite3"
    library.parent.mkdir(parents=True)
    library.write_bytes(b"not a database, just garbage " * 100)
    env = {**os.environ, "AVPE_HOME": str(isolated_home), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCH], env=env, capture_output=True, text=True, timeout=60
    )
    assert "closing LibraryRecoveryDialog" in done.stdout, done.stderr[-2000:]
    assert done.returncode == 1
    assert library.read_bytes().startswith(b"not a database")


def test_readable_messages_never_show_internals() -> None:
    assert readable(CharacterError("A character needs a name.")) == "A character needs a name."
    missing = FileNotFoundError(2, "No such file or directory", "/x/floof.png")
    assert readable(missing) == "'floof.png' does not exist. Check the file's name and folder."
    full = OSError(28, "No space left on device", "/x/segment_1.mp4")
    assert readable(full) == "The disk is full: free some space, then try again."
    assert readable(RuntimeError()) == "Something went wrong (RuntimeError)."


def test_secrets_are_masked_in_messages() -> None:
    SecretRedactor.remember("AIzaSySECRET-123456789")
    message = readable(CredentialsError("key AIzaSySECRET-123456789 was refused"))
    assert "SECRET-123456789" not in message and "AIza…6789" in message


def test_unexpected_errors_are_logged_with_traceback_and_shown_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_file = configure_logging(tmp_path)
    shown: list[str] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    install_excepthook(shown.append)
    try:
        raise ZeroDivisionError("division by zero in a slot")
    except ZeroDivisionError:
        sys.excepthook(*sys.exc_info())
    report(CharacterError("There is already a character named 'Floof'."), shown.append)

    assert shown == [
        "division by zero in a slot",
        "There is already a character named 'Floof'.",
    ]
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "baseFilename", None) == str(log_file):
            logging.getLogger().removeHandler(handler)
            handler.close()
    text = log_file.read_text()
    assert "Traceback" in text and "ZeroDivisionError" in text
    assert "There is already a character named 'Floof'." in text


def test_the_status_bar_names_the_engine_once_the_keyring_has_answered(
    qtbot: QtBot, window: MainWindow, memory_keyring: MemoryKeyring
) -> None:
    """On the automatic choice the engine is Google once a key is stored; the keyring is read
    off the GUI thread."""
    qtbot.waitUntil(lambda: window.engine_label.text().strip() == "offline engine")
    window.ctx.settings.engine = EngineChoice.AUTO
    memory_keyring.set_password(SERVICE, SecretName.GOOGLE_API_KEY.value, "AIzaSyStatusBar-0123")
    window._settings_saved()
    qtbot.waitUntil(lambda: window.engine_label.text().strip() == "Google engine")
    assert window.engine_name == "Google"
