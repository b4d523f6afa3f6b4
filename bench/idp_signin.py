"""Benchmark: sign-ins with the real password cost (argon2id ``standard``: RFC 9106 §4's second
recommended option, 64 MiB, 3 passes, 4 lanes) against one provider worker.

The provider is one uvicorn worker (a subprocess, NOT pinned: its bounded pool of password threads,
one per CPU, is how one worker uses the machine), SQLite, seeded accounts, a ``client_secret_basic``
static client. Complete logins (OpenID Connect Core §3.1: authorize, sign-in page, sign in, consent
page, consent, token, userinfo) run 8 at a time; the argon2 verification dominates each, so flows per
second is the sign-ins per second one worker sustains. Printed: sign-ins/s, p50/p95 per login, the
server's CPU per sign-in (``/proc``), and one argon2id verification timed in this process for
comparison. Run: ``python -m bench.idp_signin [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench._idp_flow import flows_for, run_flows
from bench._idp_server import python_provider
from bench._registry_seed import database
from idp.core.passwords import PasswordHasher

SCOPE = "openid profile email"


def argon2_ms(runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of one ``standard`` verification of a correct password."""
    hasher = PasswordHasher("standard")
    stored = hasher.hash("bench-password-0123456789")
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        hasher.verify(stored, "bench-password-0123456789")
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


async def run(directory: Path, logins: int, concurrency: int) -> None:
    """Start the provider with standard hashing and drive ``logins`` complete logins."""
    with database("sqlite", directory) as url:
        started = python_provider(directory / "idp", url, "sqlite", 16, None, hashing="standard")
        async with started as provider:
            warm = flows_for(provider.target, provider.secret_client, provider.accounts, concurrency, SCOPE)
            await run_flows(provider.target.port, warm, concurrency)
            flows = flows_for(provider.target, provider.secret_client, provider.accounts, logins, SCOPE)
            cpu = provider.cpu()
            figures = await run_flows(provider.target.port, flows, concurrency)
            used = (provider.cpu() - cpu) * 1000 / logins
    print(
        f"  sign-ins with argon2id standard  {figures.per_s:8.1f}/s  p50 {figures.p50_ms:7.1f} ms  "
        f"p95 {figures.p95_ms:7.1f} ms  server CPU {used:7.1f} ms/sign-in ({logins} logins, "
        f"{concurrency} at a time)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(prog="python -m bench.idp_signin", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer logins")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # the test's
    args = parser.parse_args(argv)
    logins = 4 if args.tiny else 16 if args.quick else 64
    print(
        f"sign-in benchmark: one provider worker, {os.cpu_count()} CPUs (password threads: one per CPU), "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    wall, cpu = argon2_ms(1 if args.tiny else 3 if args.quick else 10)
    print(f"  one argon2id standard verification (m=65536, t=3, p=4): {wall:.1f} ms wall, {cpu:.1f} ms CPU")
    with tempfile.TemporaryDirectory(prefix="bench-signin-") as directory:
        asyncio.run(run(Path(directory), logins, 2 if args.tiny else 8))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
