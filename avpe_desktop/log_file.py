"""The log file the desktop app and the CLI share: tracebacks and the renderer's fallbacks are
written here with secrets masked, so a bug report has what a developer needs while a creator
reads only words."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from avpe_desktop.secrets import SecretRedactor

LOG_FILE_NAME = "avpe-desktop.log"


class _LogFile(RotatingFileHandler):
    """The handler this module adds, told apart from any other the root logger has."""


def configure_logging(logs_dir: Path) -> Path:
    """Adds the rotating log file to the root logger, at INFO."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / LOG_FILE_NAME
    handler = _LogFile(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    install_handler(handler)
    logging.getLogger().setLevel(logging.INFO)
    return path


def install_handler(handler: logging.Handler) -> None:
    """On the root logger, with secrets masked, in place of an earlier one of its kind: the
    CLI's `main` runs many times in one process (tests, scripts), each time configuring."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if type(h) is type(handler)]:
        root.removeHandler(old)
        old.close()
    handler.addFilter(SecretRedactor())
    root.addHandler(handler)
