"""The load generator of :mod:`bench.registry`: HTTP/1.1 GETs over a few keep-alive connections.

Plain asyncio streams rather than an HTTP client library, so that the client costs little next to
the server it measures (the machine has two cores, one for the server and one for this).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["LoadFigures", "get_many", "one_get"]


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
    """A response other than 200."""


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> bytes:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise HttpError(f"no Content-Length in {head[:200]!r}")
    body = await reader.readexactly(length)
    if head[9:12] != b"200":
        raise HttpError(f"{head.split(b' ', 2)[1].decode()} {body[:300].decode(errors='replace')}")
    return body


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".encode()


async def _worker(port: int, requests: Iterator[bytes], latencies: list[float], sizes: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    clock = time.perf_counter_ns
    try:
        for request in requests:
            start = clock()
            body = await _exchange(reader, writer, request)
            latencies.append((clock() - start) / 1000)
            sizes.append(len(body))
    finally:
        writer.close()
        await writer.wait_closed()


async def get_many(port: int, paths: Sequence[str], *, concurrency: int, warmup: int = 0) -> LoadFigures:
    """GET every path once, over ``concurrency`` keep-alive connections sharing one queue; the first
    ``warmup`` paths are requested first, untimed."""
    requests = [_request(p) for p in paths]
    if warmup:
        await _run(port, requests[:warmup], concurrency, [], [])
    latencies: list[float] = []
    sizes: list[int] = []
    started = time.perf_counter()
    await _run(port, requests[warmup:], concurrency, latencies, sizes)
    return LoadFigures(latencies, time.perf_counter() - started, concurrency, round(statistics.mean(sizes)))


async def _run(
    port: int, requests: Sequence[bytes], concurrency: int, latencies: list[float], sizes: list[int]
) -> None:
    shared = iter(requests)
    workers = [_worker(port, shared, latencies, sizes) for _ in range(min(concurrency, len(requests)))]
    await asyncio.gather(*workers)


async def one_get(port: int, path: str) -> tuple[float, bytes]:
    """One GET on a new connection: its latency in milliseconds (connection set-up excluded) and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    try:
        start = time.perf_counter_ns()
        body = await _exchange(reader, writer, _request(path))
        return (time.perf_counter_ns() - start) / 1e6, body
    finally:
        writer.close()
        await writer.wait_closed()
