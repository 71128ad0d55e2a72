"""Finding and running ffmpeg, with failures that say what ffmpeg itself said.

The app ships imageio-ffmpeg's static binary so a fresh install works with nothing else on the
machine; `AVPE_FFMPEG` points at another build (a system ffmpeg with hardware encoders, or a
newer one) without touching the code. The binary comes without ffprobe, so probing is done by
ffmpeg too (see `probe.py`).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

FFMPEG_ENV = "AVPE_FFMPEG"
_STDERR_TAIL_CHARS = 2000

# A console window would flash up for every ffmpeg call in the frozen Windows GUI app.
_POPEN_FLAGS: dict[str, Any] = {}
if sys.platform == "win32":
    _POPEN_FLAGS["creationflags"] = subprocess.CREATE_NO_WINDOW


class MediaError(Exception):
    """A media file is missing, unreadable or could not be produced; `str()` names the file."""


class FFmpegError(MediaError):
    """ffmpeg exited with an error. `stderr_tail` keeps its last words, which say why (a
    missing codec, a corrupt input, a full disk) far better than an exit status does."""

    def __init__(self, message: str, returncode: int | None = None, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n{self.stderr_tail}" if self.stderr_tail else base

    def __reduce__(self) -> tuple[Any, ...]:
        # Renders run in worker processes; the error must cross back with its details intact.
        return (type(self), (self.args[0], self.returncode, self.stderr_tail))


def ffmpeg_exe() -> str:
    """The ffmpeg to run: `AVPE_FFMPEG` when set, else the bundled binary."""
    override = os.environ.get(FFMPEG_ENV)
    if override:
        if not Path(override).is_file():
            raise MediaError(f"{FFMPEG_ENV} points at {override!r}, which is not a file")
        return override
    import imageio_ffmpeg

    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise MediaError(f"no ffmpeg binary found ({exc}); set {FFMPEG_ENV}") from exc


def _command(args: Sequence[str | os.PathLike[str]], loglevel: str) -> list[str]:
    return [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        loglevel,
        *(os.fspath(a) for a in args),
    ]


def _tail(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text.strip()[-_STDERR_TAIL_CHARS:]


def run_ffmpeg(
    args: Sequence[str | os.PathLike[str]],
    *,
    what: str = "ffmpeg",
    loglevel: str = "error",
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Runs ffmpeg to completion; stdout and stderr are returned. `what` names the job in the
    error message ("merging 3 clips"), because the command line alone rarely tells a user."""
    try:
        result = subprocess.run(
            _command(args, loglevel),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            **_POPEN_FLAGS,
        )
    except subprocess.TimeoutExpired as exc:
        raise FFmpegError(
            f"{what}: ffmpeg timed out after {timeout} s", None, _tail(exc.stderr or b"")
        ) from exc
    except OSError as exc:
        raise FFmpegError(f"{what}: could not start ffmpeg ({exc})") from exc
    if result.returncode != 0:
        raise FFmpegError(
            f"{what}: ffmpeg failed (exit {result.returncode})",
            result.returncode,
            _tail(result.stderr),
        )
    return result


@contextlib.contextmanager
def open_ffmpeg(
    args: Sequence[str | os.PathLike[str]],
    *,
    what: str = "ffmpeg",
    stdin: bool = False,
    stdout: bool = False,
    loglevel: str = "error",
) -> Iterator[subprocess.Popen[bytes]]:
    """A running ffmpeg to stream frames into (`stdin`) or out of (`stdout`).

    stderr goes to a temporary file rather than a pipe: nobody reads a pipe while frames are
    being streamed, and a full stderr pipe would stall ffmpeg and deadlock the writer. When the
    block ends normally the process is waited for and a non-zero exit raises FFmpegError; when
    it ends with an exception (including a consumer that stopped reading early) ffmpeg is
    killed, since its output is no longer wanted.
    """
    with tempfile.TemporaryFile() as errfile:
        try:
            proc = subprocess.Popen(
                _command(args, loglevel),
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
                stderr=errfile,
                **_POPEN_FLAGS,
            )
        except OSError as exc:
            raise FFmpegError(f"{what}: could not start ffmpeg ({exc})") from exc
        try:
            yield proc
        except BrokenPipeError as exc:
            # ffmpeg died while we were feeding it; its stderr says why, the pipe error doesn't.
            returncode = _wait_or_kill(proc)
            errfile.seek(0)
            raise FFmpegError(
                f"{what}: ffmpeg stopped reading its input (exit {returncode})",
                returncode,
                _tail(errfile.read()),
            ) from exc
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            _close(proc.stdin)
            _close(proc.stdout)
        returncode = proc.wait()
        if returncode != 0:
            errfile.seek(0)
            raise FFmpegError(
                f"{what}: ffmpeg failed (exit {returncode})", returncode, _tail(errfile.read())
            )


def _wait_or_kill(proc: subprocess.Popen[bytes], grace: float = 5.0) -> int:
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def _close(stream: IO[bytes] | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError):
            stream.close()
