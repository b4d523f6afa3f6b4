"""The benchmarks' load generator: HTTP/1.1 requests (GET, and POST with a form body and headers)
over a few keep-alive connections.

Plain asyncio streams rather than an HTTP client library, so that the client costs little next to
the server it measures (the machine has two cores, one for the server and one for this). It speaks
just enough HTTP/1.1 for the servers measured: ``Content-Length`` or chunked bodies, no redirects
followed, no cookies kept (a caller that needs them reads ``Set-Cookie`` from :class:`Response`).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

__all__ = [
    "Connection",
    "HttpError",
    "LoadFigures",
    "Response",
    "chains",
    "encode",
    "get_many",
    "on_connections",
    "one_get",
    "send_many",
]

State = TypeVar("State")
Result = TypeVar("Result")


@dataclass(frozen=True)
class LoadFigures:
    """Latencies (µs) of requests made over ``concurrency`` connections in ``seconds`` of wall time."""

    latencies_us: list[float]
    seconds: float
    concurrency: int
    body_bytes: int

    @property
    def per_s(self) -> float:
        """Completed requests per second of wall time."""
        return len(self.latencies_us) / self.seconds

    def quantile_ms(self, percent: int) -> float:
        """The ``percent``-th percentile latency, in milliseconds."""
        if len(self.latencies_us) == 1:
            return self.latencies_us[0] / 1000
        return statistics.quantiles(self.latencies_us, n=100, method="inclusive")[percent - 1] / 1000

    @property
    def p50_ms(self) -> float:
        return self.quantile_ms(50)

    @property
    def p95_ms(self) -> float:
        return self.quantile_ms(95)

    @property
    def p99_ms(self) -> float:
        return self.quantile_ms(99)


class HttpError(RuntimeError):
    """A response other than the one expected (or one this client cannot read)."""


@dataclass(frozen=True)
class Response:
    """A response: status, headers (names in lower case, in order) and the whole body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower case), if any."""
        return next((value for key, value in self.headers if key == name), None)

    def all(self, name: str) -> list[str]:
        """Every value of header ``name`` (lower case), e.g. each ``set-cookie``."""
        return [value for key, value in self.headers if key == name]

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    def expect(self, status: int) -> Response:
        """This response if its status is ``status``; else :class:`HttpError` with the body's start."""
        if self.status != status:
            text = self.body[:300].decode(errors="replace")
            raise HttpError(f"expected {status}, got {self.status}: {text}")
        return self


def encode(
    method: str,
    path: str,
    *,
    host: str = "127.0.0.1",
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    form: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> bytes:
    """One request's bytes for ``host`` (``Host``: name and port); ``form`` becomes an
    ``application/x-www-form-urlencoded`` body."""
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    if form is not None:
        body = urlencode(form).encode()
        pairs.append(("Content-Type", "application/x-www-form-urlencoded"))
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Accept: */*"]
    lines += [f"{name}: {value}" for name, value in pairs]
    if body or method not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _read_response(reader: asyncio.StreamReader, *, head_only: bool = False) -> Response:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    status = int(status_line[9:12])
    headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    response = Response(status, tuple(headers), b"")
    if head_only or status in (204, 304) or 100 <= status < 200:
        return response
    length = response.header("content-length")
    if length is not None:
        body = await reader.readexactly(int(length))
    elif (response.header("transfer-encoding") or "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        raise HttpError(f"no Content-Length nor chunked body in {head[:200]!r}")
    return Response(status, response.headers, body)


class Connection:
    """One keep-alive connection to ``127.0.0.1:port``; requests are sent one after the other."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader = reader
        self.writer = writer
        self.host = f"127.0.0.1:{port}"

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        return cls(reader, writer, port)

    async def send(self, request: bytes) -> Response:
        """Send the request's bytes (from :func:`encode`) and read the whole response."""
        self.writer.write(request)
        return await _read_response(self.reader, head_only=request.startswith(b"HEAD "))

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        form: Mapping[str, str] | None = None,
    ) -> Response:
        """Encode and send one request."""
        return await self.send(encode(method, path, host=self.host, headers=headers, form=form))

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def on_connections(
    port: int, count: int, job: Callable[[Connection, int], Awaitable[Result]]
) -> list[Result]:
    """Run ``job(connection, index)`` on ``count`` connections at once; the jobs' results in order."""
    connections = [await Connection.open(port) for _ in range(count)]
    try:
        return list(await asyncio.gather(*(job(c, i) for i, c in enumerate(connections))))
    finally:
        for connection in connections:
            await connection.close()


@dataclass
class _Tally:
    """What a run records: each request's latency (µs) and body size, the expected status."""

    expect: int
    latencies: list[float]
    sizes: list[int]

    async def drain(self, connection: Connection, requests: Iterator[bytes]) -> None:
        clock = time.perf_counter_ns
        for request in requests:
            start = clock()
            response = await connection.send(request)
            self.latencies.append((clock() - start) / 1000)
            response.expect(self.expect)
            self.sizes.append(len(response.body))

    async def send_all(self, port: int, requests: Sequence[bytes], concurrency: int) -> None:
        shared = iter(requests)

        async def job(connection: Connection, _index: int) -> None:
            await self.drain(connection, shared)

        await on_connections(port, min(concurrency, len(requests)), job)


async def send_many(
    port: int, requests: Sequence[bytes], *, concurrency: int, warmup: int = 0, expect: int = 200
) -> LoadFigures:
    """Send every request once (bytes from :func:`encode`), over ``concurrency`` keep-alive
    connections sharing one queue; the first ``warmup`` are sent first, untimed. A response
    with another status than ``expect`` stops the run with :class:`HttpError`."""
    if warmup:
        await _Tally(expect, [], []).send_all(port, requests[:warmup], concurrency)
    tally = _Tally(expect, [], [])
    started = time.perf_counter()
    await tally.send_all(port, requests[warmup:], concurrency)
    seconds = time.perf_counter() - started
    return LoadFigures(tally.latencies, seconds, concurrency, round(statistics.mean(tally.sizes)))


async def get_many(port: int, paths: Sequence[str], *, concurrency: int, warmup: int = 0) -> LoadFigures:
    """GET every path once, over ``concurrency`` keep-alive connections sharing one queue; the first
    ``warmup`` paths are requested first, untimed."""
    requests = [encode("GET", p, host=f"127.0.0.1:{port}") for p in paths]
    return await send_many(port, requests, concurrency=concurrency, warmup=warmup)


async def chains(
    port: int,
    states: Sequence[State],
    request: Callable[[State], bytes],
    advance: Callable[[State, Response], State],
    *,
    length: int,
    warmup: int = 0,
    on_start: Callable[[], object] | None = None,
) -> tuple[LoadFigures, list[State]]:
    """Dependent requests: one connection per initial state, each sending ``warmup`` (untimed) then
    ``length`` (timed) requests, where ``request(state)`` makes the next request and
    ``advance(state, response)`` the next state (e.g. a rotated refresh token). ``on_start`` is
    called when every chain has warmed up and the timing starts. Returns the timed figures and each
    chain's final state."""
    latencies: list[float] = []
    sizes: list[int] = []
    clock = time.perf_counter_ns
    ready, go = asyncio.Barrier(len(states) + 1), asyncio.Event()

    async def job(connection: Connection, index: int) -> State:
        state = states[index]
        try:
            for _ in range(warmup):
                state = advance(state, await connection.send(request(state)))
        except BaseException:
            await ready.abort()
            raise
        await ready.wait()
        await go.wait()
        for _ in range(length):
            payload = request(state)
            start = clock()
            response = await connection.send(payload)
            latencies.append((clock() - start) / 1000)
            sizes.append(len(response.body))
            state = advance(state, response)
        return state

    run = asyncio.ensure_future(on_connections(port, len(states), job))
    try:
        await ready.wait()
    except asyncio.BrokenBarrierError:
        await run  # raises the chain's own error
        raise
    if on_start is not None:
        on_start()
    started = time.perf_counter()
    go.set()
    finals = await run
    seconds = time.perf_counter() - started
    return LoadFigures(latencies, seconds, len(states), round(statistics.mean(sizes))), finals


async def one_get(port: int, path: str) -> tuple[float, bytes]:
    """One GET on a new connection: its latency in milliseconds (connection set-up excluded) and body."""
    connection = await Connection.open(port)
    try:
        start = time.perf_counter_ns()
        response = await connection.send(encode("GET", path, host=connection.host))
        elapsed = (time.perf_counter_ns() - start) / 1e6
        return elapsed, response.expect(200).body
    finally:
        await connection.close()
