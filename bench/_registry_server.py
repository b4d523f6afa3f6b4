"""Servers for :mod:`bench.registry`: the registry and a bare FastAPI baseline, each as one uvicorn
worker in a subprocess on 127.0.0.1, so that the process's memory can be read from ``/proc``.

``registry_app`` and ``bare_app`` are uvicorn ``--factory`` targets: nothing is built at import time.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from fastapi import FastAPI
from fastapi.responses import Response

from federation.http import ENTITY_STATEMENT_MEDIA_TYPE
from trust_registry.app import create_app
from trust_registry.settings import RegistrySettings

__all__ = ["BARE_BODY", "Memory", "ServerProcess", "bare_app", "free_port", "registry_app"]

ROOT = Path(__file__).resolve().parent.parent
#: The bare endpoint's constant body: shaped like a compact JWS, 500 bytes.
BARE_BODY = (b"eyJhbGciOiJFUzI1NiIsInR5cCI6ImVudGl0eS1zdGF0ZW1lbnQrand0In0." + b"A" * 500)[:413] + (
    b"." + b"S" * 86
)
BARE_PATH = "/bare/fetch"


def registry_app() -> FastAPI:
    """The registry, configured by the ``UKID_REGISTRY_*`` environment variables."""
    return create_app(RegistrySettings())


def bare_app() -> FastAPI:
    """The baseline: one FastAPI route answering a constant ``entity-statement+jwt`` body."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get(BARE_PATH)
    async def bare() -> Response:
        return Response(content=BARE_BODY, media_type=ENTITY_STATEMENT_MEDIA_TYPE)

    return app


def free_port(*, stable: bool = False) -> int:
    """A TCP port on 127.0.0.1 that is free now. A ``stable`` one is taken below Linux's ephemeral
    range (32768-60999), so that no outgoing connection takes it while its server restarts."""
    for _ in range(100 if stable else 0):
        candidate = random.randrange(20_000, 32_000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Memory:
    """Resident set size now and at its peak (``VmRSS`` / ``VmHWM``), in MiB."""

    rss_mib: float
    peak_mib: float


@dataclass
class ServerProcess:
    """``python -m uvicorn <factory> --factory`` on ``port``, one worker, pinned to ``cpu``."""

    factory: str
    port: int
    env: dict[str, str]
    log: Path
    health_path: str
    cpu: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the server and wait until ``health_path`` answers 200."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("UKID_REGISTRY_")}
        environment |= self.env
        command = [sys.executable, "-m", "uvicorn", self.factory, "--factory", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
        if self.cpu is not None:
            os.sched_setaffinity(self.process.pid, {self.cpu})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.factory} exited ({self.process.returncode}):\n{self.log_tail()}")
            if self._healthy():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.factory} did not answer within {timeout:g} s:\n{self.log_tail()}")

    def _healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2.0)
        try:
            connection.request("GET", self.health_path)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's output."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def memory(self) -> Memory:
        """The process's memory from ``/proc/<pid>/status``."""
        assert self.process is not None
        values: dict[str, float] = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) / 1024
        return Memory(values["VmRSS"], values["VmHWM"])

    def stop(self) -> None:
        """Stop gracefully (SIGINT, as Ctrl-C), or kill after 10 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> ServerProcess:
        return self if self.process is not None else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
