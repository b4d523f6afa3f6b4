"""Real servers for end-to-end tests: uvicorn on 127.0.0.1 ports, each in its own thread.

``reserve()`` binds a socket first, so the port (and so the entity ID) is known before the app
is built; ``running(app, sock)`` serves the app on that socket until the block ends.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI

__all__ = ["reserve", "running"]


def reserve() -> socket.socket:
    """A listening-ready socket bound to a free 127.0.0.1 port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://127.0.0.1:PORT`` of a reserved socket."""
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@contextmanager
def running(app: FastAPI, sock: socket.socket, health_path: str = "/healthz") -> Iterator[str]:
    """Serve ``app`` on ``sock`` in a thread; yields the base URL once ``health_path`` answers."""
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = base_url(sock)
    deadline = time.monotonic() + 10
    while True:
        try:
            if httpx.get(url + health_path, timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"server on {url} did not become healthy")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
