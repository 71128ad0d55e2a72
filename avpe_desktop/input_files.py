"""Reading a file a creator named (an image to import, a script to render), with every way it
can go wrong put in words: a folder, a missing file, no permission, an empty file, too big;
and the same words for any failed read or write (a full disk) a render or a command meets.

The operating system's own messages ("[Errno 21] Is a directory") name neither the file's role
nor what to do, so each case gets its own sentence here, once, for the CLI and the dialogs.
"""

from __future__ import annotations

import errno
from pathlib import Path


class InputFileError(ValueError):
    """A file the creator chose cannot be used; the message says why in plain words."""


def read_input_file(
    path: str | Path,
    what: str,
    max_bytes: int,
    error: type[InputFileError] = InputFileError,
    hint: str = "",
) -> bytes:
    """The file's bytes, or `error` naming the problem. `what` is the file's role with its
    article ("an image", "a script file"), as it reads in "'x' is a folder, not an image";
    `hint`, when given, ends every refusal (what such a file is, where it comes from)."""
    path = Path(path)
    name = path.name or str(path)
    try:
        if path.is_dir():
            problem = f"'{name}' is a folder, not {what}. Choose a file inside it."
        elif (size := path.stat().st_size) > max_bytes:
            problem = (
                f"'{name}' is {size / 1_048_576:.0f} MB, too big for {what}; files up to "
                f"{max_bytes // 1_048_576} MB are accepted."
            )
        elif not (data := path.read_bytes()):
            problem = f"'{name}' is empty (0 bytes), so it is not {what}."
        else:
            return data
    except OSError as exc:
        raise error(f"{describe_os_error(exc, name)} {hint}".rstrip()) from exc
    raise error(f"{problem} {hint}".rstrip())


def describe_os_error(exc: OSError, name: str | None = None) -> str:
    """One sentence for a failed read or write of the file `name` (by default the one the
    error names), without the errno."""
    if name is None:
        name = Path(exc.filename).name if exc.filename else ""
    label = f"'{name}'" if name else "A file"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "The disk is full: free some space, then try again."
    if isinstance(exc, FileNotFoundError):
        return f"{label} does not exist. Check the file's name and folder."
    if isinstance(exc, PermissionError):
        return f"{label} cannot be opened: you do not have permission to use it."
    if isinstance(exc, IsADirectoryError):
        return f"{label} is a folder, not a file."
    if exc.errno == errno.ENAMETOOLONG:
        return f"'{name[:40]}…' has a name too long for this system."
    reason = (exc.strerror or "it could not be used").rstrip(".").lower()
    return f"{label} cannot be read or written ({reason})."
