"""The plumbing the loopback emulators share, so each holds only its own routes and behaviour.

`LoopbackServer` is a threaded HTTP server on 127.0.0.1 that runs in the background for a
`with` block and keeps the request log; `LoopbackHandler` reads bodies, sends answers and drops
connections the way a failing network does.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar, cast

LOOPBACK = ("127.0.0.1", "localhost")

Entry = TypeVar("Entry")


class LoopbackHandler(BaseHTTPRequestHandler):
    """Keep-alive, as the real services are: the SDKs reuse their connections, and a test of a
    dropped or abandoned request must see it happen on one."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator's request log is the record, and stdlib's stderr chatter would
        only clutter test output."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        raise NotImplementedError

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _drop(self) -> None:
        """Close the socket without answering, like a proxy or network that gives up."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _reply(
        self,
        status: int,
        data: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (its timeout); so do we


class LoopbackServer(Generic[Entry]):
    """`with emulator:` serves on loopback in a background thread until the block ends. Only
    loopback addresses are accepted: an emulator has no authentication worth the name.
    `handler` answers the requests and reaches this object as its `emulator` attribute."""

    def __init__(self, handler: type[LoopbackHandler], host: str, port: int, name: str) -> None:
        if host not in LOOPBACK:
            raise ValueError("The emulator only listens on loopback addresses.")
        self._name = name
        self._lock = threading.Lock()
        self._log: list[Entry] = []
        bound = type(handler.__name__, (handler,), {"emulator": self})
        self._server = ThreadingHTTPServer((host, port), bound)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        address = self._server.server_address
        # typeshed allows a bytes host for any socket family; an AF_INET server's is a str.
        host, port = cast("tuple[str, int]", address[:2])
        return f"http://{host}:{port}"

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits for the loop to notice
            name=self._name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, entry: Entry) -> int:
        """Log a request; the index lets the handler fill in the answer once it is sent."""
        with self._lock:
            self._log.append(entry)
            return len(self._log) - 1

    def _logged(self) -> list[Entry]:
        with self._lock:
            return list(self._log)
