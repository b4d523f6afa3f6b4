"""A real loopback HTTP server for tests and benchmarks, on the standard library only.

``with serve(routes) as server:`` listens on 127.0.0.1 (an ephemeral port) in a background thread;
``server.base_url`` is e.g. ``http://127.0.0.1:54321``. ``routes`` is either a mutable mapping from a
path to a :class:`Response` (or to a handler computing one), or a single handler for every path; a
handler is called as ``handler(method, path, query, body)``. ``server.routes`` (always a mapping, used
as is, so changes show at once) and ``server.fallback`` (the handler for paths not in ``routes``) may
be changed while the server runs. Otherwise unknown paths answer 404 ``{"error": "not_found", ...}``. Responses can be delayed, dripped, streamed
without Content-Length, repeated to any size, and every request is recorded in ``server.requests``
with the number of body bytes the server managed to write.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

__all__ = ["Handler", "LoopbackServer", "RecordedRequest", "Response", "RouteTable", "Routes", "serve"]


@dataclass(frozen=True)
class Response:
    """What the server answers. ``body`` is sent ``repeat`` times, in ``chunk_size`` pieces."""

    status: int
    body: bytes
    content_type: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: Pause before each body chunk (a slow drip).
    delay_per_chunk: float = 0.0
    chunk_size: int = 64 * 1024
    #: Pause before the status line (a server that does not answer).
    delay_before: float = 0.0
    #: Send the body this many times: huge bodies without holding them in memory.
    repeat: int = 1
    #: Send a Content-Length (unless ``headers`` has one); if false the body ends when the connection closes.
    content_length: bool = True

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Response:
        """A JSON document."""
        return cls(status, json.dumps(value).encode(), "application/json")

    @classmethod
    def error(cls, status: int, error: str, description: str) -> Response:
        """A federation JSON error body (OpenID Federation 1.0 §8.9)."""
        return cls.json({"error": error, "error_description": description}, status=status)


Handler: TypeAlias = Callable[[str, str, dict[str, list[str]], bytes], Response]
RouteTable: TypeAlias = MutableMapping[str, Response | Handler]
Routes: TypeAlias = RouteTable | Handler


@dataclass
class RecordedRequest:
    """A request the server received, and how many body bytes it wrote back before it stopped."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    #: Header names in lower case.
    headers: dict[str, str]
    bytes_written: int = 0
    #: Set once the server has finished answering (or given up on) this request.
    done: threading.Event = field(default_factory=threading.Event)


class LoopbackServer:
    """A running loopback server; see the module docstring. Prefer :func:`serve`."""

    def __init__(self, routes: Routes) -> None:
        self.routes: RouteTable = routes if isinstance(routes, MutableMapping) else {}
        self.fallback: Handler | None = None if isinstance(routes, MutableMapping) else routes
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._httpd = _Server(("127.0.0.1", 0), _RequestHandler, self)
        self.port: int = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="loopback-http",
            daemon=True,
        )
        self._started = False

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def requested(self, path: str) -> list[RecordedRequest]:
        """The recorded requests for ``path``."""
        with self._lock:
            return [request for request in self.requests if request.path == path]

    def start(self) -> None:
        self._thread.start()
        self._started = True

    def close(self) -> None:
        """Stop serving, cut open connections (idle keep-alives, slow drips) and wait for the handlers."""
        self._closing.set()
        if self._started:
            self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
            threads = list(self._handler_threads)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        for thread in threads:
            thread.join(timeout=2.0)
        if self._started:
            self._thread.join(timeout=2.0)

    def __enter__(self) -> LoopbackServer:
        if not self._started:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Used by the request handler threads.

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            self._handler_threads.add(threading.current_thread())

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)
            self._handler_threads.discard(threading.current_thread())

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _pause(self, seconds: float) -> bool:
        """Sleep, waking early at shutdown; true if the server is closing."""
        return self._closing.wait(seconds) if seconds > 0 else self._closing.is_set()

    def _respond(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        route = self.routes.get(path, self.fallback)
        if route is None:
            return Response.error(404, "not_found", f"nothing is served at {path}")
        if isinstance(route, Response):
            return route
        return route(method, path, query, body)


@contextlib.contextmanager
def serve(routes: Routes) -> Iterator[LoopbackServer]:
    """Run a loopback server for the duration of the ``with`` block."""
    server = LoopbackServer(routes)
    server.start()
    try:
        yield server
    finally:
        server.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # server_close() would join handler threads without a time limit; LoopbackServer.close() joins them.
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[_RequestHandler], owner: LoopbackServer
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Peers hanging up are normal here (the fetcher aborts on purpose); anything else is reported."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 30.0  # an idle keep-alive connection is dropped after this; close() cuts it sooner
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no request logging."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        target = urlsplit(self.path)
        query = parse_qs(target.query, keep_blank_values=True)
        headers = {name.lower(): value for name, value in self.headers.items()}
        record = RecordedRequest(self.command, target.path, query, body, headers)
        owner._record(record)
        try:
            response = owner._respond(self.command, target.path, query, body)
            self._send(response, record)
        except OSError:  # the client hung up (broken pipe, reset) or the server is closing
            self.close_connection = True
        finally:
            record.done.set()

    def _send(self, response: Response, record: RecordedRequest) -> None:
        owner = self.server.owner
        if owner._pause(response.delay_before):
            self.close_connection = True
            return
        self.send_response(response.status)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        given = {name.lower() for name in response.headers}
        if not response.content_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        elif "content-length" not in given:
            self.send_header("Content-Length", str(len(response.body) * response.repeat))
        self.end_headers()
        if self.command == "HEAD":
            return
        step = max(1, response.chunk_size)
        for _ in range(response.repeat):
            for start in range(0, len(response.body), step):
                if owner._pause(response.delay_per_chunk):
                    self.close_connection = True
                    return
                chunk = response.body[start : start + step]
                self.wfile.write(chunk)
                record.bytes_written += len(chunk)
