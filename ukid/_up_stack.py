"""The local federation as five processes: :class:`Federation` starts the trust anchor, the health
intermediate, the identity provider, the council and the GP practice (``python -m ukid ... serve
--dev``, each its own process, its output in ``DATA_DIR/logs/<service>.log``), waits for their
``/healthz``, onboards them (:mod:`ukid._up_onboard`) and waits until they publish their trust marks.

Used by ``ukid up``, the benchmarks and the browser tests::

    with Federation(Path(".ukid"), Ports(anchor=9000, ...)) as federation:
        federation.url("council")

``stop()`` asks each service to stop (SIGTERM: uvicorn finishes its requests), then kills what is
left after :data:`STOP_SECONDS`. Started from the main thread, each service also stops when this
process dies, even by SIGKILL (:mod:`ukid._up_child`, Linux). The children inherit no
``UKID_REGISTRY_*``, ``UKID_IDP_*`` or ``UKID_RP_*`` variable from the caller's environment (one
service's settings would reach the other of its kind); ``env`` adds variables to every service.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from ukid._up_data import DataDir, UpError
from ukid._up_onboard import Onboarding
from ukid._up_services import SERVICES, Ports, Service, command, entity_ids

__all__ = ["STOP_SECONDS", "Federation", "Running", "check_ports"]

#: Seconds each service has to stop after SIGTERM before it is killed.
STOP_SECONDS = 10.0
_SERVICE_PREFIXES = ("UKID_REGISTRY_", "UKID_IDP_", "UKID_RP_")


def check_ports(ports: Ports, host: str = "127.0.0.1") -> None:
    """:class:`UpError` naming the first port that is taken (or given to two services)."""
    seen: dict[int, Service] = {}
    for service in SERVICES:
        port = ports.of(service.key)
        if port in seen:
            raise UpError(
                f"{seen[port].option} and {service.option} are both {port}: give each service its own port"
            )
        seen[port] = service
    for service in SERVICES:
        port = ports.of(service.key)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    message = f"port {port} ({service.title}) is already in use"
                    raise UpError(f"{message}: stop what uses it or pass {service.option}") from None
                raise UpError(
                    f"cannot listen on port {port} ({service.title}): {exc.strerror or exc}"
                ) from None


@dataclass
class Running:
    """A service's process."""

    service: Service
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes] = field(repr=False)
    offset: int = 0  #: where this run's output starts in the log

    def failure(self) -> str:
        """Why it exited, from the ``Error:`` lines it logged (else its last line)."""
        try:
            with self.log.open("rb") as log:
                log.seek(self.offset)
                lines = log.read().decode("utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
        errors = [line.removeprefix("Error: ") for line in lines if line.startswith("Error: ")]
        reason = errors[-1] if errors else (lines[-1].strip() if lines else "no output")
        return (
            f"the {self.service.title} exited (status {self.process.returncode}): {reason} (log: {self.log})"
        )


class Federation:
    """The federation's five services under ``data_dir``, on ``ports``, as a context manager."""

    def __init__(
        self,
        data_dir: Path,
        ports: Ports | None = None,
        *,
        env: Mapping[str, str] | None = None,
        reset: bool = False,
        timeout: float = 60.0,
        say: Callable[[str], None] = lambda _line: None,
    ) -> None:
        self.data = DataDir(data_dir)
        self.ports = ports or Ports()
        self.env = dict(env or {})
        self.reset = reset
        self.timeout = timeout
        self.say = say
        self.running: list[Running] = []
        #: Seconds from :meth:`start` to healthy, and to every trust mark published.
        self.healthy_after: float | None = None
        self.ready_after: float | None = None

    # -- what runs where -----------------------------------------------------------------------------
    @property
    def entity_ids(self) -> dict[str, str]:
        """The entity ID (also the base URL) of each service, by key."""
        return entity_ids(self.ports)

    def url(self, key: str) -> str:
        """The base URL of the service ``key`` (``anchor``, ``health``, ``idp``, ``council``, ``gp``)."""
        return self.entity_ids[key]

    def log_file(self, key: str) -> Path:
        """The log file of the service ``key``."""
        return self.data.log_file(next(s for s in SERVICES if s.key == key))

    @property
    def pids(self) -> dict[str, int]:
        """The process ID of each running service."""
        return {r.service.key: r.process.pid for r in self.running}

    # -- life cycle ----------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Check, start, onboard and wait; :class:`UpError` (everything stopped) when that fails."""
        began = time.monotonic()
        deadline = began + self.timeout
        ids = self.entity_ids
        check_ports(self.ports)
        if self.reset:
            for path in self.data.reset():
                self.say(f"deleted {path}")
        self.data.check(ids, {s.key: s.option for s in SERVICES})
        self.data.prepare(ids)
        try:
            for service in SERVICES:
                self.running.append(self._spawn(service))
            self._wait_healthy(deadline)
            self.healthy_after = time.monotonic() - began
            with httpx.Client(timeout=30.0) as client:
                onboarding = Onboarding(ids, client, say=self.say)
                onboarding.run()
                self.data.mark_onboarded()
                onboarding.wait_for_marks(deadline)
            self.ready_after = time.monotonic() - began
        except BaseException:
            self.stop()
            raise

    def _environment(self, extra: Mapping[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(_SERVICE_PREFIXES)}
        env.update(PYTHONUNBUFFERED="1", **extra, **self.env)
        return env

    def _spawn(self, service: Service) -> Running:
        args, extra = command(service, self.ports, self.data.path)
        log = self.data.log_file(service)
        handle = log.open("ab")
        offset = handle.tell()
        handle.write(f"--- ukid up: {' '.join(args[1:])} ({time.strftime('%Y-%m-%d %H:%M:%S')})\n".encode())
        handle.flush()
        if threading.current_thread() is threading.main_thread():
            # stop with this process even when it is killed (a thread's end would stop it too)
            args = [args[0], "-m", "ukid._up_child", str(os.getpid()), *args[3:]]
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=self._environment(extra),
        )
        return Running(service, process, log, handle, offset)

    def _wait_healthy(self, deadline: float) -> None:
        waiting = list(self.running)
        with httpx.Client(timeout=2.0) as client:
            while waiting:
                for running in list(waiting):
                    if running.process.poll() is not None:
                        raise UpError(running.failure())
                    try:
                        url = running.service.url(self.ports) + "/healthz"
                        if client.get(url).status_code == 200:
                            waiting.remove(running)
                    except httpx.TransportError:
                        pass
                if not waiting:
                    return
                if time.monotonic() >= deadline:
                    names = ", ".join(r.service.title for r in waiting)
                    raise UpError(
                        f"not healthy after {self.timeout:.0f} s: {names} (logs in {self.data.logs})"
                    )
                time.sleep(0.1)

    def exited(self) -> Running | None:
        """A service that has exited, if any (for watching the federation while it runs)."""
        return next((r for r in self.running if r.process.poll() is not None), None)

    def stop(self) -> None:
        """Stop every service: SIGTERM, then SIGKILL after :data:`STOP_SECONDS`; idempotent."""
        for running in self.running:
            if running.process.poll() is None:
                running.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for running in self.running:
            try:
                running.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait()
            running.handle.close()
        self.running = []
