"""A MongoDB-compatible server on a free loopback port, for tests and credential-free demos.

It runs SecantusDB's Python server (`pip install secantusdb`, a dev dependency: MongoDB's wire
protocol over WiredTiger, the storage engine mongod uses) in a child process, so pymongo talks
to it over real TCP exactly as it talks to mongod or Atlas. A child process rather than an
in-process thread: SecantusDB is GPL-2.0 and stays a separate program the tests talk to, never
code linked into the app, and a crash in its C storage engine cannot take pytest down with it.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

_LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+)")
START_TIMEOUT = 30.0


class MongoServerUnavailableError(RuntimeError):
    """SecantusDB is not installed (it comes with the `dev` extra) or did not start."""


def available() -> bool:
    return importlib.util.find_spec("secantus") is not None


class MongoTestServer:
    """`with MongoTestServer() as server:` serves an in-memory database at `server.uri`
    (`mongodb://127.0.0.1:PORT`) until the block ends; `database_uri(name)` names a database."""

    def __init__(self) -> None:
        if not available():
            raise MongoServerUnavailableError(
                "The MongoDB test server needs SecantusDB: pip install -e '.[dev]'"
            )
        self._dir = tempfile.TemporaryDirectory(prefix="avpe-mongo-")
        self.log_path = Path(self._dir.name) / "server.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"

    def database_uri(self, database: str) -> str:
        return f"{self.uri}/{database}"

    def start(self) -> Self:
        # An empty config file stops the server from picking up a secantusd.toml from the
        # working directory or the home folder.
        config = Path(self._dir.name) / "secantusd.toml"
        config.write_text("", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "secantus",
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            "0",  # the OS picks a free port; the server logs which
            "--storage-path",
            ":memory:",
            "--log-level",
            "INFO",
        ]
        with self.log_path.open("wb") as log:  # a file, so a full pipe can never block it
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port()
        return self

    def _wait_for_port(self) -> int:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        text = ""
        while time.monotonic() < deadline:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
            if match := _LISTENING.search(text):
                return int(match.group(1))
            if self._process.poll() is not None:
                break
            time.sleep(0.02)
        self.stop()
        raise MongoServerUnavailableError(
            f"The MongoDB test server did not start; its log says:\n{text[-2000:]}"
        )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        self._dir.cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
