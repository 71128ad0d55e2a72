"""Reading a script file (the seed's `{"content": {...}}` JSON that `avpe write` makes).

A creator points at the wrong file often enough (notes, a video, a settings file): each kind
of wrong file is named as such instead of surfacing a codec or parser error.
"""

from __future__ import annotations

import json
from pathlib import Path

from avpe_desktop.domain import Content
from avpe_desktop.input_files import InputFileError, read_input_file

MAX_SCRIPT_BYTES = 16 * 1024 * 1024
"""Far above any script (20 segments are a few kilobytes); stops a video read as text."""

WHAT_A_SCRIPT_IS = "A script is the JSON file `avpe write` makes."


class ScriptFileError(InputFileError):
    """The file is not a script; the message says what it is instead."""


def read_script_file(path: str | Path) -> Content:
    """The script in the file. A script whose fields are wrong raises pydantic's
    ValidationError, whose field-by-field account the CLI and the banner already show."""
    path = Path(path)
    name = path.name
    data = read_input_file(
        path, "a script file", MAX_SCRIPT_BYTES, ScriptFileError, WHAT_A_SCRIPT_IS
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScriptFileError(
            f"'{name}' is not a script file: it is not text. {WHAT_A_SCRIPT_IS}"
        ) from exc
    if not text.strip():
        raise ScriptFileError(f"'{name}' holds only blank space, not a script. {WHAT_A_SCRIPT_IS}")
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScriptFileError(
            f"'{name}' is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            + WHAT_A_SCRIPT_IS
        ) from exc
    inner = parsed.get("content", parsed) if isinstance(parsed, dict) else None
    if not isinstance(inner, dict) or "segments" not in inner:
        raise ScriptFileError(
            f"'{name}' is JSON but not a script: it has no list of segments. {WHAT_A_SCRIPT_IS}"
        )
    return Content.from_seed(parsed)
