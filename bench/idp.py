"""Benchmark: the identity provider served by one uvicorn worker, driven by complete logins.

The provider runs in ``dev`` with ``password_hashing="fast"`` (argon2id at 64 KiB, 1 pass: for this
benchmark only; the real cost is measured separately), a SQLite store (and PostgreSQL with
``--postgres`` when ``UKID_TEST_POSTGRES_URL`` is set), two static clients (``client_secret_basic``
and ``private_key_jwt``) and seeded accounts. It is one uvicorn worker in a subprocess pinned to one
CPU; the load generator (``bench._load``, plain asyncio streams) runs on the other. The run measures:

1. complete logins (OpenID Connect Core §3.1: authorize, sign-in page, sign in with the CSRF token,
   consent page, consent, code with ``iss`` (RFC 9207), token with PKCE (RFC 7636), ID token
   signature and claims checked by the client, userinfo), 8 at a time: flows/s, p50/p95 per flow
   and the server's CPU per flow, read from ``/proc/<pid>/stat`` so the client's cost never counts;
   then the same flows advanced step by step, for the server's CPU per step;
2. the refresh grant (RFC 6749 §6): refresh tokens rotate, so each of 8 connections is a chain, each
   request presenting the token the previous one returned; with ``client_secret_basic`` and with
   ``private_key_jwt`` (RFC 7523, a fresh assertion per request, all signed before the timing);
3. discovery and JWKS under 8 connections, beside a bare FastAPI endpoint answering the same bytes
   (and a bare POST for the token endpoint), measured in the same run: the machine is noisy, so
   compare ratios;
4. the real password cost: argon2id ``standard`` and ``fast`` verifications, timed in this process;
5. unless ``--no-node``, the same flows and refresh chains against ``oidc-provider`` (panva; OpenID
   Certified) on Node.js, for the CPU-per-flow comparison (:mod:`bench._idp_node`).

Targets are printed as met / NOT met; a miss does not fail the run: at most 3 ms of server CPU per
flow (and no more than the Node.js provider's, when measured), the refresh grant at 2,000
requests/s or more, discovery and JWKS at 5,000/s or more. Run: ``make bench`` or
``python -m bench.idp [--quick] [--postgres] [--no-node]``; with ``UKID_BENCH_PROFILE=FILE`` the
provider's event loop thread runs under :mod:`cProfile` (CPU time) and writes its statistics to
``FILE`` when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench._idp_flow import BenchClient, flows_for, refresh_tokens, run_flows, run_staged
from bench._idp_node import node_provider
from bench._idp_server import (
    BARE_GET_PATH,
    BARE_POST_PATH,
    DISCOVERY_PATH,
    PASSWORD,
    Provider,
    bare_server,
    cpu_seconds,
    python_provider,
)
from bench._load import LoadFigures, Response, chains, encode, send_many
from bench._registry_seed import POSTGRES_ENV, database
from bench._registry_server import Memory, ServerProcess
from idp.core.passwords import PasswordHasher

SCOPE = "openid profile email offline_access"
BARE_POST = "bare POST (form in, token JSON out)"
CPU_TARGET_MS = 3.0
REFRESH_TARGET = 2000.0
GET_TARGET = 5000.0


@dataclass(frozen=True)
class Plan:
    """What one run measures and how many requests each part makes."""

    flows: int
    staged_flows: int
    refresh_length: int
    get_requests: int
    hash_runs: int
    #: Complete logins before any timing, per provider (Node.js's JIT needs a few hundred).
    warmup: int
    accounts: int = 20
    concurrency: int = 8

    @classmethod
    def of(cls, mode: str) -> Plan:
        if mode == "tiny":  # the test's: every part once, in seconds
            return cls(
                flows=8, staged_flows=8, refresh_length=4, get_requests=60, hash_runs=1, warmup=1, accounts=4
            )
        if mode == "quick":
            return cls(
                flows=200, staged_flows=100, refresh_length=60, get_requests=2000, hash_runs=3, warmup=100
            )
        return cls(
            flows=1000, staged_flows=600, refresh_length=500, get_requests=8000, hash_runs=10, warmup=300
        )


@dataclass(frozen=True)
class Row:
    """One measured operation: its figures and the server's CPU per unit (a request or a flow)."""

    provider: str
    operation: str
    figures: LoadFigures
    cpu_ms: float
    unit: str = "req"
    note: str = ""


@dataclass(frozen=True)
class Step:
    """One step of the flow, advanced for every flow at once: latency and the server's CPU."""

    provider: str
    label: str
    figures: LoadFigures
    cpu_ms: float


def _rotated(_token: str, response: Response) -> str:
    token: str = response.expect(200).json()["refresh_token"]
    return token


async def measure_refresh(provider: Provider, client: BenchClient, plan: Plan) -> tuple[LoadFigures, float]:
    """The refresh grant on ``plan.concurrency`` chains, each from its own login: figures, CPU ms/request."""
    logins = flows_for(provider.target, client, provider.accounts, plan.concurrency, SCOPE)
    await run_flows(provider.target.port, logins, plan.concurrency)
    url = provider.target.token_endpoint
    warmup = max(2, plan.refresh_length // 10)
    count = plan.concurrency * (warmup + plan.refresh_length)
    signed = client.assertions(provider.target.token_endpoint, count) if client.key is not None else None

    def request(token: str) -> bytes:
        form = {"grant_type": "refresh_token", "refresh_token": token}
        return client.token_request(url, form, next(signed) if signed is not None else None)

    cpu: list[float] = []
    figures, _last = await chains(
        provider.target.port,
        refresh_tokens(logins),
        request,
        _rotated,
        length=plan.refresh_length,
        warmup=warmup,
        on_start=lambda: cpu.append(provider.cpu()),
    )
    return figures, (provider.cpu() - cpu[0]) * 1000 / len(figures.latencies_us)


async def measure_requests(
    server: ServerProcess, requests: Sequence[bytes], concurrency: int, warmup: int
) -> tuple[LoadFigures, float]:
    """``requests`` after ``warmup`` of them untimed: figures and the server's CPU ms per request."""
    assert server.process is not None
    pid = server.process.pid
    await send_many(server.port, requests[:warmup], concurrency=concurrency)
    cpu = cpu_seconds(pid)
    figures = await send_many(server.port, requests[warmup:], concurrency=concurrency)
    return figures, (cpu_seconds(pid) - cpu) * 1000 / len(figures.latencies_us)


def merge(runs: Sequence[tuple[LoadFigures, float]]) -> tuple[LoadFigures, float]:
    """Interleaved runs as one: all latencies, the summed time, the mean CPU per request."""
    figures = [f for f, _cpu in runs]
    latencies = [v for f in figures for v in f.latencies_us]
    cpu = sum(c * len(f.latencies_us) for f, c in runs) / len(latencies)
    merged = LoadFigures(
        latencies, sum(f.seconds for f in figures), figures[0].concurrency, figures[0].body_bytes
    )
    return merged, cpu


@dataclass(frozen=True)
class PasswordCost:
    """Median argon2id verification time of a hashing profile, in this process."""

    profile: str
    parameters: str
    median_ms: float
    cpu_ms: float
    runs: int


def password_cost(profile: str, runs: int) -> PasswordCost:
    """Time ``PasswordHasher(profile).verify`` (a correct password) ``runs`` times."""
    hasher = PasswordHasher(profile)  # type: ignore[arg-type]
    stored = hasher.hash(PASSWORD)
    timings, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        assert hasher.verify(stored, PASSWORD)
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    parameters = stored.split("$")[3]  # $argon2id$v=19$m=65536,t=3,p=4$salt$hash
    return PasswordCost(profile, parameters, statistics.median(timings), statistics.median(cpu), runs)


def line(row: Row) -> str:
    """A row as printed."""
    f = row.figures
    cpu = f"{row.cpu_ms:7.2f} ms" if row.unit == "flow" else f"{row.cpu_ms * 1000:7.0f} µs"
    return (
        f"  {row.provider:<10} {row.operation:<38} {f.per_s:>8,.0f}/s  p50 {f.p50_ms:7.2f} ms  "
        f"p95 {f.p95_ms:7.2f} ms  CPU {cpu}/{row.unit}  {row.note}"
    ).rstrip()


def step_line(step: Step, flow_cpu_ms: float) -> str:
    """A step as printed, with its share of the flow's CPU."""
    f = step.figures
    share = step.cpu_ms / flow_cpu_ms * 100 if flow_cpu_ms else 0.0
    return (
        f"  {step.provider:<10} {step.label:<38} p50 {f.p50_ms:7.2f} ms  p95 {f.p95_ms:7.2f} ms  "
        f"CPU {step.cpu_ms:6.2f} ms/flow ({share:4.1f}%)"
    )


@dataclass
class Bench:
    """Runs the plan and keeps every figure for the summary."""

    plan: Plan
    rows: list[Row] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    memory: list[tuple[str, str, Memory]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def record(self, row: Row) -> None:
        self.rows.append(row)
        print(line(row), flush=True)

    def find(self, provider: str, operation: str) -> Row | None:
        return next((r for r in self.rows if r.provider == provider and r.operation == operation), None)

    async def all_of(self, provider: Provider, bare: ServerProcess | None) -> None:
        """Every measurement of one provider (the bare baseline beside it when given)."""
        self.memory.append((provider.name, "started", provider.server.memory()))
        await self.flows(provider)
        await self.refresh(provider)
        if bare is not None:
            await self.gets(provider, bare)
        self.memory.append((provider.name, "after load", provider.server.memory()))

    async def flows(self, provider: Provider) -> None:
        """Complete logins (after a warm-up), then as many advanced step by step."""
        plan, name, target = self.plan, provider.name, provider.target
        warm = flows_for(target, provider.secret_client, provider.accounts, plan.warmup, SCOPE)
        await run_flows(target.port, warm, plan.concurrency)
        flows = flows_for(target, provider.secret_client, provider.accounts, plan.flows, SCOPE)
        cpu = provider.cpu()
        figures = await run_flows(target.port, flows, plan.concurrency)
        used = (provider.cpu() - cpu) * 1000 / plan.flows
        self.record(Row(name, f"complete login ({len(flows[0].steps)} requests)", figures, used, "flow"))
        staged = flows_for(target, provider.secret_client, provider.accounts, plan.staged_flows, SCOPE)
        found = await run_staged(target.port, staged, plan.concurrency, provider.cpu)
        total = sum(cpu_ms for _label, _figures, cpu_ms in found)
        for label, step_figures, cpu_ms in found:
            self.steps.append(Step(name, label, step_figures, cpu_ms))
            print(step_line(self.steps[-1], total), flush=True)
        print(f"  {name:<10} {'(sum of the steps)':<38} CPU {total:6.2f} ms/flow", flush=True)

    async def refresh(self, provider: Provider) -> None:
        """The refresh grant with each of the provider's clients."""
        for client in (provider.secret_client, provider.jwt_client):
            if client is not None:
                figures, cpu = await measure_refresh(provider, client, self.plan)
                self.record(
                    Row(provider.name, f"refresh grant, {client.method}", figures, cpu, note="chained")
                )

    async def gets(self, provider: Provider, bare: ServerProcess) -> None:
        """Discovery and JWKS, interleaved with the bare GET answering the discovery document's bytes;
        then the bare POST (the token endpoint's baseline)."""
        plan = self.plan
        half, warm = plan.get_requests // 2, max(10, min(200, plan.get_requests // 10))
        cases = [
            ("bare", "bare GET (discovery bytes)", bare, BARE_GET_PATH),
            (provider.name, "discovery", provider.server, DISCOVERY_PATH),
            (provider.name, "JWKS", provider.server, provider.path(provider.target.jwks_uri)),
        ]
        runs: list[list[tuple[LoadFigures, float]]] = [[] for _ in cases]
        for _ in range(2):  # interleaved, so that noise touches each alike
            for measured, (_name, _operation, server, path) in zip(runs, cases, strict=True):
                requests = [encode("GET", path, host=f"127.0.0.1:{server.port}")] * (half + warm)
                measured.append(await measure_requests(server, requests, plan.concurrency, warm))
        for measured, (name, operation, _server, _path) in zip(runs, cases, strict=True):
            figures, cpu = merge(measured)
            self.record(Row(name, operation, figures, cpu, note=f"{figures.body_bytes:,} B"))
        form = {"grant_type": "refresh_token", "refresh_token": "R" * 43}
        bare_post = encode("POST", BARE_POST_PATH, host=f"127.0.0.1:{bare.port}", form=form)
        requests = [bare_post] * (plan.get_requests // 2 + warm)
        figures, cpu = await measure_requests(bare, requests, plan.concurrency, warm)
        self.record(Row("bare", BARE_POST, figures, cpu))


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def ratio(value: float, base: float, digits: int = 2) -> str:
    """``value / base`` as ``1.23 x``, or ``n/a`` when the base is zero (too few clock ticks)."""
    return f"{value / base:.{digits}f} x" if base else "n/a"


def flow_targets(bench: Bench, row: Row, hashing_ms: float) -> None:
    """CPU per complete login against 3 ms and against oidc-provider's (whose sign-in page checks
    no password: compared also without this provider's own argon2 verification)."""
    node = next((r for r in bench.rows if r.provider == "node" and r.unit == "flow"), None)
    bare = row.cpu_ms - hashing_ms
    print(
        f"  {row.provider}: server CPU per complete login {row.cpu_ms:.2f} ms <= {CPU_TARGET_MS:g} ms: "
        f"{verdict(row.cpu_ms <= CPU_TARGET_MS)}"
    )
    print(
        f"  {row.provider}: the same without the 'fast' argon2 verification ({hashing_ms:.2f} ms): "
        f"{bare:.2f} ms <= {CPU_TARGET_MS:g} ms: {verdict(bare <= CPU_TARGET_MS)}"
    )
    if node is not None:
        print(
            f"  {row.provider}: no more than oidc-provider's {node.cpu_ms:.2f} ms per flow: "
            f"{ratio(row.cpu_ms, node.cpu_ms)}, {verdict(row.cpu_ms <= node.cpu_ms)}; without argon2 "
            f"{ratio(bare, node.cpu_ms)}, {verdict(bare <= node.cpu_ms)}"
        )


def summary(bench: Bench, costs: Sequence[PasswordCost]) -> None:
    """The table of every row (ratios to the bare endpoints), the targets, memory and password cost."""
    print("\n== summary ==")
    for row in bench.rows:
        print(line(row))
    bare_get, bare_post = bench.find("bare", "bare GET (discovery bytes)"), bench.find("bare", BARE_POST)
    print("\nratios to the bare FastAPI endpoints (requests/s; server CPU per request):")
    for row in bench.rows:
        base = bare_post if row.operation.startswith("refresh") else bare_get
        if base is not None and row.unit == "req" and row.provider != "bare":
            print(
                f"  {row.provider:<10} {row.operation:<38} {ratio(row.figures.per_s, base.figures.per_s)} "
                f"the bare {'POST' if base is bare_post else 'GET'}'s rate; "
                f"{ratio(row.cpu_ms, base.cpu_ms, 1)} its CPU"
            )
    print("\ntargets (one worker; 'capacity' = 1 / server CPU per request, the rate if the client kept up):")
    for row in bench.rows:
        if row.provider in ("bare", "node"):
            continue
        if row.unit == "flow":
            flow_targets(bench, row, costs[-1].cpu_ms)
            continue
        target = REFRESH_TARGET if row.operation.startswith("refresh") else GET_TARGET
        capacity = 1000 / row.cpu_ms if row.cpu_ms else float("inf")
        node = bench.find("node", row.operation)
        versus = f"; oidc-provider's CPU {ratio(row.cpu_ms, node.cpu_ms)}" if node is not None else ""
        print(
            f"  {row.provider}: {row.operation} {row.figures.per_s:,.0f}/s >= {target:,.0f}/s: "
            f"{verdict(row.figures.per_s >= target)} (capacity {capacity:,.0f}/s: "
            f"{verdict(capacity >= target)}{versus})"
        )
    print("\nserver memory (VmRSS, peak VmHWM):")
    for name, when, memory in bench.memory:
        print(f"  {name:<10} {when:<12} {memory.rss_mib:6.1f} MiB (peak {memory.peak_mib:.1f} MiB)")
    print("\npassword hashing (argon2id verify of a correct password, in this process):")
    for cost in costs:
        print(
            f"  {cost.profile:<8} {cost.parameters:<22} median {cost.median_ms:7.2f} ms wall, "
            f"{cost.cpu_ms:7.2f} ms CPU ({cost.runs} runs)"
        )
    extra = costs[0].cpu_ms - costs[-1].cpu_ms
    print(
        f"  with 'standard' hashing a sign-in costs about {extra:.0f} ms more server CPU than measured above"
    )
    for note in bench.notes:
        print(f"note: {note}")


async def run(plan: Plan, directory: Path, databases: Sequence[str], node: bool) -> Bench:
    """Every measurement: each database, the bare baseline, oidc-provider when asked."""
    cores = sorted(os.sched_getaffinity(0))
    server_cpu = cores[0] if len(cores) > 1 else None
    if server_cpu is not None:  # the load generator (this process) on the other CPUs
        os.sched_setaffinity(0, set(cores[1:]))
    bench = Bench(plan)
    try:
        for index, kind in enumerate(databases):
            print(f"\n== the provider (idp/) on {kind} ==", flush=True)
            with database(kind, directory) as url:
                async with python_provider(
                    directory / kind, url, kind, plan.accounts, server_cpu
                ) as provider:
                    if index > 0:
                        await bench.all_of(provider, None)
                        continue
                    with bare_server(directory, provider, server_cpu) as bare:
                        await bench.all_of(provider, bare)
        if node:
            print("\n== oidc-provider (Node.js) ==", flush=True)
            async with node_provider(directory / "node", plan.accounts, server_cpu) as found:
                if isinstance(found, str):
                    bench.notes.append(f"oidc-provider skipped: {found}")
                    print(f"  skipped: {found}")
                else:
                    await bench.flows(found)
                    await bench.refresh(found)
        costs = [password_cost("standard", plan.hash_runs), password_cost("fast", max(5, plan.hash_runs * 5))]
    finally:
        os.sched_setaffinity(0, set(cores))
    summary(bench, costs)
    return bench


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run and print the tables; returns 0 (targets are reported, never fatal)."""
    parser = argparse.ArgumentParser(prog="python -m bench.idp", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer flows and requests (well under a minute)")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # the test's
    parser.add_argument("--postgres", action="store_true", help=f"also on PostgreSQL ({POSTGRES_ENV})")
    parser.add_argument(
        "--no-node", action="store_true", help="skip oidc-provider on Node.js (run when npm installed it)"
    )
    args = parser.parse_args(argv)
    databases = ["sqlite"]
    if args.postgres:
        if os.environ.get(POSTGRES_ENV):
            databases.append("postgresql")
        else:
            print(f"note: {POSTGRES_ENV} is not set: PostgreSQL is skipped")
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    plan = Plan.of(mode)
    print(
        f"identity provider benchmark ({mode} run): databases {', '.join(databases)}\n"
        f"{os.cpu_count()} CPUs: each server is one uvicorn worker pinned to one CPU, the load generator "
        f"runs on the other; {plan.concurrency} keep-alive connections; {plan.flows:,} complete logins, "
        f"{plan.staged_flows:,} step by step, {plan.concurrency} refresh chains of {plan.refresh_length:,}; "
        "password hashing 'fast' in the server (the real cost is timed below); "
        f"load average {os.getloadavg()[0]:.2f} (other processes on these CPUs skew every figure)"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-idp-") as directory:
        asyncio.run(run(plan, Path(directory), databases, not args.no_node))
    print(f"total {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
